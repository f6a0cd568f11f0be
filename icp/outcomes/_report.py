"""Lift per segment, tier and status, judged without leakage.

A deal is judged against the standing its account had **before the deal was created**: the latest cycle
that finished before the create date. A grade its own outcome could have influenced never counts. Deals
with no such grade are left out and counted — or, with ``regrade=True``, today's company data is graded
offline against the segment version in force when the deal was created, and the result is labelled so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import NamedTuple

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from icp.companies import profile_of
from icp.criteria import compile_segment
from icp.domain import FitStatus, Tier
from icp.errors import NotFoundError
from icp.evaluators.offline import OfflineEvaluator
from icp.outcomes._stats import Interval, median, risk_ratio, wilson_interval
from icp.queue import FINISHED, member_standings, non_member_standings
from icp.scoring import DEFAULT_POLICY, ScoringPolicy, score_grade
from icp.store.tables import Company, Cycle, Outcome, Segment, SegmentVersion

MIN_CLOSED_DEALS = 10
"""Below this many closed deals in a group, the report says there are not enough to say."""

NOT_A_MEMBER = "not a member"
GROUP_ORDER = ("T1", "T2", "T3", "qualified", "unverified", NOT_A_MEMBER)


class GroupOutcomes(BaseModel):
    """Closed deals of the accounts in one tier (or status) of a segment."""

    group: str = Field(description="T1, T2, T3, qualified, unverified or 'not a member'.")
    accounts: int
    closed: int
    won: int
    win_rate: float | None
    win_rate_low: float | None
    win_rate_high: float | None
    lift: float | None = Field(description="Win rate over the segment's overall win rate.")
    won_revenue: float
    revenue_share: float | None
    median_days_to_close: float | None
    enough: bool = Field(description=f"At least {MIN_CLOSED_DEALS} closed deals: the figures say something.")


class SegmentOutcomes(BaseModel):
    """How one segment's tiers did against won and lost deals."""

    segment: str
    closed: int = Field(description="Closed deals judged against a grade made before they were created.")
    won: int
    left_out: int = Field(description="Closed deals with no grade from before their creation (or no create date).")
    regraded: int = Field(description="Deals judged by grading today's data against the version then in force.")
    win_rate: float | None
    groups: list[GroupOutcomes]
    t1_lift: float | None = Field(description="How many times as often T1 accounts won as the rest.")
    t1_lift_low: float | None
    t1_lift_high: float | None
    reading: str = Field(description="The figures in one plain sentence, or why there are too few to say.")


class JudgedDeal(BaseModel):
    company_id: int
    tier: str
    status: str
    won: bool
    amount: float
    days: float | None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _judging_cycles(session: Session) -> list[tuple[datetime, int, set[int]]]:
    """Finished cycles, oldest first: (finished_at, id, segment ids pinned)."""
    rows = session.exec(
        select(Cycle)
        .where(col(Cycle.status).in_(FINISHED), col(Cycle.finished_at).is_not(None))
        .order_by(col(Cycle.id))
    )
    return [(c.finished_at, c.id, {int(p["segment_id"]) for p in c.pinned}) for c in rows if c.id and c.finished_at]


def _cycle_before(cycles: Sequence[tuple[datetime, int, set[int]]], moment: datetime, segment_id: int) -> int | None:
    found = None
    for finished_at, cycle_id, pinned in cycles:
        if finished_at >= moment:
            break
        if segment_id in pinned:
            found = cycle_id
    return found


def _standings(
    session: Session, cycle_id: int, segment_id: int, company_ids: Iterable[int]
) -> dict[int, tuple[str, str]]:
    ids = sorted(set(company_ids))
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for s in member_standings(session, cycle_id, segment_ids=[segment_id], company_ids=chunk):
            found[s.company_id] = (s.tier, s.status)
        for s in non_member_standings(session, cycle_id, segment_ids=[segment_id], company_ids=chunk):
            found.setdefault(s.company_id, (Tier.DISQUALIFIED.value, FitStatus.DISQUALIFIED.value))
    return found


