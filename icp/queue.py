"""What SDRs and leaders read after a cycle: the ranked queue, explanations, changes, trends, overlaps.

Everything here reads the most recent finished cycle (``completed`` or ``partial``) unless a cycle
id is given, so the queue never shows a half-written snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from icp.companies import company_signals
from icp.cycle import CycleCounts
from icp.domain import CriterionResult, Tier
from icp.domain import Grade as Grade_
from icp.errors import NotFoundError
from icp.evaluators.base import Evaluator
from icp.scoring import DEFAULT_POLICY, ScoreBreakdown, ScoringPolicy, score_grade
from icp.store import rows_by_id, segment_names
from icp.store.tables import Company, Cycle, Grade, Membership, Motion, MotionSegment, Segment, SegmentVersion, utcnow

FINISHED = ("completed", "partial")


class CriterionView(BaseModel):
    """One criterion's verdict for one account."""

    id: str
    kind: str
    text: str
    verdict: str
    evidence: str
    confidence: float
    source: str
    note: str = ""


class QueueEntry(BaseModel):
    """One ranked account in one segment. The JSON field names are a stable interface."""

    rank: int
    company_name: str
    domain: str
    segment: str
    segment_version: int
    tier: str
    fit_score: float
    summary: str
    criteria: list[CriterionView]
    company_id: int
    segment_id: int
    grade_id: int
    cycle_id: int
    evaluator: str
    model: str | None
    prompt_id: str | None


def latest_cycle_id(session: Session) -> int | None:
    """The newest finished cycle, if any."""
    return session.exec(
        select(Cycle.id).where(col(Cycle.status).in_(FINISHED)).order_by(col(Cycle.id).desc()).limit(1)
    ).first()


def _segment_ids_for(session: Session, segment: str | None, motion: str | None) -> list[int] | None:
    ids: list[int] | None = None
    if segment:
        row = session.exec(
            select(Segment).where(Segment.name_key == segment.strip().casefold(), col(Segment.deleted_at).is_(None))
        ).first()
        if row is None or row.id is None:
            raise NotFoundError(f"No segment named {segment!r}. See `icp segments list`.")
        ids = [row.id]
    if motion:
        m = session.exec(select(Motion).where(Motion.name == motion)).first()
        if m is None:
            raise NotFoundError(f"No motion named {motion!r}. See `icp motions list`.")
        motion_ids = list(session.exec(select(MotionSegment.segment_id).where(MotionSegment.motion_id == m.id)))
        ids = motion_ids if ids is None else [i for i in ids if i in motion_ids]
    return ids


def _criteria(results: Sequence[dict[str, object]]) -> list[CriterionView]:
    views = []
    for r in results:
        result = CriterionResult.model_validate(r)
        views.append(
            CriterionView(
                id=result.id,
                kind=result.kind.value,
                text=result.text,
                verdict=result.verdict.value,
                evidence=result.evidence,
                confidence=result.confidence,
                source=result.source,
                note=result.note,
            )
        )
    return views


class Standing(BaseModel):
    """Where one company stood in one segment at the end of a cycle: a member row, or a non-member's grade."""

    segment_id: int
    segment_version_id: int
    company_id: int
    grade_id: int
    tier: str
    score: float


def _pinned_version_ids(cycle: Cycle, segment_ids: Sequence[int] | None) -> dict[int, int]:
    """version_id -> segment_id for the versions a cycle pinned (optionally only some segments)."""
    return {
        int(p["version_id"]): int(p["segment_id"])
        for p in cycle.pinned
        if segment_ids is None or int(p["segment_id"]) in segment_ids
    }


