"""How segments change across cycles: history, tier changes with the criterion that flipped, member
counts and their trend, overlaps between segments, and membership over time.

Like the queue, everything reads finished cycles (``completed`` or ``partial``) only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from icp.cycle import CycleCounts
from icp.domain import CriterionResult, Tier
from icp.queue import (
    FINISHED,
    Standing,
    effective_results,
    latest_cycle_id,
    member_standings,
    non_member_standings,
)
from icp.store import rows_by_id, segment_names
from icp.store.tables import Company, Cycle, Grade, Membership, utcnow


class CycleInfo(CycleCounts):
    """One cycle in the history."""

    id: int
    segments: int


def cycle_history(session: Session, limit: int = 20) -> list[CycleInfo]:
    """Cycles, newest first."""
    rows = session.exec(select(Cycle).order_by(col(Cycle.id).desc()).limit(limit)).all()
    return [CycleInfo.model_validate({**c.model_dump(), "segments": len(c.pinned)}) for c in rows if c.id is not None]


class TierChange(BaseModel):
    """A company whose tier or status in a segment moved between two cycles, and why."""

    segment: str
    company_name: str
    domain: str
    from_tier: str
    to_tier: str
    from_status: str
    to_status: str
    from_score: float | None
    to_score: float | None
    reasons: list[str] = Field(
        description="Criteria whose verdict flipped, e.g. 'R2 200–2,000 employees: met → not_met'."
    )


def _previous_finished(session: Session, cycle_id: int) -> int | None:
    return session.exec(
        select(Cycle.id)
        .where(col(Cycle.status).in_(FINISHED), col(Cycle.id) < cycle_id)
        .order_by(col(Cycle.id).desc())
        .limit(1)
    ).first()


def _flips(before: Sequence[CriterionResult], after: Sequence[CriterionResult]) -> list[str]:
    old = {r.id: r for r in before}
    new = {r.id: r for r in after}
    reasons = []
    for cid, r in new.items():
        prior = old.get(cid)
        if prior is None:
            reasons.append(f"{cid} {r.text}: new criterion ({r.verdict.value})")
        elif prior.verdict is not r.verdict:
            detail = f" — {r.evidence}" if r.evidence else ""
            by = " (confirmed by a person)" if r.source == "person" else ""
            reasons.append(f"{cid} {r.text}: {prior.verdict.value} → {r.verdict.value}{by}{detail}")
    reasons.extend(f"{cid} {r.text}: removed" for cid, r in old.items() if cid not in new)
    return reasons


def _position(standing: Standing | None) -> tuple[str, str] | None:
    return None if standing is None else (standing.tier, standing.status)


def tier_changes(session: Session, *, cycle_id: int | None = None, limit: int = 500) -> list[TierChange]:
    """Tier and status changes between a finished cycle (default: the latest) and the finished cycle before it."""
    current = cycle_id or latest_cycle_id(session)
    if current is None:
        return []
    previous = _previous_finished(session, current)
    if previous is None:
        return []

    def standings(cid: int) -> dict[tuple[int, int], Standing]:
        return {(m.segment_id, m.company_id): m for m in member_standings(session, cid)}

    before, after = standings(previous), standings(current)
    # Pairs that joined or left: the other side is a non-member grade (or the pair was not graded).
    for members, other, cid in ((before, after, current), (after, before, previous)):
        missing = sorted({key[1] for key in members if key not in other})
        for start in range(0, len(missing), 500):
            for standing in non_member_standings(session, cid, company_ids=missing[start : start + 500]):
                key = (standing.segment_id, standing.company_id)
                if key in members:
                    other[key] = standing
    changed = sorted(
        (
            (key, before.get(key), after.get(key))
            for key in set(before) | set(after)
            if _position(before.get(key)) != _position(after.get(key))
        ),
        key=lambda item: (Tier(item[2].tier).rank if item[2] else 9, -(item[2].score if item[2] else 0), item[0]),
    )[:limit]
    grade_ids = {m.grade_id for _, b, a in changed for m in (b, a) if m is not None}
    graded = list(rows_by_id(session, Grade, grade_ids).values())
    cycles = rows_by_id(session, Cycle, (previous, current))
    before_results = effective_results(session, graded, as_of=cycles[previous].finished_at)
    after_results = effective_results(session, graded, as_of=cycles[current].finished_at)
    companies = rows_by_id(session, Company, (key[1] for key, _, _ in changed))
    names = segment_names(session)
    out = []
    for (segment_id, company_id), b, a in changed:
        if b is not None and a is not None:
            reasons = _flips(before_results[b.grade_id][0], after_results[a.grade_id][0])
            if not reasons:
                reasons = [f"score moved from {b.score:g} to {a.score:g} (signals or scoring policy)"]
        elif a is None:
            reasons = ["not graded in the latest cycle (failed, deferred, or the segment was switched off)"]
        else:
            reasons = ["first graded in the latest cycle"]
        company = companies[company_id]
        out.append(
            TierChange(
                segment=names[segment_id],
                company_name=company.name,
                domain=company.domain,
                from_tier=b.tier if b else "—",
                to_tier=a.tier if a else "—",
                from_status=b.status if b else "—",
                to_status=a.status if a else "—",
                from_score=b.score if b else None,
                to_score=a.score if a else None,
                reasons=reasons,
            )
        )
    return out


class SegmentStats(BaseModel):
    """Members of one segment in the latest cycle, and how that moved over the last 7 days."""

    segment_id: int
    segment: str
    members: int
    t1: int
    t2: int
    t3: int
    joined_7d: int
    left_7d: int


def segment_stats(session: Session, *, now: datetime | None = None, days: int = 7) -> dict[int, SegmentStats]:
    """Member counts per segment in the latest finished cycle, with joined/left over ``days``.

    The baseline is the newest finished cycle that started at least ``days`` ago, or else the oldest
    finished cycle before the latest; with a single cycle, every member counts as joined.
    """
    current = latest_cycle_id(session)
    if current is None:
        return {}
    now = now or utcnow()
    baseline = session.exec(
        select(Cycle.id)
        .where(col(Cycle.status).in_(FINISHED), col(Cycle.started_at) <= now - timedelta(days=days))
        .order_by(col(Cycle.id).desc())
        .limit(1)
    ).first()
    if baseline is None:
        baseline = session.exec(
            select(Cycle.id)
            .where(col(Cycle.status).in_(FINISHED), col(Cycle.id) < current)
            .order_by(col(Cycle.id))
            .limit(1)
        ).first()

    def members(cid: int | None) -> dict[int, set[int]]:
        found: dict[int, set[int]] = defaultdict(set)
        if cid is None:
            return found
        stmt = sa_select(col(Membership.segment_id), col(Membership.company_id)).where(
            col(Membership.cycle_id) == cid, col(Membership.tier_rank) < Tier.DISQUALIFIED.rank
        )
        for segment_id, company_id in session.execute(stmt):
            found[segment_id].add(company_id)
        return found

    now_members, then_members = members(current), members(baseline)
    tiers: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    stmt = (
        sa_select(col(Membership.segment_id), col(Membership.tier), func.count())
        .where(col(Membership.cycle_id) == current)
        .group_by(col(Membership.segment_id), col(Membership.tier))
    )
    for segment_id, tier, count in session.execute(stmt):
        tiers[segment_id][tier] = count
    names = segment_names(session)
    stats = {}
    for segment_id in set(tiers) | set(now_members):
        current_set, before_set = now_members.get(segment_id, set()), then_members.get(segment_id, set())
        stats[segment_id] = SegmentStats(
            segment_id=segment_id,
            segment=names.get(segment_id, "?"),
            members=len(current_set),
            t1=tiers[segment_id].get("T1", 0),
            t2=tiers[segment_id].get("T2", 0),
            t3=tiers[segment_id].get("T3", 0),
            joined_7d=len(current_set - before_set),
            left_7d=len(before_set - current_set),
        )
    return stats


class Overlap(BaseModel):
    """Two segments whose members are largely the same accounts."""

    segment_a: str
    segment_b: str
    members_a: int
    members_b: int
    shared: int
    jaccard: float
    suggestion: str


def segment_overlaps(session: Session, *, cycle_id: int | None = None, threshold: float = 0.5) -> list[Overlap]:
    """Pairs of segments whose member sets overlap with Jaccard ≥ ``threshold`` in a cycle."""
    cycle_id = cycle_id or latest_cycle_id(session)
    if cycle_id is None:
        return []
    sets: dict[int, set[int]] = defaultdict(set)
    stmt = sa_select(col(Membership.segment_id), col(Membership.company_id)).where(
        col(Membership.cycle_id) == cycle_id, col(Membership.tier_rank) < Tier.DISQUALIFIED.rank
    )
    for segment_id, company_id in session.execute(stmt):
        sets[segment_id].add(company_id)
    names = segment_names(session)
    ids = sorted(sets)
    found = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            shared = len(sets[a] & sets[b])
            union = len(sets[a] | sets[b])
            jaccard = shared / union if union else 0.0
            if jaccard >= threshold:
                found.append(
                    Overlap(
                        segment_a=names[a],
                        segment_b=names[b],
                        members_a=len(sets[a]),
                        members_b=len(sets[b]),
                        shared=shared,
                        jaccard=round(jaccard, 3),
                        suggestion=(
                            f"{jaccard:.0%} of their members are shared: consider merging them, or sharpen one "
                            "segment's requirements so each names a distinct kind of account."
                        ),
                    )
                )
    return sorted(found, key=lambda o: -o.jaccard)


class MembershipPoint(BaseModel):
    """Member count of one segment and tier in one cycle (for charts over time)."""

    cycle_id: int
    started_at: datetime
    segment: str
    tier: str
    count: int


def membership_over_time(session: Session, *, cycles: int = 30) -> list[MembershipPoint]:
    """Members per segment and tier for the last ``cycles`` finished cycles, oldest first."""
    recent = session.exec(
        select(Cycle).where(col(Cycle.status).in_(FINISHED)).order_by(col(Cycle.id).desc()).limit(cycles)
    ).all()
    if not recent:
        return []
    started = {c.id: c.started_at for c in recent}
    names = segment_names(session)
    stmt = (
        sa_select(col(Membership.cycle_id), col(Membership.segment_id), col(Membership.tier), func.count())
        .where(col(Membership.cycle_id).in_(list(started)), col(Membership.tier_rank) < Tier.DISQUALIFIED.rank)
        .group_by(col(Membership.cycle_id), col(Membership.segment_id), col(Membership.tier))
        .order_by(col(Membership.cycle_id))
    )
    return [
        MembershipPoint(cycle_id=cid, started_at=started[cid], segment=names.get(sid, "?"), tier=tier, count=count)
        for cid, sid, tier, count in session.execute(stmt)
    ]
