"""`icp worker` through the command line: --once end to end, status, readable errors, signals, kill -9."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from icp.errors import ConfigError
from icp.evaluators.factory import make_evaluator
from icp.schedule import Worker, parse_schedule
from icp.settings import Settings
from icp.store import open_engine
from icp.store.tables import Cycle, CycleLease, Grade, ScheduledRun
from icp.testing.fake_openai import FakeOpenAI
from tests.inprocess import run_icp
from tests.test_alerts import Receiver, _change_two_accounts, db, receivers  # noqa: F401 (fixtures)
from tests.test_cycle import _seed
from tests.test_worker import FakeClock

ICP = str(Path(sys.executable).parent / "icp")
# A yearly slot with a long catch-up window: every worker started by these tests finds the same slot due,
# whatever the minute the test runs in.
YEARLY = {"ICP_CYCLE_SCHEDULE": "0 0 1 1 *", "ICP_CYCLE_CATCH_UP_HOURS": "100000"}


def test_worker_once_runs_the_due_cycle_with_its_alerts_and_status_shows_it(
    db: Path,  # noqa: F811 (the alerts fixture: companies, a segment, a motion, one cycle)
    tmp_path: Path,
    receivers: list[Receiver],  # noqa: F811
) -> None:
    generic = Receiver()
    receivers.append(generic)
    rising, falling = _change_two_accounts(db, tmp_path)
    env = {**YEARLY, "ICP_ALERT_WEBHOOKS": json.dumps([{"url": generic.url, "format": "json"}])}
    out = run_icp(db, "worker", "--once", env=env).stdout
    assert "Scheduled run for" in out and "ran: cycle 2 completed" in out
    assert "follow-up alerts: ok (1 of 1 digests delivered)" in out
    [body] = generic.bodies
    assert {c["domain"] for c in body["changes"]} >= {rising, falling}
    again = run_icp(db, "worker", "--once", env=env).stdout
    assert "skipped — completed by" in again  # the slot ran once
    status = json.loads(run_icp(db, "worker", "status", "--format", "json", env=env).stdout)
    assert status["expression"] == "0 0 1 1 *" and status["description"] == "At 00:00 on January 1 (UTC)"
    [run] = status["runs"]
    assert (run["status"], run["cycle_id"], run["attempts"]) == ("completed", 2, 1)
    assert run["follow_ups"] == [
        {"name": "alerts", "status": "ok", "detail": "1 of 1 digests delivered"},
        {"name": "crm", "status": "skipped", "detail": "no CRM named (crm:hubspot, or ICP_CRM_PUSH_AFTER_CYCLE)"},
    ]
    assert "secret-token" not in json.dumps(status)  # the webhook URL's token is never stored
    table = run_icp(db, "worker", "status", env=env).stdout
    assert "Schedule: At 00:00 on January 1 (UTC)" in table and "Next runs:" in table and "completed" in table


def test_worker_status_without_a_schedule_says_how_to_start(tmp_path: Path) -> None:
    out = run_icp(tmp_path / "empty.db", "worker", "status").stdout
    assert "No cycle schedule. Set ICP_CYCLE_SCHEDULE" in out and "No scheduled runs yet" in out


def _icp(*args: str, env: dict[str, str], **popen: object) -> subprocess.Popen[str]:
    base = {"PATH": str(Path(sys.executable).parent), "HOME": os.getcwd(), "COLUMNS": "200"}
    return subprocess.Popen([ICP, *args], env={**base, **env}, text=True, **popen)  # type: ignore[call-overload]


@pytest.mark.slow
def test_an_invalid_schedule_is_one_readable_line_naming_the_field(tmp_path: Path) -> None:
    env = {"ICP_CYCLE_SCHEDULE": "0 25 * * 1-5"}
    proc = _icp("--db", str(tmp_path / "x.db"), "worker", env=env, stdout=-1, stderr=-1)
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Traceback" not in stderr
    assert "Error: ICP_CYCLE_SCHEDULE '0 25 * * 1-5': the hour field ('25') is not valid; it takes 0-23" in " ".join(
        stderr.split()
    )


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "No cycle schedule is set. Set ICP_CYCLE_SCHEDULE"),
        ({"ICP_CYCLE_SCHEDULE": "0 6 * *"}, "has 4 fields; a cron schedule has 5"),
        ({"ICP_CYCLE_SCHEDULE": "0 6 * * *", "ICP_CYCLE_TIMEZONE": "Berlin"}, "ICP_CYCLE_TIMEZONE 'Berlin' is not"),
    ],
)
def test_a_missing_or_invalid_schedule_stops_the_worker_before_it_starts(
    tmp_path: Path, env: dict[str, str], says: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(says)):
        run_icp(tmp_path / "x.db", "worker", env=env)
    assert _count(open_engine(f"sqlite:///{tmp_path / 'x.db'}"), ScheduledRun) == 0


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _wait_for_grades(engine: Engine, proc: subprocess.Popen[str], at_least: int) -> None:
    deadline = time.monotonic() + 120
    while _count(engine, Grade) < at_least:
        assert proc.poll() is None, "the worker ended before the test could stop it"
        assert time.monotonic() < deadline, "the worker graded nothing"
        time.sleep(0.05)


def _llm_env(fake: FakeOpenAI) -> dict[str, str]:
    """A slow LLM endpoint on 127.0.0.1, one request at a time: a cycle that can be stopped halfway."""
    return {
        **YEARLY,
        "ICP_EVALUATOR": "llm",
        "ICP_OPENAI_BASE_URL": fake.base_url,
        "ICP_OPENAI_API_KEY": "sk-test-worker",
        "ICP_CONCURRENCY": "1",
        "ICP_ADAPTIVE_CONCURRENCY": "false",
        "ICP_CYCLE_FOLLOW_UPS": "",
    }


@pytest.mark.slow
def test_a_worker_killed_mid_cycle_is_picked_up_by_the_next_firing(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    engine = open_engine(f"sqlite:///{path}")
    _seed(engine)  # 24 pairs
    with FakeOpenAI(latency_s=0.25) as fake:
        env = _llm_env(fake)
        proc = _icp("--db", str(path), "worker", "--once", env=env, stdout=-3, stderr=-3)
        try:
            _wait_for_grades(engine, proc, 3)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        with Session(engine) as session:
            [crashed] = session.exec(select(ScheduledRun)).all()
            assert crashed.status == "running" and crashed.worker.endswith(f":{proc.pid}")
        stored = _count(engine, Grade)
        fake.latency_s = 0.0
        settings = Settings(
            cycle_schedule="0 0 1 1 *", openai_base_url=fake.base_url, openai_api_key="sk-test-worker", concurrency=1
        )  # type: ignore[arg-type]
        next_slot = parse_schedule("0 0 1 1 *").next_after(crashed.slot)
        clock = FakeClock(next_slot + timedelta(seconds=30))
        worker = Worker(
            engine, settings, parse_schedule("0 0 1 1 *"), lambda: make_evaluator("llm", settings), clock=clock
        )
        outcome = worker.run_once()
    assert outcome is not None and outcome.action == "ran" and outcome.report is not None
    assert outcome.report.status == "completed"
    assert outcome.report.pairs_reused >= stored and outcome.report.pairs_graded == 24 - outcome.report.pairs_reused
    with Session(engine) as session:
        first, second = session.exec(select(ScheduledRun).order_by(col(ScheduledRun.slot))).all()
        cycles = session.exec(select(Cycle).order_by(col(Cycle.id))).all()
    assert first.status == "interrupted" and "stopped during the cycle" in first.error and "resumed it" in first.error
    assert second.status == "completed" and second.cycle_id == cycles[-1].id
    assert [c.status for c in cycles] == ["interrupted", "completed"]  # the killed cycle is closed, not left running


@pytest.mark.slow
def test_sigterm_stops_a_cycle_cleanly_and_the_next_start_resumes_the_run(tmp_path: Path) -> None:
    path = tmp_path / "term.db"
    engine = open_engine(f"sqlite:///{path}")
    _seed(engine)
    log = tmp_path / "worker.log"
    with FakeOpenAI(latency_s=0.25) as fake, log.open("w") as stderr:
        env = _llm_env(fake)
        proc = _icp("--db", str(path), "worker", env=env, stdout=-3, stderr=stderr)
        try:
            _wait_for_grades(engine, proc, 2)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        with Session(engine) as session:
            [run] = session.exec(select(ScheduledRun)).all()
            [cycle] = session.exec(select(Cycle)).all()
            assert session.exec(select(CycleLease)).all() == []  # released on the way out
        assert run.status == "interrupted" and cycle.status == "interrupted"
        text = log.read_text()
        assert "SIGTERM received: stopping the running cycle" in text and "interrupted after" in text
        fake.latency_s = 0.0
        again = _icp("--db", str(path), "worker", "--once", env=env, stdout=-1, stderr=-1)
        out, _ = again.communicate(timeout=120)
    assert again.returncode == 0 and "resumed: cycle 2 completed" in " ".join(out.split())
    with Session(engine) as session:
        [run] = session.exec(select(ScheduledRun)).all()
    assert (run.status, run.attempts) == ("completed", 2)


@pytest.mark.slow
def test_a_sleeping_worker_exits_at_once_on_sigterm_and_two_workers_run_a_due_slot_once(tmp_path: Path) -> None:
    path = tmp_path / "two.db"
    engine = open_engine(f"sqlite:///{path}")
    _seed(engine)
    env = {**YEARLY, "ICP_EVALUATOR": "offline"}
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    files = [log.open("w") for log in logs]
    workers = [_icp("--db", str(path), "worker", env=env, stdout=-3, stderr=f) for f in files]
    try:
        deadline = time.monotonic() + 120
        while not all("completed in" in (t := log.read_text()) or "nothing to do" in t for log in logs):
            assert time.monotonic() < deadline, [log.read_text() for log in logs]
            time.sleep(0.1)
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            assert proc.wait(timeout=30) == 0  # asleep until next January: stops at once
    finally:
        for proc, f in zip(workers, files, strict=True):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            f.close()
    texts = [log.read_text() for log in logs]
    assert sum("completed in" in t for t in texts) == 1 and sum("nothing to do" in t for t in texts) == 1
    assert all("SIGTERM received: stopping" in t and "stopped" in t for t in texts)
    assert _count(engine, ScheduledRun) == 1 and _count(engine, Cycle) == 1