def non_member_standings(
    session: Session,
    cycle_id: int,
    *,
    segment_ids: Sequence[int] | None = None,
    company_ids: Sequence[int] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Standing]:
    """Disqualified pairs of a finished cycle, best score first.

    Cycles store member rows only (most pairs are not members, and a snapshot of them would dominate
    every cycle's writes); a non-member's standing is the newest successful grade of the cycle's
    evaluator for the pinned version that existed when the cycle finished.
    """
    cycle = session.get(Cycle, cycle_id)
    if cycle is None or cycle.finished_at is None:
        return []
    versions = _pinned_version_ids(cycle, segment_ids)
    if not versions:
        return []
    latest = (
        sa_select(func.max(col(Grade.id)))
        .where(
            col(Grade.segment_version_id).in_(list(versions)),
            col(Grade.evaluator) == cycle.evaluator,
            col(Grade.model).is_(None) if cycle.model is None else col(Grade.model) == cycle.model,
            col(Grade.status) == "ok",
            col(Grade.created_at) <= cycle.finished_at,
        )
        .group_by(col(Grade.company_id), col(Grade.segment_version_id))
    )
    if company_ids is not None:
        latest = latest.where(col(Grade.company_id).in_(list(company_ids)))
    stmt = (
        sa_select(col(Grade.id), col(Grade.company_id), col(Grade.segment_version_id), col(Grade.base_score))
        .where(col(Grade.id).in_(latest), col(Grade.disqualified).is_(True))
        .order_by(col(Grade.base_score).desc(), col(Grade.company_id), col(Grade.segment_version_id))
        .offset(offset)
    )
    if limit:
        stmt = stmt.limit(limit)
    return [
        Standing(
            segment_id=versions[version_id],
            segment_version_id=version_id,
            company_id=company_id,
            grade_id=grade_id,
            tier=Tier.DISQUALIFIED.value,
            score=base or 0.0,
        )
        for grade_id, company_id, version_id, base in session.execute(stmt)
    ]


def member_standings(
    session: Session,
    cycle_id: int,
    *,
    segment_ids: Sequence[int] | None = None,
    company_ids: Sequence[int] | None = None,
    tier: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Standing]:
    """Members of a cycle, in queue order (tier, then score)."""
    stmt = select(Membership).where(Membership.cycle_id == cycle_id)
    if segment_ids is not None:
        stmt = stmt.where(col(Membership.segment_id).in_(segment_ids))
    if company_ids is not None:
        stmt = stmt.where(col(Membership.company_id).in_(company_ids))
    if tier:
        stmt = stmt.where(Membership.tier == tier)
    # Ties broken down to the segment, so every database returns the same order (and pages never overlap).
    stmt = stmt.order_by(col(Membership.rank_key), col(Membership.company_id), col(Membership.segment_id)).offset(
        offset
    )
    if limit:
        stmt = stmt.limit(limit)
    return [
        Standing(
            segment_id=m.segment_id,
            segment_version_id=m.segment_version_id,
            company_id=m.company_id,
            grade_id=m.grade_id,
            tier=m.tier,
            score=m.score,
        )
        for m in session.exec(stmt)
    ]


def ranked_queue(
    session: Session,
    *,
    segment: str | None = None,
    motion: str | None = None,
    tier: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
    cycle_id: int | None = None,
) -> list[QueueEntry]:
    """Accounts ranked by tier, then fit score, from the latest finished cycle (or ``cycle_id``).

    Members only, unless ``tier`` is ``"disqualified"``: then the non-members, best score first.
    """
    cycle_id = cycle_id or latest_cycle_id(session)
    if cycle_id is None:
        return []
    segment_ids = _segment_ids_for(session, segment, motion)
    if tier == Tier.DISQUALIFIED.value:
        memberships = non_member_standings(session, cycle_id, segment_ids=segment_ids, limit=limit, offset=offset)
    else:
        memberships = member_standings(
            session,
            cycle_id,
            segment_ids=segment_ids,
            tier=Tier(tier).value if tier else None,
            limit=limit,
            offset=offset,
        )
    if not memberships:
        return []
    companies = rows_by_id(session, Company, (m.company_id for m in memberships))
    grades = rows_by_id(session, Grade, (m.grade_id for m in memberships))
    versions = rows_by_id(session, SegmentVersion, (m.segment_version_id for m in memberships))
    entries = []
    for index, m in enumerate(memberships, start=offset + 1):
        company, grade, version = companies[m.company_id], grades[m.grade_id], versions[m.segment_version_id]
        entries.append(
            QueueEntry(
                rank=index,
                company_name=company.name,
                domain=company.domain,
                segment=version.name,
                segment_version=version.version,
                tier=m.tier,
                fit_score=m.score,
                summary=grade.summary,
                criteria=_criteria(grade.results),
                company_id=m.company_id,
                segment_id=m.segment_id,
                grade_id=m.grade_id,
                cycle_id=cycle_id,
                evaluator=grade.evaluator,
                model=grade.model,
                prompt_id=grade.prompt_id,
            )
        )
    return entries


