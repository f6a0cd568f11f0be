"""Run metrics on small runs computed by hand."""

from __future__ import annotations

import pytest

from icp.domain import Tier
from icp.evals.metrics import compute_metrics, percentile
from tests.evals.conftest import outcome, result


def test_accuracy_confusion_membership_tier_and_grounding_by_hand() -> None:
    results = [
        # a: 2/2 right, member, T1 as expected.
        result("a", outcome("R1", "met", "met"), outcome("R2", "unknown", "unknown"), tags=("geo",)),
        # b: expected met but said not_met (ungrounded), so disqualified: a false negative.
        result(
            "b",
            outcome("R1", "met", "not_met", grounded=False),
            outcome("N1", "not_met", "not_met", kind="nice_to_have"),
            member=False,
            tier=Tier.DISQUALIFIED,
            tags=("geo", "range"),
        ),
        # c: expected not_met (non-member) but said unknown, so wrongly a member in T3: a false positive.
        result(
            "c",
            outcome("R1", "not_met", "unknown"),
            expected_member=False,
            expected_tiers=(Tier.DISQUALIFIED,),
            tier=Tier.T3,
        ),
        # d: unmeasured (the endpoint failed): excluded from every quality metric.
        result("d", status="unmeasured", unmeasured_reason="error", member=None, tier=None, criteria=()),
        # e: the model refused: a model failure, its two criteria wrong end to end only.
        result("e", status="model_failure", failure_reason="refusal", unanswered=2, member=None, tier=None),
    ]
    m = compute_metrics(results)
    assert (m.cases, m.results, m.measured, m.model_failures, m.unmeasured) == (5, 5, 3, 1, 1)
    assert m.unmeasured_by_reason == {"error": 1} and m.model_failures_by_reason == {"refusal": 1}
    assert (m.accuracy.hits, m.accuracy.total) == (3, 5)
    assert (m.end_to_end_accuracy.hits, m.end_to_end_accuracy.total) == (3, 7)
    assert m.failed_share == pytest.approx(0.4)
    assert m.accuracy_by_expected["met"].rate == pytest.approx(0.5)
    assert m.accuracy_by_expected["not_met"].rate == pytest.approx(0.5)
    assert m.accuracy_by_expected["unknown"].rate == 1.0
    assert m.accuracy_by_tag["geo"].hits == 3 and m.accuracy_by_tag["geo"].total == 4
    assert m.confusion["met"] == {"met": 1, "not_met": 1, "unknown": 0}
    assert m.confusion["not_met"] == {"met": 0, "not_met": 1, "unknown": 1}
    assert m.confusion["unknown"] == {"met": 0, "not_met": 0, "unknown": 1}
    assert (m.membership.tp, m.membership.fp, m.membership.fn, m.membership.tn) == (1, 1, 1, 0)
    assert m.membership.precision == pytest.approx(0.5) and m.membership.recall == pytest.approx(0.5)
    assert (m.tier_agreement.hits, m.tier_agreement.total) == (1, 3)
    # Decided verdicts: a.R1 (grounded), b.R1 (ungrounded), b.N1 (grounded) -> 2/3.
    assert (m.grounding.hits, m.grounding.total) == (2, 3)
    assert m.exact_cases.hits == 1 and m.wrong_cases == ("b", "c")


def test_runs_stored_before_model_failures_read_refusals_and_truncation_as_model_failures() -> None:
    legacy = result("d", status="unmeasured", unmeasured_reason="truncation", member=None, tier=None)
    assert legacy.model_failed and legacy.failure_reason == "truncation" and legacy.unmeasured_reason is None
    still_unmeasured = result("d", status="unmeasured", unmeasured_reason="error", member=None, tier=None)
    assert not still_unmeasured.model_failed and not still_unmeasured.measured


def test_invariance_violations_match_criteria_by_text_not_id() -> None:
    base = result(
        "base", outcome("R1", "met", "met", text="Uses Salesforce"), outcome("R2", "met", "met", text="In DACH")
    )
    reordered = result(
        "variant",
        outcome("R1", "met", "met", text="In DACH"),
        outcome("R2", "met", "unknown", text="Uses Salesforce"),
        invariance_of="base",
    )
    m = compute_metrics([base, reordered])
    assert m.invariance_checked == 1
    assert len(m.invariance_violations) == 1
    violation = m.invariance_violations[0]
    assert violation.criterion == "requirement:uses salesforce"
    assert (violation.case_verdict, violation.base_verdict) == ("unknown", "met")


def test_stability_across_repeats_lists_flaky_cases() -> None:
    results = [
        result("steady", outcome("R1", "met", "met"), repeat_index=0),
        result("steady", outcome("R1", "met", "met"), repeat_index=1),
        result("flaky", outcome("R1", "met", "met"), outcome("R2", "met", "met"), repeat_index=0),
        result("flaky", outcome("R1", "met", "unknown"), outcome("R2", "met", "met"), repeat_index=1),
    ]
    s = compute_metrics(results).stability
    assert s.repeats == 2
    assert (s.compared, s.agreeing) == (3, 2)
    assert s.flaky_cases == ("flaky",)


def test_cost_tokens_and_latency_per_case() -> None:
    results = [
        result("a", outcome("R1", "met", "met"), cost_usd=0.001, tokens_in=100, tokens_out=20, latency_ms=100),
        result("b", outcome("R1", "met", "met"), cost_usd=0.003, tokens_in=300, tokens_out=40, latency_ms=300),
    ]
    m = compute_metrics(results)
    assert m.cost_usd.total == pytest.approx(0.004) and m.cost_usd.mean == pytest.approx(0.002)
    assert m.tokens_in.mean == 200 and m.tokens_out.total == 60
    assert m.latency_ms.p50 == pytest.approx(200) and m.latency_ms.p95 == pytest.approx(290)
    assert percentile([], 50) == 0.0
