"""The SDR's work list: one row per account, fast at any size.

An account that is a member of several segments is listed once, under its **primary segment** (the
highest segment priority, then the higher score — the same rule motions use), with the others as "also
in". Filtering, sorting and paging happen in the database, so opening a page costs the same for a book of
a thousand accounts or a hundred thousand; only the rows of the page are read in full. The detail of one
account (every verdict, the breakdown, the audit trail) is :func:`icp.queue.ranked_queue` with that
account's segment, built only when someone opens it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field
from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from icp.domain import CriterionResult, FitStatus, Tier
from icp.errors import InputError
from icp.primary import primaries_hold, primary_order
from icp.queue import QueueEntry, effective_results, entries_for, latest_cycle_id, ranked_queue, segment_ids_for
from icp.scoring import top_reasons
from icp.store import rows_by_id
from icp.store.tables import Company, Grade, Membership, ProspectingTask, Segment

QueueSort = Literal["rank", "score", "tier", "status", "company", "segment", "owner", "due"]
"""What the work list can be sorted by. ``rank`` is best first (tier, qualified before unverified, score)."""
QUEUE_SORTS: tuple[str, ...] = get_args(QueueSort)


class AccountRow(BaseModel):
    """One account in the work list."""

    rank: int = Field(description="The account's place in the best-first order, whatever the list is sorted by.")
    company_id: int
    company_name: str
    domain: str
    segment: str
    segment_id: int
    tier: str
    status: str
    score: float
    owner: str | None
    also_in: list[str] = Field(description="The account's other segments in this cycle.")
    top_reason: str
    open_task_id: int | None
    due_date: date | None
    grade_id: int


class AccountPage(BaseModel):
    """A page of the work list and how many accounts the whole filtered view holds."""

    cycle_id: int | None
    total: int
    rows: list[AccountRow]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def account_queue(
    session: Session,
    *,
    segment: str | None = None,
    motion: str | None = None,
    tier: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
    cycle_id: int | None = None,
    sort: str = "rank",
    descending: bool = False,
) -> AccountPage:
    """One page of accounts from the latest cycle, best first (tier, qualified before unverified, score).

    ``sort`` orders the whole filtered view in the database (not just the page), so page 2 continues
    where page 1 ended; ties keep the best-first order. Accounts without an owner or an open task come
    last in either direction. ``rank`` stays each account's best-first place.
    """
    if sort not in QUEUE_SORTS:
        raise InputError(f"Cannot sort the queue by {sort!r}; choose one of: {', '.join(QUEUE_SORTS)}.")
    cycle_id = cycle_id or latest_cycle_id(session)
    if cycle_id is None:
        return AccountPage(cycle_id=None, total=0, rows=[])
    segment_ids = segment_ids_for(session, segment, motion)
    columns = (
        col(Membership.company_id),
        col(Membership.segment_id),
        col(Membership.grade_id),
        col(Membership.tier),
        col(Membership.status),
        col(Membership.score),
        col(Membership.rank_key),
    )
    in_view = (col(Membership.cycle_id) == cycle_id, col(Membership.segment_id).in_(segment_ids))
    chosen = len(segment_ids) == 1 or (not segment and not motion and primaries_hold(session, cycle_id))
    if chosen:
        # One segment lists each account once; across every segment the cycle chose each account's primary.
        view = sa_select(*columns).where(*in_view)
        if len(segment_ids) != 1:
            view = view.where(col(Membership.is_primary))
    else:
        # A motion's segments (or a choice made before a segment change): choose the primary per query.
        pick = func.row_number().over(partition_by=col(Membership.company_id), order_by=primary_order())
        picked = (
            sa_select(*columns, pick.label("pick"))
            .join(Segment, col(Segment.id) == col(Membership.segment_id))
            .where(*in_view)
            .subquery()
        )
        view = sa_select(*(c for c in picked.c if c.name != "pick")).where(picked.c.pick == 1)
    ranked = view.subquery()
    stmt = sa_select(ranked)
    if sort == "segment":
        stmt = stmt.join(Segment, col(Segment.id) == ranked.c.segment_id)
    if owner or (search and search.strip()) or sort in ("company", "owner"):
        # Company rows are wide: read them for the whole view only when a filter or the order needs them.
        stmt = stmt.join(Company, col(Company.id) == ranked.c.company_id)
    if tier:
        stmt = stmt.where(ranked.c.tier == Tier(tier).value)
    if status:
        stmt = stmt.where(ranked.c.status == FitStatus(status).value)
    if owner:
        stmt = stmt.where(col(Company.owner) == owner)
    if search and search.strip():
        pattern = _like(search.strip().lower())
        stmt = stmt.where(
            or_(
                func.lower(col(Company.name)).like(pattern, escape="\\"), col(Company.domain).like(pattern, escape="\\")
            )
        )
    best_first = (ranked.c.rank_key, ranked.c.company_id, ranked.c.segment_id)
    paged = stmt
    if not chosen:
        # The view's size comes with the page: one pass over the window instead of computing it twice.
        paged = paged.add_columns(func.count().over().label("view_total"))
    if sort != "rank":
        # Each account keeps its best-first place as its rank, counted over the filtered view.
        paged = paged.add_columns(func.row_number().over(order_by=best_first).label("best_rank"))
    page = session.execute(
        paged.order_by(*_sort_keys(sort, descending, ranked), *best_first).offset(offset).limit(limit)
    ).all()
    count = sa_select(func.count()).select_from(stmt.subquery())
    if not page:
        total = 0 if offset == 0 else int(session.execute(count).scalar_one())
        return AccountPage(cycle_id=cycle_id, total=total, rows=[])
    # Counting apart reads only the index where the page could stop after its rows.
    total = int(session.execute(count).scalar_one()) if chosen else int(page[0].view_total)
    company_ids = [r.company_id for r in page]
    companies = {
        c.id: c
        for c in session.execute(
            sa_select(col(Company.id), col(Company.name), col(Company.domain), col(Company.owner)).where(
                col(Company.id).in_(company_ids)
            )
        )
    }
    names = dict(session.exec(select(Segment.id, Segment.name)).all())
    also: dict[int, list[str]] = defaultdict(list)
    for company_id, segment_id in session.exec(
        select(Membership.company_id, Membership.segment_id).where(
            Membership.cycle_id == cycle_id,
            col(Membership.company_id).in_(company_ids),
            col(Membership.segment_id).in_(segment_ids),
        )
    ):
        also[company_id].append(names.get(segment_id, "?"))
    tasks: dict[int, ProspectingTask] = {}
    for task in session.exec(
        select(ProspectingTask)
        .where(col(ProspectingTask.company_id).in_(company_ids), ProspectingTask.status == "open")
        .order_by(col(ProspectingTask.due_date))
    ):
        tasks.setdefault(task.company_id, task)
    grades = rows_by_id(session, Grade, (r.grade_id for r in page))
    results = effective_results(session, list(grades.values()))
    rows = []
    for index, r in enumerate(page, start=offset + 1):
        primary = names.get(r.segment_id, "?")
        if sort == "rank" and descending:
            index = total - index + 1
        open_task = tasks.get(r.company_id)
        company = companies[r.company_id]
        reasons = top_reasons(_results(results, r.grade_id), limit=1)
        rows.append(
            AccountRow(
                rank=index if sort == "rank" else r.best_rank,
                company_id=r.company_id,
                company_name=company.name,
                domain=company.domain,
                segment=primary,
                segment_id=r.segment_id,
                tier=r.tier,
                status=r.status,
                score=r.score,
                owner=company.owner,
                also_in=sorted(n for n in also[r.company_id] if n != primary),
                top_reason=reasons[0] if reasons else "",
                open_task_id=open_task.id if open_task else None,
                due_date=open_task.due_date if open_task else None,
                grade_id=r.grade_id,
            )
        )
    return AccountPage(cycle_id=cycle_id, total=total, rows=rows)


def membership_view(
    session: Session,
    *,
    segment: str | None = None,
    motion: str | None = None,
    tier: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    search: str | None = None,
    sort: str = "rank",
    descending: bool = False,
    limit: int | None = None,
) -> list[QueueEntry]:
    """The filtered view as exports hold it: one row per account and segment, searched and sorted like the
    work list (the whole view, then the first ``limit``). Non-members too, with ``tier="disqualified"``.

    ``icp queue --format json|csv`` and the Queue page's export both write this, so they match.
    """
    whole = sort != "rank" or descending or bool(search and search.strip())
    entries = ranked_queue(
        session,
        segment=segment,
        motion=motion,
        tier=tier,
        status=status,
        owner=owner,
        limit=None if whole else limit,
    )
    needle = (search or "").strip().lower()
    if needle:
        entries = [e for e in entries if needle in e.company_name.lower() or needle in e.domain]
    return sort_entries(entries, sort, descending)[:limit]


def account_entries(session: Session, page: AccountPage) -> list[QueueEntry]:
    """The page's accounts in full (every verdict, evidence, what to research) under their listed segment.

    Each keeps its work-list rank; the other segments it is in are in :attr:`AccountRow.also_in`.
    """
    if page.cycle_id is None:
        return []
    rank = {(r.company_id, r.segment_id): r.rank for r in page.rows}
    entries = entries_for(session, list(rank), cycle_id=page.cycle_id)
    return [e.model_copy(update={"rank": rank[(e.company_id, e.segment_id)]}) for e in entries]


def _sort_keys(sort: str, descending: bool, ranked: Any) -> list[Any]:
    """ORDER BY terms for one sort choice (the best-first tie-breakers follow them)."""
    if sort == "rank":
        return [ranked.c.rank_key.desc(), ranked.c.company_id.desc(), ranked.c.segment_id.desc()] if descending else []
    if sort == "due":
        earliest = (
            sa_select(func.min(col(ProspectingTask.due_date)))
            .where(col(ProspectingTask.company_id) == ranked.c.company_id, col(ProspectingTask.status) == "open")
            .scalar_subquery()
        )
        return [(earliest.desc() if descending else earliest.asc()).nulls_last()]
    column = {
        "score": ranked.c.score,
        "tier": ranked.c.tier,
        "status": ranked.c.status,
        "company": func.lower(col(Company.name)),
        "segment": func.lower(col(Segment.name)),
        "owner": func.lower(col(Company.owner)),
    }[sort]
    return [(column.desc() if descending else column.asc()).nulls_last()]


def sort_entries(entries: list[QueueEntry], sort: str = "rank", descending: bool = False) -> list[QueueEntry]:
    """Ranked entries (e.g. the non-members of a segment) in the order :func:`account_queue` would give.

    Entries have no open task, so ``due`` keeps the given order; missing owners come last either way.
    """
    if sort not in QUEUE_SORTS:
        raise InputError(f"Cannot sort the queue by {sort!r}; choose one of: {', '.join(QUEUE_SORTS)}.")
    keys: dict[str, Any] = {
        "rank": lambda e: e.rank,
        "score": lambda e: e.fit_score,
        "tier": lambda e: e.tier,
        "status": lambda e: e.status,
        "company": lambda e: e.company_name.lower(),
        "segment": lambda e: e.segment.lower(),
        "owner": lambda e: (e.owner or "").lower(),
        "due": lambda e: 0,
    }
    key = keys[sort]
    present = [e for e in entries if sort != "owner" or e.owner]
    missing = [e for e in entries if sort == "owner" and not e.owner]
    ordered = sorted(sorted(present, key=lambda e: e.rank), key=key, reverse=descending)
    return ordered + sorted(missing, key=lambda e: e.rank)


def _results(results: dict[int, tuple[list[CriterionResult], bool]], grade_id: int) -> list[CriterionResult]:
    found = results.get(grade_id)
    return found[0] if found else []
