"""What SDRs read after a cycle: the ranked queue, each account's standing, and why (evidence, score, audit).

How segments change across cycles (history, tier changes, trends, overlaps) is in :mod:`icp.trends`.

Everything here reads the most recent finished cycle (``completed`` or ``partial``) unless a cycle
id is given, so the queue never shows a half-written snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from icp.confirmations import apply_confirmations, confirmations_for
from icp.criteria import compile_segment, research_hint
from icp.domain import CriterionResult, FitStatus, Tier
from icp.errors import NotFoundError
from icp.owners import owned_company_ids
from icp.scoring import unverified_requirements
from icp.store import rows_by_id
from icp.store.tables import Company, Cycle, Grade, Membership, Motion, MotionSegment, Segment, SegmentVersion

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
    status: str
    fit_score: float
    owner: str | None
    summary: str
    needs_research: list[str]
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


def live_segment_ids(session: Session) -> list[int]:
    """Ids of the segments not deleted: a deleted segment's accounts leave every list at once."""
    return [i for i in session.exec(select(Segment.id).where(col(Segment.deleted_at).is_(None))) if i is not None]


def segment_ids_for(session: Session, segment: str | None, motion: str | None) -> list[int]:
    ids = live_segment_ids(session)
    if segment:
        key = segment.strip().casefold()
        row = session.exec(select(Segment).where(Segment.name_key == key, col(Segment.deleted_at).is_(None))).first()
        if row is None or row.id is None:
            deleted = session.exec(
                select(Segment).where(Segment.name_key == key).order_by(col(Segment.deleted_at).desc())
            ).first()
            if deleted is not None and deleted.deleted_at is not None:
                raise NotFoundError(
                    f"Segment {deleted.name!r} was deleted on {deleted.deleted_at:%Y-%m-%d %H:%M} UTC; its accounts "
                    "left the queue and its tasks stay as they were (`icp tasks list`)."
                )
            raise NotFoundError(f"No segment named {segment!r}. See `icp segments list`.")
        ids = [row.id]
    if motion:
        m = session.exec(select(Motion).where(Motion.name == motion)).first()
        if m is None:
            raise NotFoundError(f"No motion named {motion!r}. See `icp motions list`.")
        motion_ids = set(session.exec(select(MotionSegment.segment_id).where(MotionSegment.motion_id == m.id)))
        ids = [i for i in ids if i in motion_ids]
    return ids


def effective_results(
    session: Session, grades: Sequence[Grade], *, as_of: datetime | None = None
) -> dict[int, tuple[list[CriterionResult], bool]]:
    """Each grade's results as an SDR should read them (a person's confirmed verdicts in place), by grade id.

    The flag says whether a confirmation changed any verdict. ``as_of`` applies only the confirmations made
    by then, as a cycle that finished then saw them.
    """
    confirmed = confirmations_for(session, (g.company_id for g in grades), as_of=as_of)
    out: dict[int, tuple[list[CriterionResult], bool]] = {}
    for grade in grades:
        assert grade.id is not None
        stored = [CriterionResult.model_validate(r) for r in grade.results]
        out[grade.id] = apply_confirmations(stored, confirmed.get(grade.company_id, {}))
    return out


def needs_research(version: SegmentVersion, results: Sequence[CriterionResult]) -> list[str]:
    """What to confirm before an unverified account is qualified: each unknown requirement and where to look."""
    unknown = {r.id for r in unverified_requirements(results)}
    if not unknown:
        return []
    compiled = compile_segment(version.name, version.requirements, version.nice_to_haves)
    return [research_hint(c) for c in compiled.criteria if c.id in unknown]


