"""Cycles with the LLM and hybrid evaluators, through the real `icp` command, against the fake server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from icp.samples import COMPANIES_FILE, SEGMENTS_FILE
from icp.testing import ChatRequest, FakeOpenAI, Reply, unknown_responder

ICP = str(Path(sys.executable).parent / "icp")


def run_icp(*args: str, db: Path, fake: FakeOpenAI, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(db.parent),
        "COLUMNS": "200",
        "ICP_OPENAI_BASE_URL": fake.base_url,
        "ICP_OPENAI_API_KEY": "test",
        "ICP_MAX_RETRIES": "1",
        "ICP_REQUEST_TIMEOUT_S": "5",
        "ICP_REQUESTS_PER_MINUTE": "60000",
        "ICP_ADAPTIVE_CONCURRENCY": "false",  # a fast local fake server: a fixed 8 in flight keeps these tests quick
    }
    result = subprocess.run([ICP, "--db", str(db), *args], capture_output=True, text=True, env=env, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"icp {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def db(tmp_path: Path, fake_openai: FakeOpenAI) -> Path:
    """The sample segments and companies, loaded in this process (the cycles under test run as `icp`)."""
    from sqlmodel import Session

    from icp.companies import import_companies
    from icp.segments import import_segments, load_segment_specs
    from icp.store import open_engine

    path = tmp_path / "llm.db"
    fake_openai.responder = unknown_responder
    engine = open_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        import_segments(session, load_segment_specs(SEGMENTS_FILE))
        import_companies(session, COMPANIES_FILE)
    engine.dispose()
    return path


def test_dry_run_estimates_cost_and_sends_nothing(db: Path, fake_openai: FakeOpenAI) -> None:
    out = json.loads(
        run_icp("cycle", "run", "--evaluator", "llm", "--dry-run", "-f", "json", db=db, fake=fake_openai).stdout
    )
    assert out["pairs_to_grade"] == out["pairs_total"] > 0
    assert out["estimated_cost_usd"] > 0 and out["estimated_tokens_in"] > 0
    assert "prompt size" in out["basis"]
    assert fake_openai.chat_requests == []


def test_hybrid_cycle_calls_the_model_only_for_undecided_pairs_and_resumes_for_free(
    db: Path, fake_openai: FakeOpenAI
) -> None:
    first = json.loads(run_icp("cycle", "run", "--evaluator", "hybrid", "-f", "json", db=db, fake=fake_openai).stdout)
    calls = len(fake_openai.chat_requests)
    assert first["status"] == "completed" and first["pairs_failed"] == 0
    assert 0 < calls < first["pairs_total"]  # checks disqualified many pairs without a call
    assert first["tokens_in"] > 0
    second = json.loads(run_icp("cycle", "run", "--evaluator", "hybrid", "-f", "json", db=db, fake=fake_openai).stdout)
    assert second["pairs_graded"] == 0 and second["pairs_reused"] == first["pairs_total"]
    assert len(fake_openai.chat_requests) == calls


def test_a_failing_pair_is_recorded_and_the_next_cycle_retries_only_it(db: Path, fake_openai: FakeOpenAI) -> None:
    target = "tessellate-analytics.de"

    def responder(request: ChatRequest) -> Any:
        if request.company.get("domain") == target:
            return Reply.refused()
        return unknown_responder(request)

    fake_openai.responder = responder
    first = json.loads(
        run_icp("cycle", "run", "--evaluator", "llm", "-f", "json", "-c", "4", db=db, fake=fake_openai).stdout
    )
    assert first["status"] == "completed"
    assert first["pairs_failed"] == 4 and all(target in f for f in first["failures"])
    assert first["pairs_graded"] == first["pairs_total"] - 4
    fake_openai.responder = unknown_responder
    before = len(fake_openai.chat_requests)
    second = json.loads(run_icp("cycle", "run", "--evaluator", "llm", "-f", "json", db=db, fake=fake_openai).stdout)
    assert (second["pairs_graded"], second["pairs_failed"]) == (4, 0)
    assert len(fake_openai.chat_requests) - before == 4
    assert {r.chat.company["domain"] for r in fake_openai.chat_requests[before:]} == {target}


def test_budget_stops_grading_cleanly(db: Path, fake_openai: FakeOpenAI) -> None:
    out = json.loads(
        run_icp("cycle", "run", "--evaluator", "llm", "--budget", "0.002", "-f", "json", db=db, fake=fake_openai).stdout
    )
    assert out["status"] == "partial"
    assert 0 < out["pairs_graded"] < out["pairs_total"] and out["pairs_deferred"] > 0
    assert out["cost_usd"] <= 0.002
    assert len(fake_openai.chat_requests) == out["pairs_graded"]


def test_llm_evaluator_without_a_key_is_a_clear_error(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    result = subprocess.run(
        [ICP, "--db", str(tmp_path / "x.db"), "cycle", "run", "--evaluator", "llm"],
        capture_output=True,
        text=True,
        env={"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode == 1
    assert "ICP_OPENAI_API_KEY" in result.stderr and "Traceback" not in result.stderr


def test_a_failed_grade_is_never_a_score(db: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda request: Reply.error_reply(401, "Incorrect API key provided", code="invalid_api_key")
    for fmt in ("table", "json", "csv"):
        result = run_icp(
            "grade", "--segment", "Mid-Market B2B SaaS", "--company", "ledgerlight.co.uk", "--evaluator", "llm",
            "-f", fmt, db=db, fake=fake_openai, check=False,
        )  # fmt: skip
        assert result.returncode == 1 and "Grading failed" in result.stderr and "Traceback" not in result.stderr
        if fmt == "json":
            payload = json.loads(result.stdout)
            assert payload["grade"]["status"] == "failed" and payload["breakdown"] is None
        else:
            assert "T1" not in result.stdout and "100" not in result.stdout


def test_a_trial_cycle_grades_a_few_pairs_and_leaves_the_queue_alone(db: Path, fake_openai: FakeOpenAI) -> None:
    from sqlmodel import Session

    from icp.cycle import run_cycle
    from icp.evaluators.offline import OfflineEvaluator
    from icp.queue import ranked_queue
    from icp.store import open_engine

    engine = open_engine(f"sqlite:///{db}")
    run_cycle(engine, OfflineEvaluator())  # a queue to keep

    def queue() -> list[tuple[str, str, str]]:
        with Session(engine) as session:
            return [(e.domain, e.segment, e.tier) for e in ranked_queue(session, limit=None)]

    before = queue()
    trial = json.loads(
        run_icp("cycle", "run", "--evaluator", "llm", "--limit", "3", "-f", "json", db=db, fake=fake_openai).stdout
    )
    assert trial["status"] == "trial" and trial["pairs_graded"] == 3 and "queue" in trial["note"]
    assert len(fake_openai.chat_requests) == 3
    assert queue() == before
    again = json.loads(
        run_icp("cycle", "run", "--evaluator", "llm", "--limit", "5", "-f", "json", db=db, fake=fake_openai).stdout
    )
    assert again["pairs_graded"] == 5 and len(fake_openai.chat_requests) == 8  # the first three were reused
    engine.dispose()


def test_a_budget_needs_a_price_for_the_model(db: Path, fake_openai: FakeOpenAI) -> None:
    from icp.settings import Settings

    env_model = {"ICP_MODEL": "llama-3.1-8b-instruct"}
    result = subprocess.run(
        [ICP, "--db", str(db), "cycle", "run", "--evaluator", "llm", "--budget", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": str(Path(sys.executable).parent),
            "HOME": str(db.parent),
            "ICP_OPENAI_BASE_URL": fake_openai.base_url,
            "ICP_OPENAI_API_KEY": "test",
            **env_model,
        },
    )
    assert result.returncode == 1 and "--budget needs a price for 'llama-3.1-8b-instruct'" in result.stderr
    assert "ICP_PRICES" in result.stderr and fake_openai.chat_requests == []
    settings = Settings()
    assert settings.price_of("gpt-4o-mini-2024-07-18") == settings.prices["gpt-4o-mini"]
    assert settings.price_of("gpt-4o-mini-20240718") == settings.prices["gpt-4o-mini"]
    assert settings.price_of("my-own-model") is None
