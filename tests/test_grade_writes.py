"""Grade writes: never a second row or an overwrite of another writer's grade; every try's usage kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from icp.cycle import run_cycle
from icp.grading import GradeWriter
from icp.queue import ranked_queue
from icp.store.tables import Company, Cycle, Grade, ProspectingTask, SegmentVersion
from tests.scripted import ScriptedEvaluator
from tests.test_cycle import COMPANIES, _seed


def _columns(session: Session, input_hash: str, **values: Any) -> dict[str, Any]:
    company = session.exec(select(Company)).first()
    version = session.exec(select(SegmentVersion)).first()
    assert company is not None and version is not None
    return {
        "input_hash": input_hash,
        "company_id": company.id,
        "segment_version_id": version.id,
        "company_hash": company.content_hash,
        "status": "ok",
        "results": "[]",
        "summary": "",
        "error": None,
        "evaluator": "scripted",
        "model": "m",
        "prompt_id": None,
        "prompt_hash": None,
        "tokens_in": 10,
        "tokens_out": 5,
        "tokens_cached": 0,
        "cost_usd": 0.01,
        "latency_ms": 1.0,
        "attempts": 1,
        "base_score": 50.0,
        "disqualified": False,
        "policy_hash": None,
        **values,
    }


def test_a_grade_another_writer_stored_first_is_kept_not_an_error(engine: Engine) -> None:
    _seed(engine)
    with Session(engine) as session:
        GradeWriter(session).add(_columns(session, "b2:same", summary="first"), replace=False, paid=True)
        writer = GradeWriter(session)
        writer.add(_columns(session, "b2:same", summary="second"), replace=False, paid=False)
        writer.add(_columns(session, "b2:other", summary="new"), replace=False, paid=False)
        writer.flush()
        stored = {g.input_hash: g.summary for g in session.exec(select(Grade))}
    assert stored == {"b2:same": "first", "b2:other": "new"}


def test_a_retried_grade_adds_up_every_try_and_never_overwrites_an_ok_grade(engine: Engine) -> None:
    _seed(engine)
    with Session(engine) as session:
        failed = _columns(session, "b2:failed", status="failed", error="503", cost_usd=0.02, attempts=3)
        GradeWriter(session).add(failed, replace=False, paid=True)
        GradeWriter(session).add(_columns(session, "b2:ok", summary="kept"), replace=False, paid=True)
        writer = GradeWriter(session)
        writer.add(_columns(session, "b2:failed", summary="retried"), replace=True, paid=True)
        writer.add(_columns(session, "b2:ok", summary="overwritten?"), replace=True, paid=True)
        grades = {g.input_hash: g for g in session.exec(select(Grade))}
    retried = grades["b2:failed"]
    assert (retried.status, retried.summary, retried.attempts, retried.tokens_in) == ("ok", "retried", 4, 20)
    assert retried.cost_usd == pytest.approx(0.03)
    assert grades["b2:ok"].summary == "kept"


def test_grade_costs_add_up_to_cycle_costs_across_retries(engine: Engine) -> None:
    _seed(engine)
    run_cycle(engine, ScriptedEvaluator(fail_domains=frozenset({"c3.com"}), cost_per_pair=0.01))
    run_cycle(engine, ScriptedEvaluator(cost_per_pair=0.01))
    with Session(engine) as session:
        grades = list(session.exec(select(Grade)))
        cycles = list(session.exec(select(Cycle)))
        c3 = session.exec(select(Company).where(Company.domain == "c3.com")).one()
    retried = [g for g in grades if g.company_id == c3.id]  # failed, then graded
    assert [g.attempts for g in retried] == [2, 2] and all(g.status == "ok" for g in retried)
    assert sum(g.cost_usd for g in grades) == pytest.approx(sum(c.cost_usd for c in cycles)) == pytest.approx(0.26)
    assert sum(g.attempts for g in grades) == sum(c.pairs_graded + c.pairs_failed for c in cycles) == 26


def test_a_cycle_whose_every_grade_failed_keeps_the_previous_queue_and_tasks(engine: Engine) -> None:
    _seed(engine)
    run_cycle(engine, ScriptedEvaluator())
    with Session(engine) as session:
        queue = [(e.domain, e.segment, e.tier) for e in ranked_queue(session, limit=None)]
        tasks = len(session.exec(select(ProspectingTask)).all())
    assert queue and tasks
    everyone = frozenset(c.domain for c in COMPANIES)
    report = run_cycle(engine, ScriptedEvaluator(model="another", fail_domains=everyone))
    assert report.status == "failed" and report.pairs_graded == 0 and report.pairs_failed == 24
    assert "every pair it graded failed" in report.note and "previous cycle's queue" in report.note
    with Session(engine) as session:
        assert [(e.domain, e.segment, e.tier) for e in ranked_queue(session, limit=None)] == queue
        assert len(session.exec(select(ProspectingTask)).all()) == tasks