def _version_at(versions: Sequence[SegmentVersion], moment: datetime) -> SegmentVersion:
    chosen = versions[0]
    for version in versions:
        if version.created_at <= moment:
            chosen = version
    return chosen


def _regrade(
    session: Session, segment: Segment, deals: Sequence[Outcome], policy: ScoringPolicy
) -> dict[int, tuple[str, str]]:
    versions = list(
        session.exec(
            select(SegmentVersion).where(SegmentVersion.segment_id == segment.id).order_by(col(SegmentVersion.version))
        )
    )
    companies = {
        c.id: c for c in session.exec(select(Company).where(col(Company.id).in_({d.company_id for d in deals})))
    }
    evaluator = OfflineEvaluator()
    segment_policy = policy.with_thresholds(segment.t1_threshold, segment.t2_threshold)
    out: dict[int, tuple[str, str]] = {}
    for deal in deals:
        assert deal.id is not None and deal.created_on is not None
        version = _version_at(versions, _start_of(deal.created_on))
        compiled = compile_segment(version.name, version.requirements, version.nice_to_haves)
        breakdown = score_grade(
            evaluator.grade(profile_of(companies[deal.company_id]), compiled).results, policy=segment_policy
        )
        out[deal.id] = (breakdown.tier.value, breakdown.status.value)
    return out


def group_outcomes(
    name: str, judged: Sequence[JudgedDeal], overall: float | None, total_won_revenue: float
) -> GroupOutcomes:
    won = sum(j.won for j in judged)
    rate = wilson_interval(won, len(judged))
    revenue = sum(j.amount for j in judged if j.won)
    return GroupOutcomes(
        group=name,
        accounts=len({j.company_id for j in judged}),
        closed=len(judged),
        won=won,
        win_rate=rate.value if rate else None,
        win_rate_low=rate.low if rate else None,
        win_rate_high=rate.high if rate else None,
        lift=(rate.value / overall) if rate and overall else None,
        won_revenue=revenue,
        revenue_share=revenue / total_won_revenue if total_won_revenue else None,
        median_days_to_close=median([j.days for j in judged if j.won and j.days is not None]),
        enough=len(judged) >= MIN_CLOSED_DEALS,
    )


class TierSummary(NamedTuple):
    """Closed deals grouped by tier (and status), and how T1 did against the rest."""

    groups: list[GroupOutcomes]
    t1_lift: Interval | None
    t1_closed: int
    rest_closed: int


def summarise_tiers(judged: Sequence[JudgedDeal], *, by_status: bool) -> TierSummary:
    """Group judged deals by tier (non-members apart; with ``by_status`` also qualified / unverified)."""
    overall = sum(j.won for j in judged) / len(judged) if judged else None
    total_revenue = sum(j.amount for j in judged if j.won)
    groups: dict[str, list[JudgedDeal]] = defaultdict(list)
    for j in judged:
        if j.tier == Tier.DISQUALIFIED.value:
            groups[NOT_A_MEMBER].append(j)
            continue
        groups[j.tier].append(j)
        if by_status:
            groups[j.status].append(j)
    t1 = groups.get("T1", [])
    rest = [j for j in judged if j.tier != "T1"]
    return TierSummary(
        groups=[group_outcomes(name, groups[name], overall, total_revenue) for name in GROUP_ORDER if groups.get(name)],
        t1_lift=risk_ratio(sum(j.won for j in t1), len(t1), sum(j.won for j in rest), len(rest)),
        t1_closed=len(t1),
        rest_closed=len(rest),
    )


