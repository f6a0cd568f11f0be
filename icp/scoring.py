"""Verdicts -> fit score (0–100), tier and breakdown. Pure code: the model never sets a score.

The whole policy, in one place (every number is a :class:`ScoringPolicy` field, so it can be tuned
and re-applied to stored grades without a single new evaluation):

1. **Gate.** Any requirement ``not_met`` disqualifies: tier ``disqualified`` and the score is capped
   at ``disqualified_cap`` (scaled by the share of requirements that were met), so non-members never
   outrank members.
2. **Requirements** share ``requirement_points`` (70) equally. ``met`` earns a requirement's full
   points; ``unknown`` earns ``unknown_credit`` (half) of them — the difference is the *unknown
   penalty*. Unknown is never a failure, but an account we know less about ranks lower.
3. **Nice-to-haves** share ``nice_to_have_points`` (30) equally; only ``met`` earns them. A segment
   without nice-to-haves gives all 100 points to its requirements.
4. **Signals** add up to ``signal_max_points`` (10): each signal is worth
   ``signal_points × strength × 0.5 ** (age_days / half_life_days)``.
5. The total is capped at 100. Tiers: T1 ≥ ``t1`` (80), T2 ≥ ``t2`` (60), else T3 — for members only.
6. **Status.** Every requirement met: ``qualified``. None failed but some unknown: ``unverified`` — a
   provisional score whose tier is at most ``unverified_max_tier`` (T2), because a T1 account must be
   known to meet the segment; the unknown requirements are what to research. One failed: ``disqualified``.
   Within a tier, qualified accounts rank before unverified ones (:func:`rank_key`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from icp.domain import CriterionKind, CriterionResult, FitStatus, Signal, Tier, Verdict


class ScoringPolicy(BaseModel):
    """Every tunable number of the scoring policy (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requirement_points: float = Field(default=70.0, ge=0)
    nice_to_have_points: float = Field(default=30.0, ge=0)
    unknown_credit: float = Field(default=0.5, ge=0, le=1, description="Share of a requirement's points for unknown.")
    disqualified_cap: float = Field(default=20.0, ge=0, le=100)
    signal_points: float = Field(default=5.0, ge=0, description="Points for one fresh, full-strength signal.")
    signal_max_points: float = Field(default=10.0, ge=0)
    signal_half_life_days: float = Field(default=14.0, gt=0)
    t1: float = Field(default=80.0, ge=0, le=100)
    t2: float = Field(default=60.0, ge=0, le=100)
    unverified_max_tier: Tier = Field(
        default=Tier.T2, description="Best tier an account with an unknown requirement can reach (T1 allows any)."
    )

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> ScoringPolicy:
        if self.t2 > self.t1:
            raise ValueError(f"the T1 threshold ({self.t1}) must be at least the T2 threshold ({self.t2})")
        if not self.unverified_max_tier.is_member:
            raise ValueError("unverified_max_tier must be T1, T2 or T3; unverified accounts are members")
        return self

    def with_thresholds(self, t1: float | None, t2: float | None) -> ScoringPolicy:
        """This policy with a segment's own tier thresholds, where it has them."""
        if t1 is None and t2 is None:
            return self
        return self.model_copy(update={"t1": self.t1 if t1 is None else t1, "t2": self.t2 if t2 is None else t2})


DEFAULT_POLICY = ScoringPolicy()


class Contribution(BaseModel):
    """What one criterion or signal added to the score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Criterion id (R1, N2) or 'signal:<type>'.")
    kind: str = Field(description="'requirement', 'nice_to_have' or 'signal'.")
    verdict: Verdict | None = None
    points: float
    max_points: float
    note: str = ""


class ScoreBreakdown(BaseModel):
    """A score, its tier and exactly where every point came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    score: float = Field(ge=0, le=100)
    tier: Tier
    status: FitStatus
    unverified: tuple[str, ...] = Field(default=(), description="Ids of the requirements nobody could verify.")
    tier_capped_from: Tier | None = Field(
        default=None, description="The tier the score alone would earn, when the status capped it."
    )
    requirement_points: float
    nice_to_have_points: float
    signal_points: float
    unknown_penalty: float = Field(description="Points requirements lost because the data was silent.")
    confidence: float = Field(ge=0, le=1, description="Share of criteria with a known verdict.")
    disqualified_by: tuple[str, ...] = ()
    contributions: tuple[Contribution, ...] = ()


def signal_weight(signal: Signal, now: datetime, half_life_days: float) -> float:
    """Strength decayed exponentially with age: half as much every ``half_life_days``."""
    age_days = max(0.0, (now - signal.observed_at).total_seconds() / 86400.0)
    return float(signal.strength * 0.5 ** (age_days / half_life_days))


def signal_contributions(
    signals: Sequence[Signal], now: datetime | None, policy: ScoringPolicy = DEFAULT_POLICY
) -> list[Contribution]:
    """Points from signals, freshest first, until ``signal_max_points`` is reached.

    ``now`` defaults to the newest signal's time, which keeps scoring a pure function of its inputs.
    """
    if not signals or policy.signal_max_points <= 0:
        return []
    reference = now or max(s.observed_at for s in signals)
    parts: list[Contribution] = []
    total = 0.0
    for s in sorted(signals, key=lambda s: (s.observed_at, s.type, s.topic), reverse=True):
        earned = min(
            policy.signal_points * signal_weight(s, reference, policy.signal_half_life_days),
            policy.signal_max_points - total,
        )
        if earned <= 0:
            break
        total += earned
        age = max(0.0, (reference - s.observed_at).total_seconds() / 86400.0)
        parts.append(
            Contribution(
                id=f"signal:{s.type}",
                kind="signal",
                points=earned,
                max_points=policy.signal_points,
                note=f"{s.topic or s.type}, {age:.0f} days old",
            )
        )
    return parts


class BaseScore(NamedTuple):
    """A grade's score before signals, and its status."""

    score: float
    status: FitStatus


def fit_status(results: Iterable[CriterionResult]) -> FitStatus:
    """Qualified, unverified or disqualified, from the requirements' verdicts alone."""
    unknown = False
    for r in results:
        if r.kind is CriterionKind.REQUIREMENT:
            if r.verdict is Verdict.NOT_MET:
                return FitStatus.DISQUALIFIED
            unknown = unknown or r.verdict is Verdict.UNKNOWN
    return FitStatus.UNVERIFIED if unknown else FitStatus.QUALIFIED


def unverified_requirements(results: Iterable[CriterionResult]) -> list[CriterionResult]:
    """The requirements nobody could verify: what an SDR must research before the account is qualified."""
    return [r for r in results if r.kind is CriterionKind.REQUIREMENT and r.verdict is Verdict.UNKNOWN]


def base_score(results: Sequence[CriterionResult], policy: ScoringPolicy = DEFAULT_POLICY) -> BaseScore:
    """Score without signals and status — the same numbers as :func:`score_grade`, from counts only.

    Cycles call this for every new grade, so it builds no breakdown objects.
    """
    n_req = met_req = unknown_req = failed = n_nice = met_nice = 0
    for r in results:
        if r.kind is CriterionKind.REQUIREMENT:
            n_req += 1
            if r.verdict is Verdict.MET:
                met_req += 1
            elif r.verdict is Verdict.UNKNOWN:
                unknown_req += 1
            else:
                failed += 1
        else:
            n_nice += 1
            met_nice += r.verdict is Verdict.MET
    if failed:
        return BaseScore(round(policy.disqualified_cap * met_req / n_req, 2), FitStatus.DISQUALIFIED)
    req_total = policy.requirement_points if n_nice else policy.requirement_points + policy.nice_to_have_points
    per_req = req_total / n_req if n_req else 0.0
    req_points = (met_req + unknown_req * policy.unknown_credit) * per_req if n_req else req_total
    nice_points = policy.nice_to_have_points * met_nice / n_nice if n_nice else 0.0
    status = FitStatus.UNVERIFIED if unknown_req else FitStatus.QUALIFIED
    return BaseScore(round(min(100.0, req_points + nice_points), 2), status)


def score_tier(score: float, policy: ScoringPolicy = DEFAULT_POLICY) -> Tier:
    """The tier a member's score earns, before its status is considered."""
    if score >= policy.t1:
        return Tier.T1
    if score >= policy.t2:
        return Tier.T2
    return Tier.T3


def tier_for(score: float, policy: ScoringPolicy = DEFAULT_POLICY, status: FitStatus = FitStatus.QUALIFIED) -> Tier:
    """The tier of a member: what its score earns, capped at ``unverified_max_tier`` while unverified."""
    if status is FitStatus.DISQUALIFIED:
        return Tier.DISQUALIFIED
    tier = score_tier(score, policy)
    if status is FitStatus.UNVERIFIED and tier.rank < policy.unverified_max_tier.rank:
        return policy.unverified_max_tier
    return tier


def rank_key(tier: Tier, status: FitStatus, score: float) -> float:
    """Ascending order is the queue's order: tier, then qualified before unverified, then score."""
    return tier.rank * 1000 + status.rank * 200 + (100 - score)


def score_grade(
    results: Sequence[CriterionResult],
    *,
    signals: Iterable[Signal] = (),
    now: datetime | None = None,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> ScoreBreakdown:
    """Score one grade's criterion results (and the company's signals) under ``policy``."""
    requirements = [r for r in results if r.kind is CriterionKind.REQUIREMENT]
    nice = [r for r in results if r.kind is CriterionKind.NICE_TO_HAVE]
    req_total = policy.requirement_points if nice else policy.requirement_points + policy.nice_to_have_points
    per_req = req_total / len(requirements) if requirements else 0.0
    per_nice = policy.nice_to_have_points / len(nice) if nice else 0.0

    contributions: list[Contribution] = []
    req_points = 0.0 if requirements else req_total
    unknown_penalty = 0.0
    for r in requirements:
        if r.verdict is Verdict.MET:
            earned, note = per_req, ""
        elif r.verdict is Verdict.UNKNOWN:
            earned = per_req * policy.unknown_credit
            unknown_penalty += per_req - earned
            note = "unknown: partial credit until someone confirms it"
        else:
            earned, note = 0.0, "not met: disqualifies"
        req_points += earned
        contributions.append(
            Contribution(id=r.id, kind=r.kind.value, verdict=r.verdict, points=earned, max_points=per_req, note=note)
        )
    nice_points = 0.0
    for r in nice:
        earned = per_nice if r.verdict is Verdict.MET else 0.0
        nice_points += earned
        contributions.append(
            Contribution(id=r.id, kind=r.kind.value, verdict=r.verdict, points=earned, max_points=per_nice)
        )

    signal_parts = signal_contributions(list(signals), now, policy)
    signal_points = sum(c.points for c in signal_parts)
    contributions.extend(signal_parts)

    known = sum(1 for r in results if r.verdict is not Verdict.UNKNOWN)
    confidence = known / len(results) if results else 0.0
    failed = tuple(r.id for r in requirements if r.verdict is Verdict.NOT_MET)
    status = fit_status(requirements)
    capped_from: Tier | None = None
    if failed:
        met_share = sum(1 for r in requirements if r.verdict is Verdict.MET) / len(requirements)
        score = round(policy.disqualified_cap * met_share, 2)
        tier = Tier.DISQUALIFIED
    else:
        score = round(min(100.0, req_points + nice_points + signal_points), 2)
        tier = tier_for(score, policy, status)
        by_score = score_tier(score, policy)
        capped_from = by_score if by_score is not tier else None
    return ScoreBreakdown(
        score=score,
        tier=tier,
        status=status,
        unverified=tuple(r.id for r in unverified_requirements(requirements)),
        tier_capped_from=capped_from,
        requirement_points=round(req_points, 2),
        nice_to_have_points=round(nice_points, 2),
        signal_points=round(signal_points, 2),
        unknown_penalty=round(unknown_penalty, 2),
        confidence=round(confidence, 3),
        disqualified_by=failed,
        contributions=tuple(contributions),
    )


def top_reasons(results: Sequence[CriterionResult], limit: int = 3) -> list[str]:
    """The evidence an SDR should read first: met requirements, then met nice-to-haves."""
    ordered = sorted(
        (r for r in results if r.verdict is Verdict.MET and r.evidence),
        key=lambda r: (r.kind is not CriterionKind.REQUIREMENT, r.id),
    )
    return [f"{r.id} {r.text} — {r.evidence}" for r in ordered[:limit]]
