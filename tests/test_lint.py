"""Segment lint: each problem a sales leader can type is flagged once, with a concrete fix."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from icp.lint import MAX_FINDINGS_PER_CODE, LintFinding, lint_segment


def codes(requirements: str, nice: str = "") -> list[tuple[str | None, str, str]]:
    return [(f.criterion_id, f.severity, f.code) for f in lint_segment(requirements, nice)]


def test_clean_segment_has_no_findings() -> None:
    assert (
        lint_segment("- 200–2,000 employees\n- HQ in DACH\n- B2B SaaS", "- uses Salesforce\n- Series B or later") == []
    )


@pytest.mark.parametrize("requirements", ["", "   \n \n", "- \n-"])
def test_empty_requirements_is_an_error(requirements: str) -> None:
    assert (None, "error", "empty-requirements") in codes(requirements, "fintech")


@pytest.mark.parametrize(
    "text",
    ["Big ones", "good companies", "could use our product", "innovative", "fast-growing", "modern tech stack",
     "Would benefit from automation", "large enterprises", "well-funded"],
)  # fmt: skip
def test_vague_criteria_are_warned(text: str) -> None:
    findings = lint_segment(f"- {text}")
    assert [(f.criterion_id, f.severity, f.code) for f in findings] == [("R1", "warning", "vague")]
    assert findings[0].suggestion


def test_vague_word_next_to_a_check_is_only_info() -> None:
    assert codes("- fast-growing fintech") == [("R1", "info", "vague-qualifier")]
    assert codes("- big companies (1,000+ employees)") == [("R1", "info", "vague-qualifier")]


def test_unobservable_and_text_only() -> None:
    assert codes("- fintech\n- has the right vibe and energy levels")[0][2] != "unobservable"  # 'energy' is an industry
    assert codes("- fintech\n- whatever they want") == [("R2", "warning", "unobservable")]
    assert codes("- fintech\n- has a dedicated revops function") == [("R2", "info", "text-only")]


def test_count_of_something_unrecorded_is_flagged() -> None:
    findings = lint_segment("- Dedicated sales team of at least 10 AEs")
    assert [(f.code, f.severity) for f in findings] == [("unobservable-count", "warning")]
    assert "AEs" in findings[0].message


def test_vague_word_with_a_named_signal_is_not_vague() -> None:
    assert codes("- fintech\n- Growing sales headcount (hiring AEs or SDRs)") == [("R2", "info", "text-only")]


def test_number_without_unit_is_flagged() -> None:
    findings = lint_segment("- 200-2000")
    assert [(f.code, f.severity) for f in findings] == [("ambiguous-number", "warning")]
    assert "employees" in findings[0].suggestion


@pytest.mark.parametrize(
    ("requirements", "culprit"),
    [
        ("- under 100 employees\n- at least 500 employees", "R2"),
        ("- over $50M revenue\n- revenue under $10M", "R2"),
        ("- HQ in the US\n- based in Germany", "R2"),
        ("- HQ in DACH\n- Nordics", "R2"),
        ("- California\n- based in Canada", "R2"),
        ("- fintech\n- excluding fintech", "R2"),
        ("- HQ in Germany\n- non-European", "R2"),
        ("- seed-stage\n- Series B or later", "R2"),
        ("- founded after 2015\n- founded before 2010", "R2"),
        ("- uses Salesforce\n- does not use Salesforce", "R2"),
        ("- B2B SaaS in Europe with 200+ employees\n- fewer than 50 people", "R2"),
    ],
)
def test_contradictions_are_errors(requirements: str, culprit: str) -> None:
    findings = [f for f in lint_segment(requirements) if f.code == "contradiction"]
    assert len(findings) == 1, findings
    assert findings[0].criterion_id == culprit and findings[0].severity == "error"
    assert "R1" in findings[0].message and findings[0].suggestion


@pytest.mark.parametrize(
    "requirements",
    [
        "- 100-500 employees\n- at least 500 employees",  # meet at exactly 500
        "- more than 99 employees\n- under 101 employees",  # meet at 100
        "- HQ in the US\n- California",
        "- Europe\n- DACH",
        "- fintech\n- not a consultancy",
        "- Series A+\n- up to Series B",
    ],
)
def test_compatible_requirements_are_not_contradictions(requirements: str) -> None:
    assert not [f for f in lint_segment(requirements) if f.code == "contradiction"]


def test_duplicates() -> None:
    assert ("R2", "warning", "duplicate") in codes("- fintech\n- Fintech.")
    assert ("R2", "warning", "duplicate") in codes("- 200+ employees\n- at least 200 employees")
    findings = [f for f in lint_segment("- uses Salesforce", "- Uses Salesforce") if f.code == "duplicate"]
    assert [f.criterion_id for f in findings] == ["N1"]
    assert "already required" in findings[0].message


def test_nice_to_have_that_no_member_can_meet() -> None:
    findings = [f for f in lint_segment("- HQ in the US", "- based in France") if f.code == "unreachable-nice-to-have"]
    assert [(f.criterion_id, f.severity) for f in findings] == [("N1", "warning")]


def test_findings_follow_criterion_order() -> None:
    ids = [f.criterion_id for f in lint_segment("- innovative\n- 200-2000\n- fintech", "- Big ones")]
    assert ids == ["R1", "R2", "N1"]


def test_finding_is_frozen_and_strict() -> None:
    finding = lint_segment("- Big ones")[0]
    with pytest.raises(ValidationError):
        finding.code = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        LintFinding(criterion_id=None, severity="fatal", code="x", message="m", suggestion="s")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Revenue over €10M", True),
        ("Over £5m ARR", True),
        ("Annual revenue above 50 million EUR", True),
        ("Over $10M ARR", False),
        ("200+ employees in Europe", False),  # no amount: nothing to convert
        ("Headquartered in the UK; 50+ employees", False),
    ],
)
def test_revenue_in_another_currency_is_flagged_as_compared_in_dollars(text: str, flagged: bool) -> None:
    findings = [f for f in lint_segment(text) if f.code == "currency"]
    assert bool(findings) is flagged
    if flagged:
        assert findings[0].severity == "info" and "US dollars" in findings[0].message


def test_north_america_is_explained_to_include_mexico() -> None:
    findings = [
        f for f in lint_segment("- Headquartered in North America\n- 200+ employees") if f.code == "region-scope"
    ]
    assert [(f.criterion_id, f.severity) for f in findings] == [("R1", "info")]
    assert "Mexico" in findings[0].message and "US or Canada" in findings[0].suggestion
    assert not [f for f in lint_segment("- Headquartered in the US or Canada") if f.code == "region-scope"]


def test_many_similar_lines_give_a_bounded_number_of_findings() -> None:
    # 1,000 lines that check the same thing: each repeat is reported once against the first, and no kind
    # of finding is shown more than MAX_FINDINGS_PER_CODE times (the rest are counted in one summary).
    requirements = "\n".join(f"At least {500 + i % 3} employees, option {i}" for i in range(1000))
    findings = lint_segment(requirements)
    assert len(findings) <= 5 * (MAX_FINDINGS_PER_CODE + 1)
    summaries = [f for f in findings if f.criterion_id is None and "more" in f.message]
    assert summaries, "the hidden findings are counted, not dropped silently"


def test_duplicates_are_reported_once_each_against_the_first() -> None:
    findings = [f for f in lint_segment("B2B SaaS\nB2B SaaS\nb2b saas.\nB2B  SaaS") if f.code == "duplicate"]
    assert [f.criterion_id for f in findings] == ["R2", "R3", "R4"]
    assert all("R1" in f.message for f in findings)
