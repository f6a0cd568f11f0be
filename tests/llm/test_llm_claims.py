"""Two cycles that both run at once (a lease taken over while its holder still grades) never send one pair twice."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session

from icp.samples import SEGMENTS_FILE
from icp.store import open_engine
from icp.store.tables import CycleLease, utcnow
from icp.testing import ChatRequest, FakeOpenAI, unknown_responder
from tests.conftest import BACKENDS, postgres_database
from tests.llm.test_llm_cycle_safety import _cycles, _first_companies, _grades, icp, start_icp, wait_for


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path, fake_openai: FakeOpenAI) -> Iterator[str]:
    """The sample segments and 10 sample companies: a SQLite file, and PostgreSQL when it is set."""

    def load(url: str) -> None:
        icp("segments", "import", str(SEGMENTS_FILE), db=url, fake=fake_openai, home=tmp_path)
        companies = str(_first_companies(tmp_path / "companies.csv", 10))
        icp("companies", "import", companies, db=url, fake=fake_openai, home=tmp_path)

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cycles.db'}"
        load(url)
        yield url
        return
    with postgres_database(request.getfixturevalue("_postgres_template")) as url:
        load(url)
        yield url


def _expire_lease(url: str) -> None:
    """What a stalled holder looks like from outside: its lease ran out while it was still grading."""
    engine = open_engine(url)
    with Session(engine) as session:
        session.execute(update(CycleLease).values(expires_at=utcnow() - timedelta(minutes=5)))
        session.commit()
    engine.dispose()


def _pair(request: Any) -> str:
    """A request's pair: the same company and segment render the same messages."""
    return json.dumps(request.messages, sort_keys=True)


@pytest.mark.slow
def test_a_cycle_that_takes_over_an_expired_lease_never_resends_pairs_in_flight(
    db: str, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    gate = threading.Event()  # answers wait until both cycles have sent their first requests

    def held(request: ChatRequest) -> Any:
        gate.wait(60)
        return unknown_responder(request)

    fake_openai.responder = held
    cycle = ("cycle", "run", "--evaluator", "llm", "-c", "4", "-f", "json")
    first = start_icp(*cycle, db=db, fake=fake_openai, home=tmp_path, ICP_REQUEST_TIMEOUT_S="120")
    second = None
    try:
        wait_for(lambda: len(fake_openai.chat_requests) >= 2, first)  # pairs in flight, none answered
        _expire_lease(db)
        second = start_icp(*cycle, db=db, fake=fake_openai, home=tmp_path, ICP_REQUEST_TIMEOUT_S="120")
        # The second cycle took the lease over and sends pairs of its own (before the fix: the first's too).
        wait_for(lambda: len(fake_openai.chat_requests) >= 4, second)
        gate.set()
        out_a, err_a = first.communicate(timeout=300)
        out_b, err_b = second.communicate(timeout=300)
    finally:
        gate.set()
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert second.returncode == 0, err_b
    b = json.loads(out_b)
    total = b["pairs_total"]
    sent = Counter(_pair(r) for r in fake_openai.chat_requests)
    assert sent.most_common(1)[0][1] == 1, "a pair was sent by both cycles"
    # Every pair was paid for exactly once, by one cycle or the other, and stored.
    assert len(sent) == len(fake_openai.chat_requests) == total
    grades = _grades(db)
    assert len(grades) == total and all(g.status == "ok" for g in grades)
    assert "being graded by another cycle" in b["note"]
    # The first finished what it had claimed, or stopped once it learnt its lease was taken; nothing was lost.
    assert first.returncode in (0, 1), err_a
    assert "Traceback" not in err_a and "Traceback" not in err_b
    assert _cycles(db)[-1].status in ("completed", "partial")
