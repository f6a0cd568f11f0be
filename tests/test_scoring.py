"""Scoring policy: gating, unknown penalty, nice-to-have bonus, signal decay, tiers, breakdown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icp.domain import CriterionKind, CriterionResult, FitStatus, Signal, Tier, Verdict
from icp.scoring import DEFAULT_POLICY, ScoringPolicy, base_score, score_grade, signal_weight, tier_for, top_reasons

M, N, U = Verdict.MET, Verdict.NOT_MET, Verdict.UNKNOWN
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def results(req: str, nice: str = "") -> list[CriterionResult]:
    """'MMU' -> R1 met, R2 met, R3 unknown; same for nice-to-haves."""
    code = {"M": M, "N": N, "U": U}
    out = [
        CriterionResult(id=f"R{i}", kind=CriterionKind.REQUIREMENT, text=f"req {i}", verdict=code[c], evidence=f"e{i}")
        for i, c in enumerate(req, 1)
    ]
    out += [
        CriterionResult(id=f"N{i}", kind=CriterionKind.NICE_TO_HAVE, text=f"nice {i}", verdict=code[c])
        for i, c in enumerate(nice, 1)
    ]
    return out


@pytest.mark.parametrize(
    ("req", "nice", "score", "tier"),
    [
        ("MMMM", "MMM", 100.0, Tier.T1),  # everything met
        ("MMMM", "MM", 100.0, Tier.T1),  # 2 of 2 nice-to-haves is the full bonus
        ("MMMM", "MMN", 90.0, Tier.T1),  # 70 + 20
        ("MMMM", "NNN", 70.0, Tier.T2),  # requirements only
        ("MMMM", "", 100.0, Tier.T1),  # no nice-to-haves: requirements carry all 100
        ("MMMU", "NNN", 61.25, Tier.T2),  # one unknown requirement: half of 17.5 lost
        ("MUUU", "NNN", 43.75, Tier.T3),  # mostly unknown: member, but low
        ("UUUU", "MMM", 65.0, Tier.T2),  # nothing known about requirements: 35 + 30
        ("MMMN", "MMM", 15.0, Tier.DISQUALIFIED),  # one failure disqualifies: 20 x 3/4
        ("NNNN", "MMM", 0.0, Tier.DISQUALIFIED),
        ("", "M", 100.0, Tier.T1),  # no requirements: everyone is a member (lint warns)
    ],
)
def test_gating_unknown_penalty_and_nice_bonus(req: str, nice: str, score: float, tier: Tier) -> None:
    breakdown = score_grade(results(req, nice))
    assert (breakdown.score, breakdown.tier) == (score, tier)


def test_breakdown_says_where_every_point_came_from() -> None:
    b = score_grade(results("MMMU", "MNU"))
    assert b.requirement_points == pytest.approx(61.25)
    assert b.unknown_penalty == pytest.approx(8.75)
    assert b.nice_to_have_points == pytest.approx(10.0)
    assert b.score == pytest.approx(71.25)
    by_id = {c.id: c for c in b.contributions}
    assert by_id["R4"].points == pytest.approx(8.75) and by_id["R4"].max_points == pytest.approx(17.5)
    assert by_id["R4"].note == "unknown: partial credit until someone confirms it"
    assert by_id["N2"].points == 0 and by_id["N1"].points == pytest.approx(10)
    assert b.confidence == pytest.approx(5 / 7, abs=1e-3)


def test_disqualifying_criteria_are_listed() -> None:
    b = score_grade(results("MNMN"))
    assert b.disqualified_by == ("R2", "R4")
    assert b.tier is Tier.DISQUALIFIED and not b.tier.is_member


@pytest.mark.parametrize(("age_days", "weight"), [(0, 1.0), (14, 0.5), (28, 0.25), (42, 0.125)])
def test_signal_weight_halves_every_half_life(age_days: int, weight: float) -> None:
    signal = Signal(type="intent", strength=1.0, observed_at=NOW - timedelta(days=age_days))
    assert signal_weight(signal, NOW, 14.0) == pytest.approx(weight)


def test_signal_bonus_decays_and_is_capped() -> None:
    fresh = [Signal(type="intent", topic="crm", strength=1.0, observed_at=NOW)]
    old = [Signal(type="intent", topic="crm", strength=1.0, observed_at=NOW - timedelta(days=14))]
    many = [Signal(type="hiring", strength=1.0, observed_at=NOW - timedelta(hours=i)) for i in range(10)]
    base = score_grade(results("MMMM", "NNN")).score
    assert score_grade(results("MMMM", "NNN"), signals=fresh, now=NOW).score == pytest.approx(base + 5)
    assert score_grade(results("MMMM", "NNN"), signals=old, now=NOW).score == pytest.approx(base + 2.5)
    capped = score_grade(results("MMMM", "NNN"), signals=many, now=NOW)
    assert capped.signal_points == pytest.approx(10)
    assert [c.kind for c in capped.contributions].count("signal") == 3  # the third only fills the cap


def test_signals_never_rescue_a_disqualified_company() -> None:
    fresh = [Signal(type="intent", strength=1.0, observed_at=NOW)]
    assert score_grade(results("MN"), signals=fresh, now=NOW).tier is Tier.DISQUALIFIED


def test_half_life_is_tunable_without_regrading() -> None:
    old = [Signal(type="intent", strength=1.0, observed_at=NOW - timedelta(days=7))]
    short = ScoringPolicy(signal_half_life_days=7)
    assert score_grade(results("M"), signals=old, now=NOW, policy=short).signal_points == pytest.approx(2.5)
    assert score_grade(results("M"), signals=old, now=NOW).signal_points == pytest.approx(5 * 0.5**0.5, abs=0.01)


@pytest.mark.parametrize(
    ("score", "tier"), [(80, Tier.T1), (79.99, Tier.T2), (60, Tier.T2), (59.9, Tier.T3), (0, Tier.T3)]
)
def test_default_tier_thresholds(score: float, tier: Tier) -> None:
    assert tier_for(score) is tier


def test_segment_thresholds_override_and_must_be_ordered() -> None:
    strict = DEFAULT_POLICY.with_thresholds(95, 75)
    assert tier_for(90, strict) is Tier.T2
    with pytest.raises(ValueError, match="T1 threshold"):
        ScoringPolicy(t1=50, t2=60)


def test_top_reasons_prefer_met_requirements_with_evidence() -> None:
    assert top_reasons(results("MNM", "M"), limit=2) == ["R1 req 1 — e1", "R3 req 3 — e3"]


verdicts = st.sampled_from(list(Verdict))


@settings(max_examples=300, deadline=None)
@given(st.lists(verdicts, max_size=6), st.lists(verdicts, max_size=4))
def test_base_score_matches_score_grade(requirements: list[Verdict], nice: list[Verdict]) -> None:
    rs = [
        CriterionResult(id=f"R{i}", kind=CriterionKind.REQUIREMENT, text="r", verdict=v)
        for i, v in enumerate(requirements, 1)
    ] + [
        CriterionResult(id=f"N{i}", kind=CriterionKind.NICE_TO_HAVE, text="n", verdict=v) for i, v in enumerate(nice, 1)
    ]
    breakdown = score_grade(rs)
    assert base_score(rs) == (breakdown.score, breakdown.status)
    assert (breakdown.status is FitStatus.DISQUALIFIED) == (breakdown.tier is Tier.DISQUALIFIED)
