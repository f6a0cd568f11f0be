"""Outcomes: deals matched to companies, and lift judged against the grade from before each deal."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from icp.companies import import_rows
from icp.cycle import run_cycle
from icp.evaluators.offline import OfflineEvaluator
from icp.importing import parse_rows
from icp.outcomes import Deal, outcome_report, store_deals
from icp.segments import create_segment
from icp.store.tables import Cycle, Grade

COMPANIES = b"""name,domain,employees,country
Big One,big1.io,900,Germany
Big Two,big2.io,700,France
Small,small.io,20,Germany
"""


def _cycle_finished(engine: Engine, day: date) -> None:
    """Run a cycle and date it (and the grades it made) as if it had run on ``day``."""
    with Session(engine) as session:
        mark = session.exec(select(func.max(Grade.id))).one() or 0
    report = run_cycle(engine, OfflineEvaluator())
    when = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    with Session(engine) as session:
        session.execute(update(Cycle).where(col(Cycle.id) == report.cycle_id).values(finished_at=when))
        session.execute(update(Grade).where(col(Grade.id) > mark).values(created_at=when))
        session.commit()


def _deal(deal_id: str, domain: str, result: str, created: date, closed: date | None = None, amount: float = 0) -> Deal:
    return Deal(
        deal_id=deal_id, name=deal_id, result=result, domain=domain, created=created, closed_on=closed, amount=amount
    )  # type: ignore[arg-type]


@pytest.fixture
def arranged(engine: Engine) -> Engine:
    with Session(engine) as session:
        create_segment(session, "Mid-size", "200 to 2,000 employees\nHeadquartered in Europe")
        import_rows(session, parse_rows(COMPANIES, "companies.csv"))
    _cycle_finished(engine, date(2026, 3, 1))
    return engine


def test_deals_match_companies_by_domain_then_name_and_upsert_by_id(arranged: Engine) -> None:
    with Session(arranged) as session:
        report = store_deals(
            session,
            [
                (2, _deal("d1", "https://www.big1.io/", "won", date(2026, 4, 1))),
                (3, Deal(deal_id="d2", name="Renewal", result="lost", company="big two", created=date(2026, 4, 2))),
                (4, _deal("d3", "nowhere.io", "won", date(2026, 4, 3))),
                (5, _deal("d1", "big1.io", "won", date(2026, 4, 1))),
            ],
            source="deals.csv",
        )
        assert (report.created, report.rejected, report.won, report.lost) == (2, 2, 1, 1)
        assert [(e.row, e.reason[:24]) for e in report.errors] == [
            (4, "no company matches 'nowh"),
            (5, "deal id 'd1' appears twi"),
        ]
        again = store_deals(session, [(2, _deal("d1", "big1.io", "lost", date(2026, 4, 1)))], source="deals.csv")
        assert (again.created, again.updated) == (0, 1)


def test_each_deal_is_judged_by_the_grade_from_before_it_was_created(arranged: Engine) -> None:
    with Session(arranged) as session:
        # Small grows after the first cycle; the second cycle (June) makes it a member.
        import_rows(session, parse_rows(b"name,domain,employees,country\nSmall,small.io,400,Germany\n", "c.csv"))
    _cycle_finished(arranged, date(2026, 6, 1))
    with Session(arranged) as session:
        store_deals(
            session,
            [
                (2, _deal("before-any", "big1.io", "won", date(2026, 1, 10), date(2026, 2, 1))),  # no grade before
                (3, _deal("small-april", "small.io", "lost", date(2026, 4, 1), date(2026, 5, 1))),  # not a member then
                (4, _deal("small-july", "small.io", "won", date(2026, 7, 1), date(2026, 7, 31), 5000)),  # member now
                (5, _deal("big2-april", "big2.io", "won", date(2026, 4, 1), date(2026, 4, 21), 1000)),
                (6, _deal("open", "big2.io", "open", date(2026, 7, 2))),
            ],
            source="deals.csv",
        )
        [segment] = outcome_report(session)
    assert (segment.closed, segment.won, segment.left_out) == (3, 2, 1)
    groups = {g.group: g for g in segment.groups}
    assert groups["not a member"].closed == 1 and groups["not a member"].won == 0  # small-april, by cycle 1
    member_tier = next(g for g in segment.groups if g.group.startswith("T"))
    assert member_tier.closed == 2 and member_tier.won == 2
    assert member_tier.won_revenue == 6000 and member_tier.revenue_share == 1.0
    assert member_tier.median_days_to_close == 25  # 30 and 20 days
    assert member_tier.lift == pytest.approx(1.0 / (2 / 3))
    assert segment.reading.startswith("Not enough closed deals to say")

    with Session(arranged) as session:
        [regraded] = outcome_report(session, regrade=True)
    assert regraded.regraded == 1 and regraded.left_out == 0 and regraded.closed == 4


def test_a_report_with_no_deals_says_so(arranged: Engine) -> None:
    with Session(arranged) as session:
        [segment] = outcome_report(session)
    assert segment.closed == 0 and segment.groups == [] and "Not enough closed deals" in segment.reading
