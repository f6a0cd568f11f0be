"""Cycles under adversity, through the real `icp` command against the fake server: two cycles at once, a
revoked key, a kill -9 mid-cycle, credentials in the endpoint URL."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from icp.samples import COMPANIES_FILE, SEGMENTS_FILE
from icp.store import open_engine
from icp.store.tables import Cycle, CycleLease, Grade
from icp.testing import ChatRequest, FakeOpenAI, unknown_responder
from tests.conftest import BACKENDS, postgres_database

ICP = str(Path(sys.executable).parent / "icp")


def _env(fake: FakeOpenAI, home: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(home),
        "COLUMNS": "200",
        "ICP_OPENAI_BASE_URL": fake.base_url,
        "ICP_OPENAI_API_KEY": "test",
        "ICP_MAX_RETRIES": "1",
        "ICP_REQUEST_TIMEOUT_S": "10",
        "ICP_REQUESTS_PER_MINUTE": "60000",
        **extra,
    }


def icp(
    *args: str, db: str, fake: FakeOpenAI, home: Path, check: bool = True, **env: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [ICP, "--db", db, *args], capture_output=True, text=True, env=_env(fake, home, **env), timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"icp {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def start_icp(*args: str, db: str, fake: FakeOpenAI, home: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ICP, "--db", db, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(fake, home, **env),
    )


def wait_for(condition: object, proc: subprocess.Popen[str] | None = None, limit_s: float = 120) -> None:
    """Poll ``condition()`` until true; a safety net, not a timing assertion."""
    deadline = time.monotonic() + limit_s
    while not condition():  # type: ignore[operator]
        assert proc is None or proc.poll() is None, "the process ended before the condition held"
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def _first_companies(path: Path, count: int) -> Path:
    """The first ``count`` sample companies, as a CSV file: enough pairs for a cycle to take a while."""
    with COMPANIES_FILE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows[: count + 1])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path, fake_openai: FakeOpenAI) -> Iterator[str]:
    """A database URL with the sample segments and 30 sample companies: SQLite file, and PostgreSQL when set."""
    fake_openai.responder = unknown_responder
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cycles.db'}"
        _load(url, fake_openai, tmp_path)
        yield url
        return
    with postgres_database(request.getfixturevalue("_postgres_template")) as url:
        _load(url, fake_openai, tmp_path)
        yield url


def _load(url: str, fake: FakeOpenAI, home: Path) -> None:
    icp("segments", "import", str(SEGMENTS_FILE), db=url, fake=fake, home=home)
    icp("companies", "import", str(_first_companies(home / "companies.csv", 30)), db=url, fake=fake, home=home)


def _cycles(url: str) -> list[Cycle]:
    engine = open_engine(url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(Cycle).order_by(Cycle.id)))
    finally:
        engine.dispose()


def _grades(url: str) -> list[Grade]:
    engine = open_engine(url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(Grade)))
    finally:
        engine.dispose()


def test_a_second_cycle_says_who_runs_and_exits_3_and_wait_queues_behind_it(
    db: str, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    gate = threading.Event()  # the endpoint answers nothing until the test opens it: the first cycle is mid-way

    def held(request: ChatRequest) -> Any:
        gate.wait(60)
        return unknown_responder(request)

    fake_openai.responder = held
    cycle = ("cycle", "run", "--evaluator", "llm", "-c", "2", "-f", "json")
    first = start_icp(*cycle, db=db, fake=fake_openai, home=tmp_path, ICP_REQUEST_TIMEOUT_S="120")
    waiting: subprocess.Popen[str] | None = None
    try:
        wait_for(lambda: len(fake_openai.chat_requests) >= 2, first)
        second = icp(*cycle, db=db, fake=fake_openai, home=tmp_path, check=False)
        assert second.returncode == 3, second.stderr
        assert "Another cycle is running" in second.stderr and f"pid {first.pid}" in second.stderr
        assert "cycle 1" in second.stderr and "since" in second.stderr and "Traceback" not in second.stderr
        waiting = start_icp(*cycle, "--wait", db=db, fake=fake_openai, home=tmp_path)
        assert waiting.stderr is not None
        assert "Waiting for cycle 1" in waiting.stderr.readline()  # blocks until it has looked and found cycle 1
        assert len(fake_openai.chat_requests) == 2  # neither the refused nor the waiting cycle sent anything
        gate.set()
        out, err = first.communicate(timeout=300)
        queued_out, queued_err = waiting.communicate(timeout=300)
    finally:
        gate.set()
        for proc in (first, waiting):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert first.returncode == 0, err
    assert waiting.returncode == 0, queued_err
    report, queued = json.loads(out), json.loads(queued_out)
    assert report["status"] == "completed" and report["pairs_graded"] == report["pairs_total"]
    assert queued["pairs_graded"] == 0 and queued["pairs_reused"] == report["pairs_total"]
    # Every pair paid once: one request per pair, all from the first cycle.
    assert len(fake_openai.chat_requests) == report["pairs_total"]
    assert [c.status for c in _cycles(db)] == ["completed", "completed"]


def test_grades_stored_by_a_cycle_that_bypassed_the_lease_are_not_paid_again(
    db: str, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.latency_s = 0.03
    first = start_icp(
        "cycle", "run", "--evaluator", "llm", "-c", "2", "-f", "json", db=db, fake=fake_openai, home=tmp_path
    )
    try:
        wait_for(lambda: len(_grades(db)) >= 4, first)
        # Someone deletes the lease row (or an older version of icp runs): a second cycle starts anyway.
        engine = open_engine(db)
        with Session(engine) as session:
            session.exec(select(CycleLease)).one()
            session.execute(CycleLease.__table__.delete())  # type: ignore[attr-defined]
            session.commit()
        engine.dispose()
        second = icp(
            "cycle", "run", "--evaluator", "llm", "-c", "2", "-f", "json", db=db, fake=fake_openai, home=tmp_path
        )
        out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    a, b = json.loads(out), json.loads(second.stdout)
    total = a["pairs_total"]
    grades = _grades(db)
    assert len(grades) == total and all(g.status == "ok" for g in grades)
    # Neither crashed on the other's grades (before: IntegrityError on grade.input_hash, a cycle left running).
    # The first may notice at its next renewal that its lease is gone and stop sending (partial); the second
    # then skips the pairs the first still had in flight (partial) rather than paying for them again.
    assert {c.status for c in _cycles(db)} <= {"completed", "partial"}
    # The second skipped what the first had stored before it reached those pairs: they were not paid again.
    assert b["pairs_reused"] >= 4
    assert len(fake_openai.chat_requests) == a["pairs_graded"] + b["pairs_graded"] < 2 * total


def test_an_all_401_cycle_stops_early_with_a_diagnosis_and_keeps_the_previous_queue(
    db: str, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    icp("cycle", "run", "--evaluator", "llm", "-f", "json", db=db, fake=fake_openai, home=tmp_path)
    queue_before = json.loads(
        icp("queue", "-f", "json", "--limit", "1000", db=db, fake=fake_openai, home=tmp_path).stdout
    )
    assert len(queue_before) > 0
    sent_before = len(fake_openai.chat_requests)

    fake_openai.api_key = "the-key-that-works"  # ours ("test") is now revoked: every request gets a 401
    revoked = icp(
        "cycle",
        "run",
        "--evaluator",
        "llm",
        "-c",
        "2",
        db=db,
        fake=fake_openai,
        home=tmp_path,
        check=False,
        ICP_MODEL="gpt-4o",  # another model: every pair needs grading again
    )
    assert revoked.returncode != 0
    assert "rejected the API key" in revoked.stderr and "ICP_OPENAI_API_KEY" in revoked.stderr
    assert "Traceback" not in revoked.stderr
    sent = len(fake_openai.chat_requests) - sent_before
    assert 0 < sent <= 5 + 2  # the breaker's threshold, plus what was already in flight: not one per pair
    statuses = [c.status for c in _cycles(db)]
    assert statuses == ["completed", "failed"]
    queue_after = json.loads(
        icp("queue", "-f", "json", "--limit", "1000", db=db, fake=fake_openai, home=tmp_path).stdout
    )
    assert [(e["domain"], e["segment"], e["tier"]) for e in queue_after] == [
        (e["domain"], e["segment"], e["tier"]) for e in queue_before
    ]


def test_a_killed_cycle_row_shows_what_was_paid(db: str, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.latency_s = 0.1
    proc = start_icp("cycle", "run", "--evaluator", "llm", "-c", "2", db=db, fake=fake_openai, home=tmp_path)
    try:
        wait_for(lambda: len(_grades(db)) >= 5, proc)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
    grades = _grades(db)
    (cycle,) = _cycles(db)
    assert cycle.status == "running"  # killed: nobody could say otherwise yet
    assert cycle.pairs_graded == len(grades) >= 5
    assert cycle.cost_usd == pytest.approx(sum(g.cost_usd for g in grades), abs=1e-6) and cycle.cost_usd > 0
    assert cycle.tokens_in == sum(g.tokens_in for g in grades)
    # The next cycle closes the killed one (its process is gone) and pays only for the rest.
    resumed = json.loads(
        icp("cycle", "run", "--evaluator", "llm", "-f", "json", db=db, fake=fake_openai, home=tmp_path).stdout
    )
    assert resumed["pairs_reused"] == len(grades)
    assert [c.status for c in _cycles(db)] == ["interrupted", "completed"]


def _with_credentials(base_url: str) -> str:
    """``base_url`` with credentials in it, as a gateway URL might carry them."""
    return base_url.replace("http://", "http://bob:hunter2@") + "?api-key=gateway-s3cret"


SECRETS = ("hunter2", "gateway-s3cret", "sk-live-abcdef123456")


def test_llm_check_never_prints_credentials_from_the_base_url(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    url = _with_credentials(fake_openai.base_url)
    db = f"sqlite:///{tmp_path / 'check.db'}"
    for args in (("llm", "check"), ("llm", "check", "-f", "json"), ("-v", "llm", "check")):
        result = icp(
            *args,
            db=db,
            fake=fake_openai,
            home=tmp_path,
            check=False,
            ICP_OPENAI_BASE_URL=url,
            ICP_OPENAI_API_KEY="sk-live-abcdef123456",
            ICP_MODEL="gpt-9-ultra",
        )
        output = result.stdout + result.stderr
        assert result.returncode == 1 and "***" in output, output
        assert not any(secret in output for secret in SECRETS), output


def test_stored_grade_errors_and_cycle_output_never_carry_credentials(
    db: str, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    result = icp(
        "-v",
        "cycle",
        "run",
        "--evaluator",
        "llm",
        db=db,
        fake=fake_openai,
        home=tmp_path,
        check=False,
        ICP_OPENAI_BASE_URL=_with_credentials("http://127.0.0.1:9/v1"),
        ICP_MAX_RETRIES="0",
    )
    output = result.stdout + result.stderr
    assert "Could not connect" in output and "http://***@127.0.0.1:9/v1?api-key=***" in output, output
    assert not any(secret in output for secret in SECRETS), output
    errors = [g.error or "" for g in _grades(db)]
    assert errors and all("Could not connect to the LLM endpoint at http://***@" in e for e in errors)
    assert not any(secret in e for e in errors for secret in SECRETS)
