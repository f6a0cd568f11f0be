"""The prospecting cycle: pinning, incremental grading, resume, budget, memberships, tasks, changes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from icp.companies import upsert_companies
from icp.cycle import estimate_cycle, run_cycle
from icp.domain import CompanyProfile
from icp.queue import ranked_queue
from icp.segments import create_segment, delete_segment, edit_segment
from icp.store import open_engine
from icp.store.tables import Cycle, Grade, Membership, ProspectingTask
from icp.tasks import MotionSpec, complete_task, create_motion, list_tasks
from icp.trends import segment_overlaps, segment_stats, tier_changes
from tests.scripted import Boom, ScriptedEvaluator

COMPANIES = [
    CompanyProfile(
        name=f"Company {i}",
        domain=f"c{i}.com",
        industry="SaaS" if i % 2 else "Retail",
        country="US" if i % 3 else "DE",
        funding_stage="Series B" if i % 4 else None,
    )
    for i in range(12)
]


def _seed(engine: Engine) -> None:
    with Session(engine) as session:
        upsert_companies(session, COMPANIES)
        session.commit()
        create_segment(session, "SaaS US", "industry is SaaS\ncountry is US", "funding_stage is Series B", priority=2)
        create_segment(session, "Germany", "country is DE", priority=1)
        create_motion(session, MotionSpec(name="Outbound", segments=["SaaS US", "Germany"], capacity=100))


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    _seed(engine)
    return engine


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_first_cycle_grades_every_pair_and_ranks_members(seeded: Engine) -> None:
    evaluator = ScriptedEvaluator()
    report = run_cycle(seeded, evaluator)
    assert (report.status, report.pairs_total, report.pairs_graded, report.pairs_reused) == ("completed", 24, 24, 0)
    assert len(evaluator.calls) == 24
    with Session(seeded) as session:
        queue = ranked_queue(session, segment="SaaS US", limit=None)
    # SaaS in the US: odd i not divisible by 3 -> 1, 5, 7, 11
    assert {e.domain for e in queue} == {"c1.com", "c5.com", "c7.com", "c11.com"}
    assert [e.tier for e in queue] == sorted((e.tier for e in queue), key=lambda t: t)  # T1 before T2...
    assert queue[0].criteria[0].id == "R1" and queue[0].criteria[0].verdict == "met"


def test_second_cycle_without_changes_grades_nothing(seeded: Engine) -> None:
    run_cycle(seeded, ScriptedEvaluator())
    evaluator = ScriptedEvaluator()
    report = run_cycle(seeded, evaluator)
    assert (report.pairs_graded, report.pairs_reused) == (0, 24)
    assert evaluator.calls == []
    assert _count(seeded, Grade) == 24


def test_editing_one_company_regrades_exactly_its_pairs(seeded: Engine) -> None:
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        upsert_companies(session, [COMPANIES[5].model_copy(update={"country": "DE"})])
        session.commit()
    evaluator = ScriptedEvaluator()
    report = run_cycle(seeded, evaluator)
    assert sorted(evaluator.calls) == [("c5.com", "Germany"), ("c5.com", "SaaS US")]
    assert (report.pairs_graded, report.pairs_reused) == (2, 22)


def test_segment_edit_during_a_cycle_takes_effect_on_the_next_one(seeded: Engine) -> None:
    edited = False

    def edit_mid_cycle(progress) -> None:  # type: ignore[no-untyped-def]
        nonlocal edited
        if progress.graded == 5 and not edited:
            with Session(seeded) as session:
                edit_segment(session, "Germany", requirements="country is DE\nindustry is Retail")
            edited = True

    first = ScriptedEvaluator()
    report = run_cycle(seeded, first, on_progress=edit_mid_cycle)
    assert edited
    assert {p.version for p in report.pinned if p.name == "Germany"} == {1}
    assert {name for _, name in first.calls} == {"SaaS US", "Germany"} and len(first.calls) == 24
    second = ScriptedEvaluator()
    report = run_cycle(seeded, second)
    assert {name for _, name in second.calls} == {"Germany"} and len(second.calls) == 12
    assert {p.version for p in report.pinned if p.name == "Germany"} == {2}


def test_crash_mid_cycle_resumes_without_regrading_finished_pairs(seeded: Engine) -> None:
    with pytest.raises(Boom):
        run_cycle(seeded, ScriptedEvaluator(crash_after=7))
    with Session(seeded) as session:
        cycle = session.exec(select(Cycle)).one()
        assert cycle.status == "interrupted"
        assert cycle.pairs_graded == 7
        finished = {(g.company_id, g.segment_version_id) for g in session.exec(select(Grade))}
    assert len(finished) == 7
    evaluator = ScriptedEvaluator()
    report = run_cycle(seeded, evaluator)
    assert (report.pairs_graded, report.pairs_reused) == (17, 7)
    assert len(set(evaluator.calls)) == 17


def test_killed_process_resumes_without_regrading_or_paying_twice(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    engine = open_engine(f"sqlite:///{db}")
    _seed(engine)
    engine.dispose()
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
        from icp.store import open_engine
        from icp.cycle import run_cycle
        from tests.scripted import ScriptedEvaluator
        run_cycle(open_engine({f"sqlite:///{db}"!r}), ScriptedEvaluator(delay=0.15, cost_per_pair=0.01))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        engine = open_engine(f"sqlite:///{db}")
        deadline = time.monotonic() + 60
        while _count(engine, Grade) < 4:
            assert proc.poll() is None, "the cycle ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with Session(engine) as session:
        paid_before = {(g.company_id, g.segment_version_id) for g in session.exec(select(Grade))}
        spent_before = sum(g.cost_usd for g in session.exec(select(Grade)))
    assert 4 <= len(paid_before) < 24
    evaluator = ScriptedEvaluator(cost_per_pair=0.01)
    report = run_cycle(engine, evaluator)
    assert report.pairs_reused == len(paid_before)
    assert report.pairs_graded == 24 - len(paid_before)
    assert report.cost_usd == pytest.approx(0.01 * (24 - len(paid_before)))
    with Session(engine) as session:
        statuses = [c.status for c in session.exec(select(Cycle).order_by(Cycle.id))]
        total_spent = sum(g.cost_usd for g in session.exec(select(Grade)))
    assert statuses == ["interrupted", "completed"]
    assert total_spent == pytest.approx(spent_before + report.cost_usd)
    engine.dispose()


def test_failed_pair_is_recorded_cycle_goes_on_and_next_cycle_retries_it(seeded: Engine) -> None:
    report = run_cycle(seeded, ScriptedEvaluator(fail_domains=frozenset({"c3.com"})))
    assert (report.status, report.pairs_failed, report.pairs_graded) == ("completed", 2, 22)
    assert any("c3.com" in f and "503" in f for f in report.failures)
    with Session(seeded) as session:
        failed = session.exec(select(Grade).where(Grade.status == "failed")).all()
        assert len(failed) == 2 and all(g.error for g in failed)
        standings = ranked_queue(session, limit=None) + ranked_queue(session, tier="disqualified", limit=None)
        assert len(standings) == 22 and "c3.com" not in {e.domain for e in standings}
        assert session.exec(select(func.count()).select_from(Membership)).one() == len(
            ranked_queue(session, limit=None)
        )
    evaluator = ScriptedEvaluator()
    report = run_cycle(seeded, evaluator)
    assert sorted(evaluator.calls) == [("c3.com", "Germany"), ("c3.com", "SaaS US")]
    assert (report.pairs_failed, report.pairs_graded, report.pairs_reused) == (0, 2, 22)
    assert _count(seeded, Grade) == 24


def test_dry_run_estimates_and_grades_nothing(seeded: Engine) -> None:
    run_cycle(seeded, ScriptedEvaluator(cost_per_pair=0.002, model="paid"), concurrency=1)
    with Session(seeded) as session:
        edit_segment(session, "Germany", requirements="country is DE\nindustry is SaaS")
    evaluator = ScriptedEvaluator(cost_per_pair=0.002, model="paid")
    estimate = estimate_cycle(seeded, evaluator)
    assert (estimate.pairs_total, estimate.pairs_to_grade, estimate.pairs_reused) == (24, 12, 12)
    assert estimate.estimated_cost_usd == pytest.approx(12 * 0.002)
    assert estimate.estimated_tokens_in == 1200
    assert evaluator.calls == []
    assert _count(seeded, Cycle) == 1


def test_budget_stops_cleanly_and_the_next_cycle_finishes(seeded: Engine) -> None:
    evaluator = ScriptedEvaluator(cost_per_pair=0.01)
    report = run_cycle(seeded, evaluator, budget_usd=0.055, estimator=lambda c, s: (100, 20, 0.01))
    assert report.status == "partial"
    assert report.pairs_graded == 5 and report.pairs_deferred == 19
    assert report.cost_usd <= 0.055
    report = run_cycle(seeded, ScriptedEvaluator(cost_per_pair=0.01))
    assert (report.status, report.pairs_graded, report.pairs_reused) == ("completed", 19, 5)


def test_tasks_ranked_without_duplicates_and_primary_segment_wins(seeded: Engine) -> None:
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        tasks = list_tasks(session, motion="Outbound")
        assert [t.rank for t in tasks] == list(range(1, len(tasks) + 1))
        tiers = [t.tier for t in tasks]
        assert tiers == sorted(tiers)
        # c0 (Retail, DE) is only in Germany; no company appears twice.
        assert len({t.company_domain for t in tasks}) == len(tasks)
        assert all(t.reasons for t in tasks)
        first_count = len(tasks)
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        assert len(list_tasks(session, motion="Outbound")) == first_count  # open tasks are not duplicated
        complete_task(session, list_tasks(session, motion="Outbound")[0].id)
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        assert len(list_tasks(session, motion="Outbound")) == first_count
        assert len(list_tasks(session, motion="Outbound", status="done")) == 1


def test_company_in_two_segments_is_worked_under_the_higher_priority_one(engine: Engine) -> None:
    with Session(engine) as session:
        upsert_companies(session, [CompanyProfile(name="Both", domain="both.com", industry="SaaS", country="DE")])
        session.commit()
        create_segment(session, "Low", "industry is SaaS", priority=1)
        create_segment(session, "High", "country is DE", priority=9)
        create_motion(session, MotionSpec(name="Low motion", segments=["Low"]))
        create_motion(session, MotionSpec(name="High motion", segments=["High"]))
    run_cycle(engine, ScriptedEvaluator())
    with Session(engine) as session:
        tasks = list_tasks(session)
    assert [(t.motion_name, t.segment_name) for t in tasks] == [("High motion", "High")]


def test_deleting_a_segment_leaves_its_tasks(seeded: Engine) -> None:
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        before = [t.model_dump() for t in list_tasks(session)]
        delete_segment(session, "SaaS US")
        edit_segment(session, "Germany", name="DACH")
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        after = {t.id: t.model_dump() for t in list_tasks(session, status=None)}
    assert before and all(after[t["id"]] == t for t in before)
    assert any(t["segment_name"] == "SaaS US" for t in before)


def test_tier_change_reasons_name_the_flipped_criterion(seeded: Engine) -> None:
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        upsert_companies(session, [COMPANIES[1].model_copy(update={"industry": "Retail"})])
        session.commit()
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        changes = tier_changes(session)
    (change,) = [c for c in changes if c.domain == "c1.com" and c.segment == "SaaS US"]
    assert change.to_tier == "disqualified"
    assert change.reasons == ["R1 industry is SaaS: met → not_met — industry: Retail"]


def test_member_counts_trend_and_overlap(seeded: Engine) -> None:
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        stats = {s.segment: s for s in segment_stats(session).values()}
        assert stats["SaaS US"].members == 4 and stats["SaaS US"].joined_7d == 4
        assert stats["Germany"].members == 4
        create_segment(session, "Germany again", "country is DE")
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        overlaps = segment_overlaps(session, threshold=0.9)
        stats = {s.segment: s for s in segment_stats(session).values()}
    assert [(o.segment_a, o.segment_b, o.jaccard) for o in overlaps] == [("Germany", "Germany again", 1.0)]
    assert "merging" in overlaps[0].suggestion
    assert stats["Germany again"].members == 4 and stats["Germany"].joined_7d == 0


def test_concurrent_grading_gives_the_same_memberships(seeded: Engine, tmp_path: Path) -> None:
    run_cycle(seeded, ScriptedEvaluator(), concurrency=4)
    other = open_engine("sqlite:///" + str(tmp_path / "serial.db"))
    _seed(other)
    run_cycle(other, ScriptedEvaluator(), concurrency=1)

    def snapshot(engine: Engine) -> list[tuple[int, int, str, float]]:
        with Session(engine) as session:
            rows = session.exec(select(Membership)).all()
            return sorted((m.segment_id, m.company_id, m.tier, m.score) for m in rows)

    assert snapshot(seeded) == snapshot(other)
    assert _count(seeded, ProspectingTask) == _count(other, ProspectingTask)


def test_feedback_is_stored_per_corrected_criterion(seeded: Engine) -> None:
    from icp.domain import Verdict
    from icp.errors import InputError
    from icp.feedback import CriterionCorrection, list_feedback, record_feedback

    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        entry = ranked_queue(session, segment="SaaS US")[0]
        record_feedback(session, entry.grade_id, "agree", author="sam")
        ids = record_feedback(
            session,
            entry.grade_id,
            "wrong",
            corrections=[CriterionCorrection(criterion_id="R2", correct_verdict=Verdict.NOT_MET)],
            note="They moved HQ to Canada",
        )
        assert len(ids) == 1
        with pytest.raises(InputError, match="no criterion R9"):
            record_feedback(
                session,
                entry.grade_id,
                "wrong",
                corrections=[CriterionCorrection(criterion_id="R9", correct_verdict=Verdict.MET)],
            )
        with pytest.raises(InputError, match="Say what is wrong"):
            record_feedback(session, entry.grade_id, "wrong")
        stored = list_feedback(session, grade_id=entry.grade_id)
    assert [(f.kind, f.criterion_id, f.correct_verdict) for f in stored] == [
        ("wrong", "R2", "not_met"),
        ("agree", None, None),
    ]
    assert stored[0].note == "They moved HQ to Canada" and stored[0].domain == entry.domain


def test_motion_lists_a_deleted_segment_as_deleted(seeded: Engine) -> None:
    from icp.tasks import get_motion

    with Session(seeded) as session:
        delete_segment(session, "Germany")
        assert get_motion(session, "Outbound").segments == ["Germany (deleted)", "SaaS US"]


def test_cpu_bound_grading_in_worker_processes_matches_in_process_grading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from icp import grading
    from icp.demo import load_samples
    from icp.evaluators.offline import OfflineEvaluator

    def graded(engine: Engine) -> list[tuple[str, str, float | None, str]]:
        with Session(engine) as session:
            return sorted(
                (g.input_hash, g.results and str(g.results), g.base_score, g.summary)
                for g in session.exec(select(Grade))
            )

    engines = []
    for name in ("inline", "processes"):
        engine = open_engine(f"sqlite:///{tmp_path / name}.db")
        with Session(engine) as session:
            load_samples(session)
        engines.append(engine)
    run_cycle(engines[0], OfflineEvaluator(), concurrency=1)
    monkeypatch.setattr(grading, "_PROCESS_MIN_PAIRS", 1)
    monkeypatch.setattr(grading, "_PROCESS_CHUNK", 50)
    report = run_cycle(engines[1], OfflineEvaluator(), concurrency=2)
    assert report.pairs_graded == report.pairs_total > 500
    assert graded(engines[0]) == graded(engines[1])
    for engine in engines:
        engine.dispose()


def test_grades_written_on_the_fast_path_read_back_like_any_other(seeded: Engine) -> None:
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC)
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        grade = session.exec(select(Grade)).first()
    assert grade is not None
    assert grade.created_at.tzinfo is not None
    assert before - timedelta(seconds=1) <= grade.created_at <= datetime.now(UTC)
    assert isinstance(grade.results, list) and grade.results[0]["id"] == "R1"
    assert grade.disqualified in (True, False)


def test_a_new_scoring_policy_rescores_stored_grades_without_regrading(seeded: Engine) -> None:
    from icp.scoring import ScoringPolicy

    with Session(seeded) as session:  # a member without the nice-to-have: its score depends on the weights
        upsert_companies(session, [CompanyProfile(name="Partial", domain="partial.com", industry="SaaS", country="US")])
        session.commit()
    run_cycle(seeded, ScriptedEvaluator())
    with Session(seeded) as session:
        before = {(e.domain, e.segment): (e.tier, e.fit_score) for e in ranked_queue(session, limit=None)}
    strict = ScoringPolicy(requirement_points=80, nice_to_have_points=20, t1=95, t2=85)
    evaluator = ScriptedEvaluator()
    report = run_cycle(seeded, evaluator, policy=strict)
    assert evaluator.calls == [] and report.pairs_reused == 26
    with Session(seeded) as session:
        after = {(e.domain, e.segment): (e.tier, e.fit_score) for e in ranked_queue(session, limit=None)}
        grades = session.exec(select(Grade)).all()
    assert set(after) == set(before)  # the same members: gating does not depend on the weights
    assert before[("partial.com", "SaaS US")] == ("T2", 70.0)
    assert after[("partial.com", "SaaS US")] == ("T3", 80.0)
    assert all(tier in ("T1", "T2", "T3") for tier, _ in after.values())
    assert {g.policy_hash for g in grades} == {cycle_policy_hash(strict)}


def cycle_policy_hash(policy):  # type: ignore[no-untyped-def]
    from icp.cycle import policy_hash

    return policy_hash(policy)


def test_tier_thresholds_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from icp.settings import Settings

    monkeypatch.setenv("ICP_TIER_THRESHOLDS", "[90, 75]")
    monkeypatch.setenv("ICP_SIGNAL_HALF_LIFE_DAYS", "7")
    policy = Settings().scoring_policy()
    assert (policy.t1, policy.t2, policy.signal_half_life_days) == (90, 75, 7)