def _reading(summary: TierSummary) -> str:
    t1, rest, lift = summary.t1_closed, summary.rest_closed, summary.t1_lift
    if t1 < MIN_CLOSED_DEALS or rest < MIN_CLOSED_DEALS:
        return (
            f"Not enough closed deals to say: {t1} in T1 and {rest} elsewhere "
            f"(at least {MIN_CLOSED_DEALS} are needed on each side)."
        )
    assert lift is not None
    total = t1 + rest
    if lift.low > 1:
        verdict = f"T1 accounts won {lift.value:.1f}× as often as the rest"
    elif lift.high < 1:
        verdict = f"T1 accounts won less often than the rest ({lift.value:.1f}×)"
    else:
        verdict = f"T1 accounts won about as often as the rest ({lift.value:.1f}×; the interval includes 1×)"
    return f"{verdict}, 95% interval {lift.low:.1f}–{lift.high:.1f}×, from {total} closed deals."


def outcome_report(
    session: Session,
    *,
    segment: str | None = None,
    regrade: bool = False,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> list[SegmentOutcomes]:
    """Win rate, lift, revenue and time to close per tier and status of every live segment (or one)."""
    stmt = select(Segment).where(col(Segment.deleted_at).is_(None)).order_by(col(Segment.priority).desc(), Segment.name)
    if segment:
        stmt = stmt.where(Segment.name_key == segment.strip().casefold())
    segments = list(session.exec(stmt))
    if segment and not segments:
        raise NotFoundError(f"No segment named {segment!r}. See `icp segments list`.")
    closed = list(session.exec(select(Outcome).where(col(Outcome.result).in_(("won", "lost")))))
    cycles = _judging_cycles(session)
    return [_segment_outcomes(session, s, closed, cycles, regrade, policy) for s in segments]


def _segment_outcomes(
    session: Session,
    segment: Segment,
    closed: Sequence[Outcome],
    cycles: Sequence[tuple[datetime, int, set[int]]],
    regrade: bool,
    policy: ScoringPolicy,
) -> SegmentOutcomes:
    assert segment.id is not None
    by_cycle: dict[int, list[Outcome]] = defaultdict(list)
    ungraded: list[Outcome] = []
    left_out = 0
    for deal in closed:
        if deal.created_on is None:
            left_out += 1
            continue
        cycle_id = _cycle_before(cycles, _start_of(deal.created_on), segment.id)
        if cycle_id is None:
            ungraded.append(deal)
        else:
            by_cycle[cycle_id].append(deal)
    standing: dict[int, tuple[str, str]] = {}
    for cycle_id, deals in by_cycle.items():
        found = _standings(session, cycle_id, segment.id, (d.company_id for d in deals))
        for deal in deals:
            assert deal.id is not None
            if deal.company_id in found:
                standing[deal.id] = found[deal.company_id]
            else:
                ungraded.append(deal)  # the company was not graded in that cycle (not imported yet)
    regraded = 0
    if regrade and ungraded:
        standing.update(_regrade(session, segment, ungraded, policy))
        regraded = len(ungraded)
    else:
        left_out += len(ungraded)
    judged = [
        JudgedDeal(
            company_id=d.company_id,
            tier=standing[d.id][0],
            status=standing[d.id][1],
            won=d.result == "won",
            amount=d.amount or 0.0,
            days=float((d.closed_on - d.created_on).days) if d.closed_on and d.created_on else None,
        )
        for d in closed
        if d.id in standing
    ]
    won = sum(j.won for j in judged)
    summary = summarise_tiers(judged, by_status=True)
    return SegmentOutcomes(
        segment=segment.name,
        closed=len(judged),
        won=won,
        left_out=left_out,
        regraded=regraded,
        win_rate=won / len(judged) if judged else None,
        groups=summary.groups,
        t1_lift=summary.t1_lift.value if summary.t1_lift else None,
        t1_lift_low=summary.t1_lift.low if summary.t1_lift else None,
        t1_lift_high=summary.t1_lift.high if summary.t1_lift else None,
        reading=_reading(summary),
    )
