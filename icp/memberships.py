"""Membership snapshots: where every graded company stands in every pinned segment at the end of a cycle.

A member's row holds its tier, status and score: the grade's base score (re-scored here, without a new
evaluation, when the scoring policy changed), plus its decayed signals, with any confirmed verdict of a
person applied in place of the evaluator's. Non-members are not stored (see :mod:`icp.queue`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from icp.confirmations import apply_confirmations, confirmations_for
from icp.domain import CriterionResult, FitStatus, Signal
from icp.primary import choose_primaries
from icp.scoring import ScoringPolicy, base_score, rank_key, signal_contributions, tier_for
from icp.store.tables import Grade as GradeRow
from icp.store.tables import Membership
from icp.store.tables import Signal as SignalRow


class PinnedVersion(Protocol):
    """What a membership needs of a pinned segment version (``icp.cycle.PinnedSegment`` has it)."""

    @property
    def segment_id(self) -> int: ...
    @property
    def version_id(self) -> int: ...
    @property
    def t1_threshold(self) -> float | None: ...
    @property
    def t2_threshold(self) -> float | None: ...


def write_memberships(
    session: Session,
    cycle_id: int,
    pinned: Collection[PinnedVersion],
    reuse_ids: Collection[int],
    graded_hashes: Collection[str],
    policy: ScoringPolicy,
    phash: str,
    now: datetime,
) -> None:
    """Snapshot tier, status and score of every pair the cycle graded or reused (``reuse_ids``, ``graded_hashes``).

    ``pinned`` are the cycle's pinned segment versions (``segment_id``, ``version_id`` and tier thresholds).
    """
    version_ids = [p.version_id for p in pinned]
    if not version_ids:
        return
    pinned_by_version = {p.version_id: p for p in pinned}
    signals: dict[int, list[Signal]] = {}
    for row in session.exec(select(SignalRow)):
        signals.setdefault(row.company_id, []).append(
            Signal(type=row.type, topic=row.topic, strength=row.strength, observed_at=row.observed_at)
        )
    signal_points = {
        cid: sum(c.points for c in signal_contributions(items, now, policy)) for cid, items in signals.items()
    }
    policies = {p.version_id: policy.with_thresholds(p.t1_threshold, p.t2_threshold) for p in pinned}

    stmt = sa_select(
        col(GradeRow.id),
        col(GradeRow.company_id),
        col(GradeRow.segment_version_id),
        col(GradeRow.base_score),
        col(GradeRow.fit_status),
        col(GradeRow.policy_hash),
        col(GradeRow.input_hash),
    ).where(
        col(GradeRow.segment_version_id).in_(version_ids),
        col(GradeRow.status) == "ok",
        # Members only: non-members are most pairs, and their standing is their grade (see icp.queue).
        # Grades scored under another policy are read too, to be re-scored.
        or_(
            col(GradeRow.disqualified).is_(False),
            col(GradeRow.policy_hash).is_(None),
            col(GradeRow.policy_hash) != phash,
        ),
    )
    reuse_ids, graded_hashes = set(reuse_ids), set(graded_hashes)

    def in_cycle(grade_id: int | None, input_hash: str) -> bool:
        # Not graded by another evaluator, nor for an older content of the company.
        return grade_id in reuse_ids or input_hash in graded_hashes

    def member(company_id: int, version_id: int, grade_id: int, base: float, status: FitStatus) -> dict[str, Any]:
        return _membership(
            cycle_id,
            pinned_by_version[version_id],
            company_id,
            grade_id,
            base,
            status,
            signal_points.get(company_id, 0.0),
            policies[version_id],
        )

    rows: dict[tuple[int, int], dict[str, Any]] = {}
    rescore: list[int] = []
    for grade_id, company_id, version_id, base, status, gphash, input_hash in session.execute(stmt):
        if not in_cycle(grade_id, input_hash):
            continue
        assert grade_id is not None
        if gphash != phash or base is None or status is None:
            rescore.append(grade_id)
            continue
        if status != FitStatus.DISQUALIFIED:
            rows[(company_id, version_id)] = member(company_id, version_id, grade_id, base, FitStatus(status))
    for grade in session.exec(select(GradeRow).where(col(GradeRow.id).in_(rescore))) if rescore else ():
        results = [CriterionResult.model_validate(r) for r in grade.results]
        grade.base_score, fit = base_score(results, policy)
        grade.disqualified, grade.fit_status, grade.policy_hash = fit is FitStatus.DISQUALIFIED, fit.value, phash
        session.add(grade)
        assert grade.id is not None
        if fit is not FitStatus.DISQUALIFIED:
            rows[(grade.company_id, grade.segment_version_id)] = member(
                grade.company_id, grade.segment_version_id, grade.id, grade.base_score, fit
            )
    # A person's confirmed verdict overrides the evaluator's: re-score those companies' grades with it.
    confirmed = {
        cid: found for cid, found in confirmations_for(session).items() if any(not c.stale for c in found.values())
    }
    if confirmed:
        overridden = select(GradeRow).where(
            col(GradeRow.segment_version_id).in_(version_ids),
            col(GradeRow.status) == "ok",
            col(GradeRow.company_id).in_(list(confirmed)),
        )
        for grade in session.exec(overridden):
            if not in_cycle(grade.id, grade.input_hash):
                continue
            assert grade.id is not None
            stored = [CriterionResult.model_validate(r) for r in grade.results]
            results, applied = apply_confirmations(stored, confirmed[grade.company_id])
            if not applied:
                continue
            base, fit = base_score(results, policy)
            key = (grade.company_id, grade.segment_version_id)
            rows.pop(key, None)
            if fit is not FitStatus.DISQUALIFIED:
                rows[key] = {**member(*key, grade.id, base, fit), "confirmed": True}
    values = list(rows.values())
    for start in range(0, len(values), 5000):
        session.execute(Membership.__table__.insert(), values[start : start + 5000])  # type: ignore[attr-defined]
    choose_primaries(session, cycle_id)
    session.commit()


def _membership(
    cycle_id: int,
    pinned: PinnedVersion,
    company_id: int,
    grade_id: int,
    base: float,
    status: FitStatus,
    signal_points: float,
    policy: ScoringPolicy,
) -> dict[str, Any]:
    """A member's row: its base score plus decayed signals, tiered by the segment's thresholds and its status."""
    score = round(min(100.0, base + signal_points), 2)
    tier = tier_for(score, policy, status)
    return {
        "cycle_id": cycle_id,
        "segment_id": pinned.segment_id,
        "segment_version_id": pinned.version_id,
        "company_id": company_id,
        "grade_id": grade_id,
        "tier": tier.value,
        "tier_rank": tier.rank,
        "status": status.value,
        "score": score,
        "rank_key": rank_key(tier, status, score),
        "confirmed": False,
    }