def _criteria(results: Sequence[CriterionResult]) -> list[CriterionView]:
    views = []
    for result in results:
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
    status: str
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
            status=FitStatus.DISQUALIFIED.value,
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
    status: str | None = None,
    owner: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Standing]:
    """Members of a cycle, in queue order (tier, then qualified before unverified, then score)."""
    stmt = select(Membership).where(Membership.cycle_id == cycle_id)
    if owner:
        stmt = stmt.where(col(Membership.company_id).in_(owned_company_ids(owner)))
    if segment_ids is not None:
        stmt = stmt.where(col(Membership.segment_id).in_(segment_ids))
    if company_ids is not None:
        stmt = stmt.where(col(Membership.company_id).in_(company_ids))
    if tier:
        stmt = stmt.where(Membership.tier == tier)
    if status:
        stmt = stmt.where(Membership.status == status)
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
            status=m.status,
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
    status: str | None = None,
    owner: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
    cycle_id: int | None = None,
) -> list[QueueEntry]:
    """Accounts ranked by tier, then status (qualified first), then fit score, from the latest finished cycle.

    Members only, unless ``tier`` or ``status`` is ``"disqualified"``: then the non-members, best score first.
    ``status`` keeps only ``"qualified"`` or only ``"unverified"`` members; ``owner`` only that rep's accounts.
    """
    cycle_id = cycle_id or latest_cycle_id(session)
    if cycle_id is None:
        return []
    segment_ids = segment_ids_for(session, segment, motion)
    if status is not None:
        status = FitStatus(status).value
    if tier == Tier.DISQUALIFIED.value or status == FitStatus.DISQUALIFIED.value:
        owned = list(session.exec(owned_company_ids(owner))) if owner else None
        memberships = non_member_standings(
            session,
            cycle_id,
            segment_ids=segment_ids,
            company_ids=[i for i in owned if i is not None] if owned is not None else None,
            limit=limit,
            offset=offset,
        )
    else:
        memberships = member_standings(
            session,
            cycle_id,
            segment_ids=segment_ids,
            tier=Tier(tier).value if tier else None,
            status=status,
            owner=owner,
            limit=limit,
            offset=offset,
        )
    return _entries(session, memberships, cycle_id, offset)


def queue_entry(
    session: Session, company_id: int, segment_id: int, *, cycle_id: int | None = None
) -> QueueEntry | None:
    """One account's full standing in one segment (criteria, evidence, what to research), for a detail panel."""
    cycle_id = cycle_id or latest_cycle_id(session)
    if cycle_id is None:
        return None
    found = member_standings(session, cycle_id, segment_ids=[segment_id], company_ids=[company_id]) or (
        non_member_standings(session, cycle_id, segment_ids=[segment_id], company_ids=[company_id])
    )
    entries = _entries(session, found, cycle_id, 0)
    return entries[0] if entries else None


def entries_for(session: Session, pairs: Sequence[tuple[int, int]], *, cycle_id: int) -> list[QueueEntry]:
    """Members' full standings for (company id, segment id) pairs, in the order given (missing pairs left out)."""
    if not pairs:
        return []
    found = member_standings(
        session,
        cycle_id,
        segment_ids=sorted({s for _, s in pairs}),
        company_ids=sorted({c for c, _ in pairs}),
    )
    by_pair = {(e.company_id, e.segment_id): e for e in _entries(session, found, cycle_id, 0)}
    return [by_pair[pair] for pair in pairs if pair in by_pair]


def _entries(session: Session, memberships: Sequence[Standing], cycle_id: int, offset: int) -> list[QueueEntry]:
    if not memberships:
        return []
    companies = rows_by_id(session, Company, (m.company_id for m in memberships))
    grades = rows_by_id(session, Grade, (m.grade_id for m in memberships))
    versions = rows_by_id(session, SegmentVersion, (m.segment_version_id for m in memberships))
    results = effective_results(session, list(grades.values()))
    entries = []
    for index, m in enumerate(memberships, start=offset + 1):
        company, grade, version = companies[m.company_id], grades[m.grade_id], versions[m.segment_version_id]
        criteria = results[m.grade_id][0]
        entries.append(
            QueueEntry(
                rank=index,
                company_name=company.name,
                domain=company.domain,
                segment=version.name,
                segment_version=version.version,
                tier=m.tier,
                status=m.status,
                fit_score=m.score,
                owner=company.owner,
                summary=grade.summary,
                needs_research=needs_research(version, criteria) if m.status == FitStatus.UNVERIFIED else [],
                criteria=_criteria(criteria),
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


class CompanyMembership(BaseModel):
    """Where one company stands in one segment in a finished cycle."""

    segment: str
    segment_id: int
    segment_version: int
    tier: str
    status: str
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
    live = live_segment_ids(session)
    standings = member_standings(session, cycle_id, segment_ids=live, company_ids=[company_id]) + non_member_standings(
        session, cycle_id, segment_ids=live, company_ids=[company_id]
    )
    versions = rows_by_id(session, SegmentVersion, (m.segment_version_id for m in standings))
    grades = rows_by_id(session, Grade, (m.grade_id for m in standings))
    return [
        CompanyMembership(
            segment=versions[m.segment_version_id].name,
            segment_id=m.segment_id,
            segment_version=versions[m.segment_version_id].version,
            tier=m.tier,
            status=m.status,
            fit_score=m.score,
            summary=grades[m.grade_id].summary,
            grade_id=m.grade_id,
            cycle_id=cycle_id,
        )
        for m in sorted(standings, key=lambda m: (Tier(m.tier).rank, -m.score, versions[m.segment_version_id].name))
    ]
