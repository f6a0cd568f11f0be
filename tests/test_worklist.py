"""The work list: one row per account under its primary segment, filtered and paged in the database."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from icp.cycle import run_cycle
from icp.demo import load_samples
from icp.evaluators.offline import OfflineEvaluator
from icp.owners import assign_account
from icp.queue import ranked_queue
from icp.worklist import account_queue


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
