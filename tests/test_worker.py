"""`icp worker`: scheduled cycles with an injected clock, exactly once across workers, resumed after a stop."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from icp.errors import ICPError
from icp.lease import hold_lease
from icp.schedule import FollowUpContext, FollowUpSkipped, Worker, parse_schedule, register_follow_up
from icp.schedule._runs import claim_slot, start_run
from icp.settings import Settings
from icp.store import open_engine
from icp.store.tables import Cycle, CycleLease, ScheduledRun
from tests.scripted import ScriptedEvaluator
from tests.test_cycle import _seed


class FakeClock:
    """Time moves only when the worker sleeps; past ``until`` the worker is asked to stop."""

    def __init__(self, start: datetime, until: datetime | None = None) -> None:
        self.moment = start
        self.until = until
        self.worker: Worker | None = None
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.moment += timedelta(seconds=seconds)
        if self.until is not None and self.moment >= self.until and self.worker is not None:
            self.worker.stop()

    def wake(self) -> None:
        pass


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def make_worker(
    engine: Engine,
    clock: FakeClock,
    expression: str = "0 6 * * 1-5",
    timezone: str = "UTC",
    evaluator: ScriptedEvaluator | None = None,
    **settings: object,
) -> Worker:
    scripted = evaluator or ScriptedEvaluator()
    worker = Worker(
        engine,
        Settings(cycle_schedule=expression, cycle_timezone=timezone, **settings),  # type: ignore[arg-type]
        parse_schedule(expression, timezone),
        lambda: scripted,
        clock=clock,
        identity=f"test-host:{id(clock)}",
    )
    clock.worker = worker
    return worker


def runs(engine: Engine) -> list[ScheduledRun]:
    with Session(engine) as session:
        return list(session.exec(select(ScheduledRun).order_by(col(ScheduledRun.slot))))


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    _seed(engine)
    return engine


@pytest.fixture
def shared(engine: Engine, tmp_path: Path) -> Engine:
    """A database several connections share: a SQLite file (in-memory SQLite has one connection), or PostgreSQL."""
    if engine.dialect.name == "sqlite":
        engine = open_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    _seed(engine)
    return engine


def test_the_worker_fires_at_every_slot_of_the_schedule_and_nowhere_else(seeded: Engine) -> None:
    # Friday 07:50 UTC (08:50 in Berlin) to Monday 09:30 UTC, every 20 minutes from 09:00 to 10:40 Berlin time.
    clock = FakeClock(utc(2026, 12, 4, 7, 50), until=utc(2026, 12, 7, 9, 30))
    worker = make_worker(seeded, clock, "*/20 9-10 * * 1-5", "Europe/Berlin")
    outcomes = worker.run_forever()
    friday = [utc(2026, 12, 4, 8, m) for m in (0, 20, 40)] + [utc(2026, 12, 4, 9, m) for m in (0, 20, 40)]
    monday = [utc(2026, 12, 7, 8, m) for m in (0, 20, 40)] + [utc(2026, 12, 7, 9, m) for m in (0, 20)]
    assert [o.slot for o in outcomes] == friday + monday  # Thursday's last slot was 22 h ago: not caught up
    done = runs(seeded)
    assert [r.slot for r in done] == friday + monday
    assert [r.started_at for r in done] == friday + monday  # each ran when the clock reached its slot
    assert {r.status for r in done} == {"completed"} and {r.attempts for r in done} == {1}
    assert [(r.pairs_graded, r.pairs_reused) for r in done[:2]] == [(24, 0), (0, 24)]  # incremental
    with Session(seeded) as session:
        cycles = session.exec(select(Cycle).order_by(col(Cycle.id))).all()
    assert [c.id for c in cycles] == [r.cycle_id for r in done]
    assert max(clock.sleeps) <= 300  # naps, so a clock step or a suspend is noticed within minutes


def test_a_slot_missed_while_no_worker_was_up_runs_once_on_start_if_recent(seeded: Engine) -> None:
    late = make_worker(seeded, FakeClock(utc(2026, 12, 1, 8, 30)))  # Tuesday 06:00 passed 2.5 h ago
    outcome = late.run_once()
    assert outcome is not None and outcome.action == "ran" and outcome.slot == utc(2026, 12, 1, 6)
    assert outcome.report is not None and outcome.report.status == "completed"
    again = make_worker(seeded, FakeClock(utc(2026, 12, 1, 9)))
    assert again.run_once() is not None and [r.slot for r in runs(seeded)] == [utc(2026, 12, 1, 6)]  # not twice
    too_late = make_worker(seeded, FakeClock(utc(2026, 12, 2, 19)), cycle_catch_up_hours=12)  # 13 h after 06:00
    assert too_late.run_once() is None
    never = make_worker(seeded, FakeClock(utc(2026, 12, 3, 6, 1)), cycle_catch_up_hours=0)
    assert never.run_once() is None
    assert len(runs(seeded)) == 1


def test_workers_racing_for_a_due_slot_run_its_cycle_once(shared: Engine) -> None:
    slot = utc(2026, 12, 1, 6)
    evaluator = ScriptedEvaluator(delay=0.005)
    workers = [make_worker(shared, FakeClock(slot + timedelta(seconds=1)), evaluator=evaluator) for _ in range(4)]
    barrier = threading.Barrier(len(workers))
    outcomes = []

    def race(worker: Worker) -> None:
        barrier.wait()
        outcomes.append(worker.fire(slot))

    threads = [threading.Thread(target=race, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.action for o in outcomes) == ["ran", "skipped", "skipped", "skipped"]
    assert len(evaluator.calls) == 24  # every pair graded once, by one worker
    [run] = runs(shared)
    assert run.status == "completed" and run.attempts == 1
    with Session(shared) as session:
        assert len(session.exec(select(Cycle)).all()) == 1
        assert session.exec(select(CycleLease)).all() == []  # released


def test_a_run_whose_worker_died_mid_cycle_is_resumed_by_a_worker_starting_in_its_window(shared: Engine) -> None:
    slot = utc(2026, 12, 1, 6)
    run_id = claim_slot(shared, slot, "0 6 * * 1-5 UTC", "gone-host:1", slot)
    assert run_id is not None and start_run(shared, run_id, "gone-host:1", slot)  # its lease since expired
    evaluator = ScriptedEvaluator()
    outcome = make_worker(shared, FakeClock(slot + timedelta(minutes=7)), evaluator=evaluator).run_once()
    assert outcome is not None and outcome.action == "resumed"
    [run] = runs(shared)
    assert (run.status, run.attempts, run.id) == ("completed", 2, run_id) and run.worker.startswith("test-host:")
    assert len(evaluator.calls) == 24


def test_a_running_run_is_left_alone_while_its_worker_holds_the_lease(shared: Engine) -> None:
    slot = utc(2026, 12, 1, 6)
    run_id = claim_slot(shared, slot, "0 6 * * 1-5 UTC", "busy-host:1", slot)
    assert run_id is not None and start_run(shared, run_id, "busy-host:1", slot)
    with hold_lease(shared):  # its worker is alive and running the cycle
        outcome = make_worker(shared, FakeClock(slot + timedelta(minutes=1))).run_once()
    assert outcome is not None and outcome.action == "skipped" and "a cycle is running" in outcome.detail
    assert [r.status for r in runs(shared)] == ["running"]


def test_a_cycle_that_fails_is_recorded_and_the_worker_goes_on(seeded: Engine) -> None:
    clock = FakeClock(utc(2026, 12, 1, 5, 59), until=utc(2026, 12, 2, 7))
    calls = []

    def broken() -> ScriptedEvaluator:
        calls.append(1)
        if len(calls) == 1:
            raise ICPError("the endpoint rejected the API key")
        return ScriptedEvaluator()

    worker = make_worker(seeded, clock)
    worker.make_evaluator = broken
    outcomes = worker.run_forever()
    assert [o.slot for o in outcomes] == [utc(2026, 12, 1, 6), utc(2026, 12, 2, 6)]
    first, second = runs(seeded)
    assert (first.status, first.error) == ("failed", "the endpoint rejected the API key")
    assert second.status == "completed"


def test_follow_ups_run_in_order_and_one_that_is_missing_or_fails_never_stops_the_worker(
    seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("icp.schedule._follow_ups._REGISTERED", {})  # this test's follow-ups end with it
    seen: list[tuple[int, str | None]] = []

    def tally(context: FollowUpContext) -> str:
        seen.append((context.report.cycle_id, context.option))
        return f"{context.report.tasks_created} tasks counted"

    def broken(context: FollowUpContext) -> str:
        raise RuntimeError("https://bot:hunter2@crm.example/v3/objects answered 500")

    def idle(context: FollowUpContext) -> str:
        raise FollowUpSkipped("nothing to push")

    register_follow_up("tally", tally)
    register_follow_up("broken", broken)
    register_follow_up("idle", idle)
    follow_ups = "tally:eu,broken,crm:hubspot,nope,idle,alerts"
    worker = make_worker(seeded, FakeClock(utc(2026, 12, 1, 6, 1)), cycle_follow_ups=follow_ups)
    outcome = worker.run_once()
    assert outcome is not None and outcome.report is not None
    assert seen == [(outcome.report.cycle_id, "eu")]
    [run] = runs(seeded)
    assert run.status == "completed"
    got = {f["name"]: (f["status"], f["detail"]) for f in run.follow_ups}
    assert list(got) == ["tally:eu", "broken", "crm:hubspot", "nope", "idle", "alerts"]
    assert got["tally:eu"] == ("ok", f"{outcome.report.tasks_created} tasks counted")
    assert got["broken"] == (
        "failed",
        "RuntimeError: https://***@crm.example/v3/objects answered 500",
    )  # secrets never stored
    assert got["crm:hubspot"][0] == "skipped" and "No HubSpot token: set ICP_HUBSPOT_TOKEN" in got["crm:hubspot"][1]
    assert got["nope"] == ("skipped", got["nope"][1]) and "unknown follow-up 'nope'" in got["nope"][1]
    assert got["idle"] == ("skipped", "nothing to push")
    assert got["alerts"] == ("skipped", "no webhooks configured (ICP_ALERT_WEBHOOKS)")


def test_a_later_run_supersedes_an_earlier_one_still_waiting_for_the_lease(shared: Engine) -> None:
    early = utc(2026, 12, 1, 6)
    waiting = claim_slot(shared, early, "0 6 * * 1-5 UTC", "slow-host:1", early)  # claimed, never got the lease
    assert waiting is not None
    outcome = make_worker(shared, FakeClock(utc(2026, 12, 2, 6, 0, 5))).run_once()
    assert outcome is not None and outcome.action == "ran"
    first, second = runs(shared)
    assert first.status == "superseded" and "the run at 2026-12-02 06:00 UTC ran the cycle" in first.error
    assert second.status == "completed"
    assert not start_run(shared, waiting, "slow-host:1", utc(2026, 12, 2, 7))  # its worker, late, runs nothing