class GradeAudit(BaseModel):
    """What produced a grade: shown next to it so an SDR can trust (or challenge) it."""

    grade_id: int
    input_hash: str
    evaluator: str
    model: str | None
    prompt_id: str | None
    prompt_hash: str | None
    segment_version: int
    tokens_in: int
    tokens_out: int
    tokens_cached: int
    cost_usd: float
    latency_ms: float
    attempts: int
    created_at: datetime


def score_breakdown(
    session: Session, grade_id: int, *, now: datetime | None = None, policy: ScoringPolicy = DEFAULT_POLICY
) -> ScoreBreakdown:
    """Recompute a stored grade's score with the company's signals, contribution by contribution."""
    grade = session.get(Grade, grade_id)
    if grade is None:
        raise NotFoundError(f"No grade with id {grade_id}.")
    results = [CriterionResult.model_validate(r) for r in grade.results]
    return score_grade(results, signals=company_signals(session, grade.company_id), now=now or utcnow(), policy=policy)


def grade_audit(session: Session, grade_id: int) -> GradeAudit:
    """The provenance of one stored grade."""
    grade = session.get(Grade, grade_id)
    if grade is None:
        raise NotFoundError(f"No grade with id {grade_id}.")
    version = session.get(SegmentVersion, grade.segment_version_id)
    assert grade.id is not None and version is not None
    return GradeAudit(
        grade_id=grade.id,
        input_hash=grade.input_hash,
        evaluator=grade.evaluator,
        model=grade.model,
        prompt_id=grade.prompt_id,
        prompt_hash=grade.prompt_hash,
        segment_version=version.version,
        tokens_in=grade.tokens_in,
        tokens_out=grade.tokens_out,
        tokens_cached=grade.tokens_cached,
        cost_usd=grade.cost_usd,
        latency_ms=grade.latency_ms,
        attempts=grade.attempts,
        created_at=grade.created_at,
    )


class CycleInfo(CycleCounts):
    """One cycle in the history."""

    id: int
    segments: int


def cycle_history(session: Session, limit: int = 20) -> list[CycleInfo]:
    """Cycles, newest first."""
    rows = session.exec(select(Cycle).order_by(col(Cycle.id).desc()).limit(limit)).all()
    return [CycleInfo.model_validate({**c.model_dump(), "segments": len(c.pinned)}) for c in rows if c.id is not None]


class TierChange(BaseModel):
    """A company whose tier in a segment moved between two cycles, and why."""

    segment: str
    company_name: str
    domain: str
    from_tier: str
    to_tier: str
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


def _flips(before: Sequence[dict[str, object]], after: Sequence[dict[str, object]]) -> list[str]:
    old = {str(r["id"]): r for r in before}
    new = {str(r["id"]): r for r in after}
    reasons = []
    for cid, r in new.items():
        prior = old.get(cid)
        if prior is None:
            reasons.append(f"{cid} {r['text']}: new criterion ({r['verdict']})")
        elif prior["verdict"] != r["verdict"]:
            detail = f" — {r['evidence']}" if r.get("evidence") else ""
            reasons.append(f"{cid} {r['text']}: {prior['verdict']} → {r['verdict']}{detail}")
    reasons.extend(f"{cid} {r['text']}: removed" for cid, r in old.items() if cid not in new)
    return reasons


