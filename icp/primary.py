"""Each account's primary segment in a cycle, chosen once so the work list never has to choose per query.

An account that is a member of several segments is listed once, under the segment with the highest
priority, then the higher score, then the older segment. Choosing that with a window over every
membership on each page of the work list is what made opening the queue cost more as the book grew, so
the choice is stored on the memberships (``is_primary``) when the cycle writes them.

The choice depends on which of the cycle's segments are still live and on their priorities. The cycle
records the *basis* it chose under (:func:`primary_basis`); a reader trusts the stored flags only while
the basis still holds, and otherwise chooses per query as before. Deleting a segment or changing a
priority re-chooses for the newest cycle at once (:func:`rechoose_newest`), so the fast path is the usual one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from icp.hashing import content_hash
from icp.store.tables import Cycle, Membership, Segment


def primary_order() -> tuple[Any, ...]:
    """The order that picks an account's primary membership first (memberships joined to their segment)."""
    return (col(Segment.priority).desc(), col(Membership.score).desc(), col(Membership.segment_id))


def primary_basis(session: Session, cycle_id: int) -> str:
    """A fingerprint of what the choice depends on: which of the cycle's segments are live, and their priorities.

    Segments created after the cycle have no members in it, so they leave the basis (and the flags) as is.
    """
    pinned = session.exec(select(Cycle.pinned).where(Cycle.id == cycle_id)).first() or []
    return _basis(session, pinned)


def _basis(session: Session, pinned: Sequence[Any]) -> str:
    ids = sorted({int(p["segment_id"]) for p in pinned})
    live = session.exec(
        select(Segment.id, Segment.priority)
        .where(col(Segment.id).in_(ids), col(Segment.deleted_at).is_(None))
        .order_by(col(Segment.id))
    ).all()
    return content_hash([[segment_id, priority] for segment_id, priority in live])


def choose_primaries(session: Session, cycle_id: int) -> None:
    """Mark each account's primary membership in ``cycle_id`` among the live segments, and record the basis.

    One statement over the cycle's memberships; the caller commits.
    """
    picks = (
        sa_select(
            col(Membership.id),
            func.row_number().over(partition_by=col(Membership.company_id), order_by=primary_order()).label("pick"),
        )
        .join(Segment, col(Segment.id) == col(Membership.segment_id))
        .where(col(Membership.cycle_id) == cycle_id, col(Segment.deleted_at).is_(None))
        .subquery()
    )
    chosen = sa_select(picks.c.id).where(picks.c.pick == 1)
    session.execute(
        update(Membership).where(col(Membership.cycle_id) == cycle_id).values(is_primary=col(Membership.id).in_(chosen))
    )
    basis = primary_basis(session, cycle_id)
    session.execute(update(Cycle).where(col(Cycle.id) == cycle_id).values(primary_basis=basis))


def primaries_hold(session: Session, cycle_id: int) -> bool:
    """Whether the flags stored for ``cycle_id`` were chosen under today's live segments and priorities."""
    found = session.exec(select(Cycle.primary_basis, Cycle.pinned).where(Cycle.id == cycle_id)).first()
    if found is None or found[0] is None:
        return False
    stored, pinned = found
    return bool(stored == _basis(session, pinned or []))


def rechoose_newest(session: Session) -> None:
    """After a segment's deletion or a priority change: choose again for the newest cycle that has a choice."""
    newest = session.exec(
        select(Cycle.id).where(col(Cycle.primary_basis).is_not(None)).order_by(col(Cycle.id).desc()).limit(1)
    ).first()
    if newest is not None:
        choose_primaries(session, newest)
