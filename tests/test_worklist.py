"""The work list: one row per account under its primary segment, filtered and paged in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from icp.cli.work import QueueSortBy
from icp.cycle import run_cycle
from icp.demo import load_samples
from icp.evaluators.offline import OfflineEvaluator
from icp.owners import assign_account
from icp.primary import primaries_hold
from icp.queue import latest_cycle_id, ranked_queue
from icp.segments import delete_segment, edit_segment, list_segments
from icp.store.tables import Segment
from icp.tasks import complete_task, snooze_task
from icp.worklist import QUEUE_SORTS, account_queue


def test_each_account_once_under_its_primary_segment_with_the_others_named(engine: Engine) -> None:
    with Session(engine) as session:
        load_samples(session)
    run_cycle(engine, OfflineEvaluator())
    with Session(engine) as session:
        page = account_queue(session, limit=1000)
        members = ranked_queue(session, limit=None)
        by_company: dict[int, list] = {}
        for m in members:
            by_company.setdefault(m.company_id, []).append(m)
        assert page.total == len(by_company) == len(page.rows)
        assert len({r.company_id for r in page.rows}) == len(page.rows)
        several = [r for r in page.rows if r.also_in]
        assert several, "the samples have accounts in more than one segment"
        for row in several:
            assert sorted([row.segment, *row.also_in]) == sorted(m.segment for m in by_company[row.company_id])
        # Best first: tier, then qualified before unverified, then score.
        keys = [(("T1", "T2", "T3").index(r.tier), r.status != "qualified", -r.score) for r in page.rows]
        assert keys == sorted(keys)
        assert all(r.top_reason for r in page.rows if r.status == "qualified")

        # Pages never overlap and add up to the whole view.
        pages = [account_queue(session, limit=7, offset=o).rows for o in range(0, page.total, 7)]
        assert [r.company_id for p in pages for r in p] == [r.company_id for r in page.rows]

        # Filters: tier, status, owner, search.
        t1 = account_queue(session, tier="T1", limit=1000)
        assert t1.total == sum(r.tier == "T1" for r in page.rows)
        unverified = account_queue(session, status="unverified", limit=1000)
        assert all(r.status == "unverified" for r in unverified.rows) and unverified.total > 0
        target = page.rows[3]
        assign_account(session, target.domain, "dana")
        mine = account_queue(session, owner="dana")
        assert [r.domain for r in mine.rows] == [target.domain] and mine.rows[0].owner == "dana"
        found = account_queue(session, search=target.company_name[:5].upper())
        assert target.domain in {r.domain for r in found.rows}
        assert account_queue(session, search="100%_no_such").total == 0


def _primaries(session: Session, motion: str | None = None) -> dict[int, str]:
    """The primary segment of every listed account, worked out here from every membership: priority, score, id."""
    priority = {s.name: s.priority for s in list_segments(session)}
    best: dict[int, tuple[int, float, int, str]] = {}
    for m in ranked_queue(session, motion=motion, limit=None):
        key = (-priority[m.segment], -m.fit_score, m.segment_id, m.segment)
        best[m.company_id] = min(best.get(m.company_id, key), key)
    return {company_id: key[3] for company_id, key in best.items()}


def _listed(session: Session, motion: str | None = None) -> dict[int, str]:
    return {r.company_id: r.segment for r in account_queue(session, motion=motion, limit=10_000).rows}


def test_the_primary_segment_follows_priority_changes_and_deletes_at_once(engine: Engine) -> None:
    with Session(engine) as session:
        load_samples(session)
    run_cycle(engine, OfflineEvaluator())
    with Session(engine) as session:
        cycle_id = latest_cycle_id(session)
        assert cycle_id is not None and primaries_hold(session, cycle_id)  # chosen when the cycle wrote them
        before = _listed(session)
        assert before == _primaries(session)
        # An account under its top segment that is also in a lower one: raise the lower one above all.
        row = next(r for r in account_queue(session, limit=10_000).rows if r.also_in)
        lower = row.also_in[0]
        edit_segment(session, lower, priority=max(s.priority for s in list_segments(session)) + 1)
        assert primaries_hold(session, cycle_id)  # chosen again at once, not left to the next cycle
        after = _listed(session)
        assert after == _primaries(session) and after[row.company_id] == lower
        assert after != before

        # A motion of two segments chooses among those two only.
        assert _listed(session, motion="Outbound – Mid-Market") == _primaries(session, motion="Outbound – Mid-Market")

        # Deleting the segment moves its accounts to their next segment; accounts only it held leave.
        delete_segment(session, lower)
        assert primaries_hold(session, cycle_id)
        gone = _listed(session)
        assert gone == _primaries(session)
        assert lower not in gone.values() and gone[row.company_id] == row.segment

        # A priority changed behind the service's back: the stored choice no longer holds; the list still does.
        top = max(list_segments(session), key=lambda s: s.priority)
        session.execute(update(Segment).where(col(Segment.name) == top.name).values(priority=-5))
        session.commit()
        assert not primaries_hold(session, cycle_id)
        assert _listed(session) == _primaries(session) != gone


@pytest.mark.slow
def test_sorting_orders_the_whole_view_so_the_next_page_continues(engine: Engine) -> None:
    with Session(engine) as session:
        load_samples(session)
    run_cycle(engine, OfflineEvaluator())
    with Session(engine) as session:
        best_first = account_queue(session, limit=1000).rows
        rank_of = {r.company_id: r.rank for r in best_first}
        assign_account(session, best_first[5].domain, "zoe")
        assign_account(session, best_first[9].domain, "adam")
        with_tasks = [r for r in best_first if r.open_task_id is not None]
        complete_task(session, with_tasks[0].open_task_id)  # this account has no open task left
        snooze_task(session, with_tasks[-1].open_task_id, 30)  # and this one's is due later than the rest

        def whole(sort: str, descending: bool) -> list:
            page = account_queue(session, sort=sort, descending=descending, limit=1000)
            pages = [
                account_queue(session, sort=sort, descending=descending, limit=25, offset=o).rows
                for o in range(0, page.total, 25)
            ]
            # Page by page gives the same order as the whole view at once: page 2 continues page 1.
            assert [r.company_id for p in pages for r in p] == [r.company_id for r in page.rows]
            # The rank stays each account's best-first place, whatever the order.
            assert all(r.rank == rank_of[r.company_id] for r in page.rows)
            return page.rows

        scores = [r.score for r in whole("score", True)]
        assert scores == sorted(scores, reverse=True) and scores != [r.score for r in best_first]
        assert [r.score for r in whole("score", False)] == sorted(scores)
        names = [r.company_name.lower() for r in whole("company", False)]
        assert names == sorted(names)
        assert [r.company_name.lower() for r in whole("company", True)] == sorted(names, reverse=True)
        tiers = [r.tier for r in whole("tier", True)]
        assert tiers == sorted(tiers, reverse=True) and tiers[0] != "T1"
        segments = [r.segment.lower() for r in whole("segment", False)]
        assert segments == sorted(segments)
        statuses = [r.status for r in whole("status", True)]
        assert statuses == sorted(statuses, reverse=True)
        # Owners A→Z, and accounts nobody owns come last in either direction.
        assert [r.owner for r in whole("owner", False)][:3] == ["adam", "zoe", None]
        assert [r.owner for r in whole("owner", True)][:3] == ["zoe", "adam", None]
        due = [r.due_date for r in whole("due", False)]
        dated = [d for d in due if d is not None]
        assert len(set(dated)) > 1 and len(dated) < len(due)
        assert due[: len(dated)] == sorted(dated)  # soonest first, accounts without an open task last
        latest_first = [r.due_date for r in whole("due", True)]
        assert latest_first[: len(dated)] == sorted(dated, reverse=True) and latest_first[-1] is None
        worst_first = whole("rank", True)
        assert [r.company_id for r in worst_first] == [r.company_id for r in reversed(best_first)]


def test_an_unknown_sort_is_refused_with_the_choices() -> None:
    from icp.errors import InputError
    from icp.store import open_engine

    engine = open_engine("sqlite://")
    with Session(engine) as session, pytest.raises(InputError, match="choose one of: rank, score"):
        account_queue(session, sort="revenue")


def test_the_cli_offers_every_sort_the_work_list_has() -> None:
    assert tuple(QueueSortBy) == QUEUE_SORTS
