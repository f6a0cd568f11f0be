"""Grading through the Batch API, through the real `icp` command against the fake server's batch endpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from icp.evaluators.llm import cost_usd
from icp.lease import hold_lease
from icp.settings import Settings
from icp.store import open_engine
from icp.store.tables import Grade
from icp.testing import ChatRequest, FakeOpenAI, Reply, unknown_responder
from tests.llm.test_llm_cycle import run_icp

REFUSED = "tessellate-analytics.de"


@pytest.fixture
def db(tmp_path: Path, fake_openai: FakeOpenAI) -> Path:
    from icp.samples import COMPANIES_FILE, SEGMENTS_FILE

    def responder(request: ChatRequest) -> Any:
        if request.company.get("domain") == REFUSED:
            return Reply.refused()
        return unknown_responder(request)

    fake_openai.responder = responder
    path = tmp_path / "batch.db"
    run_icp("segments", "import", str(SEGMENTS_FILE), db=path, fake=fake_openai)
    run_icp("companies", "import", str(COMPANIES_FILE), db=path, fake=fake_openai)
    return path


def icp_json(*args: str, db: Path, fake: FakeOpenAI) -> Any:
    return json.loads(run_icp(*args, "-f", "json", db=db, fake=fake).stdout)


def test_a_batch_is_submitted_collected_and_reused_by_the_next_cycle_without_paying_twice(
    db: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.batch_polls = 0  # the batch is done by the first time it is asked about
    plan = icp_json("batch", "submit", "--dry-run", db=db, fake=fake_openai)
    total = plan["pairs_total"]
    assert plan["pairs_to_submit"] == total > 500 and plan["estimated_cost_usd"] > 0
    assert icp_json("batch", "status", db=db, fake=fake_openai) == []  # a dry run sends nothing

    submitted = icp_json("batch", "submit", db=db, fake=fake_openai)
    assert submitted["pairs"] == total and not submitted["collected"]
    assert fake_openai.chat_requests == []  # one upload and one batch, no chat requests

    # While the batch is open a cycle leaves its pairs to it: nothing graded, nothing paid.
    waiting = icp_json("cycle", "run", "--evaluator", "llm", db=db, fake=fake_openai)
    assert waiting["pairs_graded"] == 0 and waiting["status"] == "partial"
    assert "wait for an LLM batch" in waiting["note"]
    assert icp_json("batch", "submit", db=db, fake=fake_openai)["pairs_waiting"] == total  # nothing sent twice
    assert fake_openai.chat_requests == []

    collected = icp_json("batch", "collect", db=db, fake=fake_openai)
    assert len(collected) == 1
    batch = collected[0]
    refused_pairs = 4  # the refused company, once per active sample segment
    assert (batch["grades_ok"], batch["grades_failed"], batch["unanswered"]) == (
        total - refused_pairs,
        refused_pairs,
        0,
    )
    assert batch["collected"] and batch["cost_usd"] > 0

    with Session(open_engine(f"sqlite:///{db}")) as session:
        grades = session.exec(select(Grade)).all()
    assert len(grades) == total
    graded = next(g for g in grades if g.status == "ok")
    live_price = cost_usd(Settings(), graded.model or "", graded.tokens_in, graded.tokens_out, graded.tokens_cached)
    assert graded.cost_usd == pytest.approx(live_price * 0.5)  # the batch price
    assert graded.evaluator == "llm" and graded.prompt_hash and graded.attempts == 1
    refused = [g for g in grades if g.status == "failed"]
    assert all("refused" in (g.error or "") for g in refused)

    # The next cycle reuses every batch grade and retries only the failed pairs, live.
    cycle = icp_json("cycle", "run", "--evaluator", "llm", db=db, fake=fake_openai)
    assert cycle["pairs_reused"] == total - refused_pairs and cycle["pairs_graded"] == 0
    assert cycle["pairs_failed"] == refused_pairs and len(fake_openai.chat_requests) == refused_pairs
    assert cycle["status"] == "completed"
    assert icp_json("queue", db=db, fake=fake_openai)  # members ranked from batch grades
    assert icp_json("batch", "collect", db=db, fake=fake_openai) == []  # nothing left to collect


def test_pairs_an_expired_batch_never_answered_are_graded_by_the_next_cycle(db: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.expire_batches = True
    fake_openai.batch_polls = 0
    total = icp_json("batch", "submit", db=db, fake=fake_openai)["pairs"]
    batch = icp_json("batch", "collect", db=db, fake=fake_openai)[0]
    assert batch["status"] == "expired" and batch["unanswered"] == total - total // 2
    assert batch["grades_ok"] + batch["grades_failed"] == total // 2
    cycle = icp_json("cycle", "run", "--evaluator", "llm", db=db, fake=fake_openai)
    assert cycle["pairs_reused"] == batch["grades_ok"]
    assert len(fake_openai.chat_requests) == batch["unanswered"] + batch["grades_failed"]


def test_collect_before_the_batch_finishes_stores_nothing(db: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.batch_polls = 5
    icp_json("batch", "submit", db=db, fake=fake_openai)
    assert icp_json("batch", "collect", db=db, fake=fake_openai) == []
    status = icp_json("batch", "status", db=db, fake=fake_openai)
    assert [b["status"] for b in status] == ["in_progress"] and not status[0]["collected"]


def test_batch_commands_without_an_api_key_say_what_to_set(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    import subprocess
    import sys

    icp = str(Path(sys.executable).parent / "icp")
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path), "ICP_OPENAI_BASE_URL": fake_openai.base_url}
    result = subprocess.run(
        [icp, "--db", str(tmp_path / "x.db"), "batch", "submit"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1 and "ICP_OPENAI_API_KEY" in result.stderr and "Traceback" not in result.stderr


def test_submit_says_plainly_when_the_endpoint_has_no_batch_api(db: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.files_api = False

    result = run_icp("batch", "submit", db=db, fake=fake_openai, check=False)

    assert result.returncode == 1, result.stdout + result.stderr
    message = " ".join((result.stdout + result.stderr).split())
    assert "no Batch API (404 on /v1/files)" in message and "Traceback" not in message
    assert "model" not in message.split("no Batch API")[1].split(".")[0]  # it does not blame the model name
    assert icp_json("batch", "status", db=db, fake=fake_openai) == []  # nothing stored


def test_a_submit_while_a_cycle_holds_the_database_says_who_and_sends_nothing(
    db: Path, fake_openai: FakeOpenAI
) -> None:
    """A submit during a running cycle would send the pairs that cycle grades: it names the holder, sends nothing."""
    engine = open_engine(f"sqlite:///{db}")
    with hold_lease(engine):
        busy = run_icp("batch", "submit", db=db, fake=fake_openai, check=False)
        assert icp_json("batch", "submit", "--dry-run", db=db, fake=fake_openai)["pairs_to_submit"] > 0  # reads only
    engine.dispose()
    assert busy.returncode == 3, busy.stdout + busy.stderr
    assert "Another cycle is running on this database" in " ".join(busy.stderr.split())
    assert fake_openai.files == {} and icp_json("batch", "status", db=db, fake=fake_openai) == []
    # Once it is free, the same command sends the batch.
    assert icp_json("batch", "submit", db=db, fake=fake_openai)["pairs"] > 0


def test_collect_wait_polls_until_the_batch_has_finished(db: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.batch_polls = 3  # three answers of "in_progress" before it completes
    total = icp_json("batch", "submit", db=db, fake=fake_openai)["pairs"]
    collected = icp_json("batch", "collect", "--wait", "--poll-seconds", "0.05", db=db, fake=fake_openai)
    assert [b["status"] for b in collected] == ["completed"]
    assert collected[0]["grades_ok"] + collected[0]["grades_failed"] == total
    retrieves = [r for r in fake_openai.requests if r.method == "GET" and r.path.startswith("/v1/batches/")]
    assert len(retrieves) >= 4


def test_a_large_llm_dry_run_points_to_the_batch_api(db: Path, fake_openai: FakeOpenAI) -> None:
    out = run_icp("cycle", "run", "--evaluator", "llm", "--dry-run", db=db, fake=fake_openai).stdout
    assert "icp batch submit" in out and "half price" in out
    assert fake_openai.chat_requests == []


def test_a_cancelled_batch_keeps_what_it_answered_and_leaves_the_rest_to_the_next_cycle(
    db: Path, fake_openai: FakeOpenAI
) -> None:
    total = icp_json("batch", "submit", db=db, fake=fake_openai)["pairs"]
    waiting = run_icp("cycle", "run", "--evaluator", "llm", db=db, fake=fake_openai).stdout
    assert "wait for an LLM batch" in waiting  # the table report says why nothing was graded
    out = run_icp("batch", "cancel", "1", db=db, fake=fake_openai).stdout
    assert "Batch #1 is cancelled" in out
    batch = icp_json("batch", "collect", db=db, fake=fake_openai)[0]
    assert batch["status"] == "cancelled"
    assert batch["grades_ok"] + batch["grades_failed"] == total // 2 and batch["unanswered"] == total - total // 2
    assert run_icp("batch", "cancel", "99", db=db, fake=fake_openai, check=False).returncode == 1


def test_the_cli_loads_the_openai_sdk_only_for_commands_that_call_a_model() -> None:
    import subprocess
    import sys

    code = "import sys, icp.cli; print('openai' in sys.modules, 'alembic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
