"""What makes offline grading fast must never change a grade.

A cycle decides each check once per distinct key of the facts it reads and shares the result; it
normalises a company once per object; it scans ASCII text through its lowercase. Each shortcut is
compared here with the slow path it replaces.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from icp import checks
from icp.checks import WordScanner, company_facts, evaluate_facts, facts_key, parse_check
from icp.checks._facts import _normalise
from icp.criteria import compile_segment
from icp.domain import CompanyProfile, Verdict
from icp.evaluators import offline
from icp.evaluators.offline import OfflineEvaluator, _CheckGrader
from icp.memo import IdentityMemo
from tests.test_checks import PHRASINGS
from tests.test_offline_evaluator import CRITERIA_TEXTS, OPTIONAL_FIELDS, companies, requirement

CHECK_TEXTS = [row[0] for row in PHRASINGS if row[1] is not None]


def _company(i: int, **fields: object) -> CompanyProfile:
    return CompanyProfile.model_validate({"name": f"Co {i}", "domain": f"co{i}.example", **fields})


def _check_grader(text: str) -> _CheckGrader:
    criterion = requirement(text)
    assert criterion.check is not None
    return _CheckGrader(criterion, criterion.check)


def _fresh() -> None:
    checks.company_facts.clear()
    offline._graders.clear()


CHECKS = [(text, check, facts_key(check)) for text in CHECK_TEXTS if (check := parse_check(text)) is not None]


@st.composite
def neighbours(draw: st.DrawFn) -> tuple[CompanyProfile, CompanyProfile]:
    """Two companies that share most fields, so that many checks see equal keys."""
    a, other = draw(companies()), draw(companies())
    changed = draw(st.sets(st.sampled_from(OPTIONAL_FIELDS), min_size=1, max_size=2))
    return a, a.model_copy(update={f: getattr(other, f) for f in changed})


@settings(max_examples=400, deadline=None)
@given(pair=neighbours())
@example(  # a tag names an industry, so an unrelated industry value no longer proves "not fintech"
    pair=(_company(0, industry="Widgets", tags=("b2b",)), _company(0, industry="Widgets")),
)
def test_equal_facts_keys_mean_equal_outcomes(pair: tuple[CompanyProfile, CompanyProfile]) -> None:
    facts_a, facts_b = _normalise(pair[0]), _normalise(pair[1])
    for text, check, key in CHECKS:
        if key(facts_a) == key(facts_b):
            assert evaluate_facts(check, facts_a) == evaluate_facts(check, facts_b), text


@settings(max_examples=60, deadline=None)
@given(
    population=st.lists(companies(), min_size=2, max_size=25),
    texts=st.lists(st.sampled_from(CRITERIA_TEXTS), min_size=1, max_size=8),
)
def test_grades_reusing_results_equal_grades_decided_afresh(population: list[CompanyProfile], texts: list[str]) -> None:
    segment = compile_segment("S", "\n".join(texts[: len(texts) // 2 + 1]), "\n".join(texts[len(texts) // 2 + 1 :]))
    evaluator = OfflineEvaluator()
    _fresh()
    shared = [evaluator.grade(company, segment).model_dump_json() for company in population]
    afresh = []
    for company in population:
        _fresh()
        afresh.append(evaluator.grade(CompanyProfile.model_validate(company.model_dump()), segment).model_dump_json())
    assert shared == afresh


def test_results_for_repeated_facts_are_built_once_and_shared() -> None:
    grader = _check_grader("HQ in DACH")
    results = [grader.grade(company_facts(_company(i, country="Germany", employees=i))) for i in range(50)]
    assert all(r is results[0] for r in results)
    assert results[0].verdict is Verdict.MET and results[0].evidence == "country: Germany"
    assert len(grader.results) == 1


def test_a_grader_whose_keys_never_repeat_stops_holding_results_and_stays_correct() -> None:
    grader = _check_grader("Over $10M ARR")
    window = grader.WINDOW
    for i in range(window + 10):
        revenue = 5e6 + i * 1e5  # every company distinct: nothing to reuse
        result = grader.grade(company_facts(_company(i, revenue=revenue)))
        expected = Verdict.MET if revenue > 1e7 else Verdict.NOT_MET
        assert result.verdict is expected and result.evidence == f"revenue: {int(revenue)}"
    assert grader.direct_left > 0 and not grader.results


def test_graders_and_facts_are_bounded() -> None:
    grader = _check_grader("At least 50 employees")
    for i in range(grader.LIMIT + 5):
        assert grader.grade(company_facts(_company(i, employees=i % (grader.LIMIT + 5)))).verdict is (
            Verdict.MET if i % (grader.LIMIT + 5) >= 50 else Verdict.NOT_MET
        )
        assert len(grader.results) <= grader.LIMIT
    assert len(checks.company_facts) <= 256


def test_identity_memo_computes_once_per_object_not_per_equal_value() -> None:
    calls: list[tuple[int, ...]] = []

    def compute(key: tuple[int, ...]) -> int:
        calls.append(key)
        return sum(key)

    memo: IdentityMemo[tuple[int, ...], int] = IdentityMemo(compute, limit=2)
    a, b = (1, 2), tuple([1, 2])
    assert a == b and a is not b
    assert memo(a) == memo(a) == 3 and len(calls) == 1
    assert memo(b) == 3 and len(calls) == 2  # an equal object is another key: no hashing of values
    memo((5,))
    assert len(memo) == 1  # full at two: cleared, then the newest stored
    memo.clear()
    assert len(memo) == 0


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("SaaS Fintech B2B AWS aws sales team, SDRs.é&-K\u212a")), max_size=80)
)
def test_word_scanner_finds_what_the_case_insensitive_pattern_finds(text: str) -> None:
    pattern = r"(?<![\w&])(?:saas|fintech|b2b|aws|sales team|sdrs?|k)(?![\w&])"
    scanner = WordScanner(pattern)
    folded = re.compile(pattern, re.IGNORECASE)
    expected = [m.span() for m in folded.finditer(text)]
    assert [m.span() for m in scanner.finditer(text)] == expected
    assert [m.span() for m in scanner.finditer(text, text.lower())] == expected
    found = scanner.search(text)
    assert (found.span() if found else None) == (expected[0] if expected else None)


def test_word_scanner_refuses_a_pattern_with_capitals() -> None:
    with pytest.raises(ValueError, match="lowercase"):
        WordScanner(r"Salesforce\W")