def tier_changes(session: Session, *, cycle_id: int | None = None, limit: int = 500) -> list[TierChange]:
    """Tier changes between a finished cycle (default: the latest) and the finished cycle before it."""
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
            if (before[key].tier if key in before else None) != (after[key].tier if key in after else None)
        ),
        key=lambda item: (Tier(item[2].tier).rank if item[2] else 9, -(item[2].score if item[2] else 0), item[0]),
    )[:limit]
    grade_ids = {m.grade_id for _, b, a in changed for m in (b, a) if m is not None}
    grades = rows_by_id(session, Grade, grade_ids)
    companies = rows_by_id(session, Company, (key[1] for key, _, _ in changed))
    names = segment_names(session)
    out = []
    for (segment_id, company_id), b, a in changed:
        if b is not None and a is not None:
            reasons = _flips(grades[b.grade_id].results, grades[a.grade_id].results)
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


class PairGrade(BaseModel):
    """One company graded live against one segment's current version, with its score breakdown."""

    company_name: str
    domain: str
    segment: str
    segment_version: int
    grade: Grade_
    breakdown: ScoreBreakdown


def grade_company(
    session: Session,
    evaluator: Evaluator,
    segment: str,
    domain: str,
    *,
    now: datetime | None = None,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> PairGrade:
    """Grade one pair now (nothing stored): what ``icp grade`` prints and the UI's "try it" uses."""
    from icp.companies import get_company, profile_of
    from icp.criteria import compile_segment
    from icp.segments import get_segment

    info = get_segment(session, segment)
    company = get_company(session, domain)
    assert company.id is not None
    compiled = compile_segment(info.name, info.requirements, info.nice_to_haves)
    grade = evaluator.grade(profile_of(company), compiled)
    segment_policy = policy.with_thresholds(info.t1_threshold, info.t2_threshold)
    breakdown = score_grade(
        grade.results, signals=company_signals(session, company.id), now=now or utcnow(), policy=segment_policy
    )
    return PairGrade(
        company_name=company.name,
        domain=company.domain,
        segment=info.name,
        segment_version=info.version,
        grade=grade,
        breakdown=breakdown,
    )


class CompanyMembership(BaseModel):
    """Where one company stands in one segment in a finished cycle."""

    segment: str
    segment_id: int
    segment_version: int
    tier: str
    fit_score: float
    summary: str
    grade_id: int
    cycle_id: int


def company_memberships(session: Session, company_id: int, *, cycle_id: int | None = None) -> list[CompanyMembership]:
    """Every segment a company was graded against in the latest finished cycle (or ``cycle_id``).

    Best tier first, then score; disqualified segments are included so a reader sees why an account is
    not in a segment as well as where it is.
    """
    cycle_id = cycle_id or latest_cycle_id(session)
    if cycle_id is None:
        return []
    standings = member_standings(session, cycle_id, company_ids=[company_id]) + non_member_standings(
        session, cycle_id, company_ids=[company_id]
    )
    versions = rows_by_id(session, SegmentVersion, (m.segment_version_id for m in standings))
    grades = rows_by_id(session, Grade, (m.grade_id for m in standings))
    return [
        CompanyMembership(
            segment=versions[m.segment_version_id].name,
            segment_id=m.segment_id,
            segment_version=versions[m.segment_version_id].version,
            tier=m.tier,
            fit_score=m.score,
            summary=grades[m.grade_id].summary,
            grade_id=m.grade_id,
            cycle_id=cycle_id,
        )
        for m in sorted(standings, key=lambda m: (Tier(m.tier).rank, -m.score, versions[m.segment_version_id].name))
    ]
