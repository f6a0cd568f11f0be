"""The golden case format: the shipped suite is valid and bad cases are rejected with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from icp.evals.cases import CaseFileError, dump_cases, load_suite, parse_case_file

GOOD = """\
defaults:
  labelled_by: tester
cases:
  - id: ok-case
    segment: {name: S, requirements: ["200-2,000 employees"], nice_to_haves: ["Uses Salesforce"]}
    company: {name: Acme, domain: acme.com, employees: 300}
    expected: {verdicts: {R1: met, N1: unknown}}
    rationale: inside the range
"""


def _write(tmp_path: Path, text: str, name: str = "cases.yaml") -> Path:
    folder = tmp_path / "datasets" / "mini"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_golden_suite_is_valid_and_covers_every_family(evals_root: Path) -> None:
    suite = load_suite("golden", evals_root)
    assert len(suite.cases) >= 120
    tags = suite.tag_counts()
    for family in (
        "range",
        "geo",
        "industry",
        "tech",
        "funding",
        "founded",
        "negation",
        "missing-data",
        "injection",
        "misleading",
        "invariance",
        "reordered",
        "renamed",
        "irrelevant-facts",
        "critical",
    ):
        assert tags.get(family, 0) >= 1, family  # fmt: skip
    assert all(case.labelled_by and case.rationale for case in suite.cases)
    assert suite.dataset_hash == load_suite("golden", evals_root).dataset_hash


def test_a_valid_file_loads_with_defaults_and_derived_expectations(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    suite = load_suite("mini", tmp_path)
    case = suite.cases[0]
    assert case.labelled_by == "tester"
    assert case.expected_member is True
    assert [c.id for c in case.compiled.criteria] == ["R1", "N1"]


@pytest.mark.parametrize(
    ("replace", "by", "line", "message"),
    [
        ("R1: met, N1: unknown", "R1: met, N1: maybe", 7, "expected.verdicts.N1"),
        ("R1: met, N1: unknown", "R1: met", 4, "missing N1"),
        ("domain: acme.com", "domain: not a domain", 6, "company.domain"),
        ("    rationale: inside the range\n", "", 4, "rationale"),
        ("{verdicts: {R1: met, N1: unknown}}", "{verdicts: {R1: not_met, N1: unknown}, member: true}", 4, "member"),
    ],
)
def test_bad_cases_are_rejected_with_file_and_line(
    tmp_path: Path, replace: str, by: str, line: int, message: str
) -> None:
    path = _write(tmp_path, GOOD.replace(replace, by))
    with pytest.raises(CaseFileError) as caught:
        load_suite("mini", tmp_path)
    text = str(caught.value)
    assert f"{path}:{line}: case ok-case:" in text
    assert message in text


def test_duplicate_ids_and_broken_yaml_are_reported(tmp_path: Path) -> None:
    _write(tmp_path, GOOD, "a.yaml")
    _write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(
        CaseFileError, match=r"b\.yaml:4: case ok-case: duplicate case id; first defined at .*a\.yaml:4"
    ):
        load_suite("mini", tmp_path)
    _, problems = parse_case_file("cases:\n  - id: [unclosed\n", source="broken.yaml")
    assert problems and str(problems[0]).startswith("broken.yaml:")


def test_invariance_variant_must_expect_the_same_verdicts(tmp_path: Path) -> None:
    variant = GOOD.split("cases:\n", 1)[1].replace("id: ok-case", "id: variant\n    invariance_of: ok-case")
    _write(tmp_path, GOOD + variant.replace("R1: met, N1: unknown", "R1: met, N1: met"))
    with pytest.raises(CaseFileError, match="case variant: expected verdicts differ from ok-case"):
        load_suite("mini", tmp_path)


def test_one_criterion_per_list_entry(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.replace('["200-2,000 employees"]', '["200-2,000 employees; in DACH"]'))
    with pytest.raises(CaseFileError, match="splits into 2 criteria"):
        load_suite("mini", tmp_path)


def test_dumped_cases_load_back_identically(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    suite = load_suite("mini", tmp_path)
    loaded, problems = parse_case_file(dump_cases(list(suite.cases)))
    assert not problems
    assert [c for c, _ in loaded] == list(suite.cases)
