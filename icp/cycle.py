"""The prospecting cycle: pin segment versions, grade what changed, snapshot memberships, write tasks.

One cycle, step by step:

1. **Pin** the current version of every active, live segment. Edits saved while the cycle runs take
   effect on the next cycle.
2. For every (company, pinned version) compute the **input hash** over the company's content hash,
   the version hash and the evaluator identity (evaluator, model, prompt hash). A stored ``ok`` grade
   with that hash is **reused**; everything else is **graded**, with bounded concurrency.
3. Each grade is **committed as it completes** (paid grades one by one; free offline grades in small
   batches), so a cycle killed at any point and run again re-grades nothing that finished. A pair
   whose grade failed is recorded as failed and retried by the next cycle; the cycle goes on.
4. With a **budget**, grading stops cleanly before the next pair would exceed it; the rest is
   deferred to the next cycle.
5. **Memberships** (tier and score per segment and company) are written for the cycle, and each
   active motion receives its ranked **tasks**.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile, CriterionResult, EvaluatorIdentity, Signal
from icp.evaluators.base import Evaluator
from icp.grading import GradeWriter, graded_columns
from icp.planning import (
    CyclePlan,
    PinnedSegment,
    PlannedPair,
    UsageEstimator,
    historical_usage,
    pin_segments,
    plan_cycle,
    policy_hash,
    sampled_usage,
    with_profiles,
)
from icp.scoring import DEFAULT_POLICY, ScoringPolicy, base_score, signal_contributions, tier_for
from icp.store.tables import Company, Cycle, Membership, utcnow
from icp.store.tables import Grade as GradeRow
from icp.store.tables import Signal as SignalRow
from icp.tasks import generate_tasks

__all__ = [
    "CycleCounts",
    "CycleEstimate",
    "CyclePlan",
    "CycleProgress",
    "CycleReport",
    "PinnedSegment",
    "PlannedPair",
    "ProgressCallback",
    "UsageEstimator",
    "estimate_cycle",
    "pin_segments",
    "plan_cycle",
    "policy_hash",
    "run_cycle",
    "with_profiles",
]

logger = logging.getLogger(__name__)


class CycleProgress(BaseModel):
    """Where a running cycle is; passed to the progress callback after each pair."""

    total: int
    done: int = 0
    graded: int = 0
    reused: int = 0
    failed: int = 0
    deferred: int = 0
    cost_usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0


class CycleCounts(BaseModel):
    """What a cycle did, as its ``Cycle`` row records it."""

    status: str
    evaluator: str
    model: str | None = None
    pairs_total: int
    pairs_graded: int
    pairs_reused: int
    pairs_failed: int
    pairs_deferred: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    tasks_created: int
    started_at: datetime
    finished_at: datetime | None
    note: str = ""


class CycleReport(CycleCounts):
    """The outcome of a cycle, as ``run_cycle`` returns it."""

    cycle_id: int
    pinned: list[PinnedSegment]
    failures: list[str] = Field(default_factory=list, description="'domain × segment: reason' for failed pairs.")


class CycleEstimate(BaseModel):
    """What a cycle would do, without doing it."""

    evaluator: str
    model: str | None
    pinned: list[PinnedSegment]
    pairs_total: int
    pairs_to_grade: int
    pairs_reused: int
    estimated_tokens_in: int
    estimated_tokens_out: int
    estimated_cost_usd: float
    basis: str = Field(description="Where the per-pair estimate comes from.")


ProgressCallback = Callable[[CycleProgress], None]


def estimate_cycle(
    engine: Engine, evaluator: Evaluator, *, estimator: UsageEstimator | None = None, sample: int = 20
) -> CycleEstimate:
    """Dry run: how many pairs a cycle would grade and what it would cost. Grades and writes nothing.

    The per-pair estimate is the average of this evaluator and model's past grades when there are
    any; otherwise ``estimator`` applied to a sample of the pairs; otherwise zero (offline).
    """
    identity = evaluator.identity
    with Session(engine) as session:
        plan = plan_cycle(session, identity)
        history = historical_usage(session, identity)
    n = len(plan.to_grade)
    if history is not None:
        avg_in, avg_out, avg_cost, count = history
        basis = f"average of {count} past grades by {identity.evaluator}/{identity.model}"
    elif estimator is not None and n:
        with Session(engine) as session:
            avg_in, avg_out, avg_cost, sampled = sampled_usage(session, plan, plan.to_grade, estimator, sample)
        basis = f"prompt size of {sampled} sampled pairs and the price table"
    else:
        avg_in = avg_out = avg_cost = 0.0
        basis = "offline grading is free" if identity.evaluator == "offline" else "no history and no estimator"
    return CycleEstimate(
        evaluator=identity.evaluator,
        model=identity.model,
        pinned=plan.pinned,
        pairs_total=plan.total,
        pairs_to_grade=n,
        pairs_reused=len(plan.reuse),
        estimated_tokens_in=round(avg_in * n),
        estimated_tokens_out=round(avg_out * n),
        estimated_cost_usd=round(avg_cost * n, 6),
        basis=basis,
    )


def run_cycle(
    engine: Engine,
    evaluator: Evaluator,
    *,
    concurrency: int = 1,
    budget_usd: float | None = None,
    estimator: UsageEstimator | None = None,
    policy: ScoringPolicy = DEFAULT_POLICY,
    on_progress: ProgressCallback | None = None,
    now: datetime | None = None,
    generate: bool = True,
) -> CycleReport:
    """Run one prospecting cycle (see the module docstring). Safe to interrupt and run again."""
    identity = evaluator.identity
    phash = policy_hash(policy)
    with Session(engine, expire_on_commit=False) as session:
        _close_abandoned_cycles(session)
        plan = plan_cycle(session, identity)
        cycle = Cycle.model_validate(
            {
                "evaluator": identity.evaluator,
                "model": identity.model,
                "prompt_id": identity.prompt_id,
                "pinned": [p.model_dump() for p in plan.pinned],
                "pairs_total": plan.total,
                "budget_usd": budget_usd,
            }
        )
        session.add(cycle)
        session.commit()
        assert cycle.id is not None
        progress = CycleProgress(total=plan.total, done=len(plan.reuse), reused=len(plan.reuse))
        if on_progress:
            on_progress(progress)
        history = historical_usage(session, identity)
        failures: list[str] = []
        writer = GradeWriter(session)
        budget = _Budget(budget_usd, history[2] if history else None, estimator, plan.compiled)
        pairs_by_hash = {p.input_hash: p for p in plan.to_grade}
        try:
            work = budget.admit(with_profiles(session, plan.to_grade))
            graded = graded_columns(
                evaluator,
                work,
                concurrency=concurrency,
                compiled=plan.compiled,
                policy=policy,
                phash=phash,
                pairs=len(plan.to_grade),
            )
            for input_hash, columns in graded:
                pair = pairs_by_hash[input_hash]
                budget.settle(pair, columns["cost_usd"], columns["attempts"])
                columns.update(
                    input_hash=input_hash,
                    company_id=pair.company_id,
                    segment_version_id=pair.pinned.version_id,
                    company_hash=pair.company_hash,
                )
                paid = columns["attempts"] > 0 or columns["cost_usd"] > 0
                writer.add(columns, replace=input_hash in plan.retry, paid=paid)
                progress.done += 1
                progress.tokens_in += columns["tokens_in"]
                progress.tokens_out += columns["tokens_out"]
                progress.cost_usd += columns["cost_usd"]
                if columns["status"] == "ok":
                    progress.graded += 1
                else:
                    progress.failed += 1
                    failures.append(f"{pair_domain(session, pair.company_id)} × {pair.pinned.name}: {columns['error']}")
                if on_progress:
                    on_progress(progress)
            writer.flush()
        except BaseException:
            writer.flush()
            _finish(session, cycle, progress, status="interrupted", note="stopped before the end; run again to resume")
            raise
        progress.deferred = plan.total - progress.done
        _write_memberships(session, cycle.id, plan, identity, policy, phash, now or utcnow())
        tasks = generate_tasks(session, cycle.id, today=(now or utcnow()).date()) if generate else 0
        status = "partial" if progress.deferred else "completed"
        notes = []
        if plan.waiting:
            notes.append(f"{plan.waiting} pairs wait for an LLM batch (`icp batch collect` stores its answers)")
        if progress.deferred > plan.waiting:
            notes.append(f"budget reached: {progress.deferred - plan.waiting} pairs deferred to the next cycle")
        note = "; ".join(notes)
        cycle.tasks_created = tasks
        _finish(session, cycle, progress, status=status, note=note)
        return CycleReport.model_validate(
            {**cycle.model_dump(), "cycle_id": cycle.id, "pinned": plan.pinned, "failures": failures}
        )


class _Budget:
    """Admits pairs for grading only while spent + in-flight estimates + the next pair fit the budget."""

    def __init__(
        self,
        budget_usd: float | None,
        historical_cost: float | None,
        estimator: UsageEstimator | None,
        compiled: dict[int, CompiledSegment],
    ) -> None:
        self.budget = budget_usd
        self.estimator = estimator
        self.compiled = compiled
        self.spent = 0.0
        self.reserved: dict[str, float] = {}
        self.observed: list[float] = []
        self.historical = historical_cost

    def _estimate(self, pair: PlannedPair, profile: CompanyProfile) -> float:
        if self.observed:
            return sum(self.observed) / len(self.observed)
        if self.estimator is not None:
            return self.estimator(profile, self.compiled[pair.pinned.version_id])[2]
        return self.historical or 0.0

    def admit(
        self, pairs: Iterable[tuple[PlannedPair, CompanyProfile]]
    ) -> Iterator[tuple[str, CompanyProfile, CompiledSegment]]:
        for pair, profile in pairs:
            if self.budget is not None:
                cost = self._estimate(pair, profile)
                if self.spent + sum(self.reserved.values()) + cost > self.budget:
                    logger.info("budget of $%.4f reached after $%.4f", self.budget, self.spent)
                    return
                self.reserved[pair.input_hash] = cost
            yield pair.input_hash, profile, self.compiled[pair.pinned.version_id]

    def settle(self, pair: PlannedPair, cost_usd: float, attempts: int) -> None:
        self.reserved.pop(pair.input_hash, None)
        self.spent += cost_usd
        if attempts > 0:
            self.observed.append(cost_usd)


def pair_domain(session: Session, company_id: int) -> str:
    """A company's domain, for messages."""
    company = session.get(Company, company_id)
    return company.domain if company else f"company {company_id}"


def _finish(session: Session, cycle: Cycle, progress: CycleProgress, *, status: str, note: str = "") -> None:
    cycle.status = status
    cycle.note = note
    cycle.pairs_graded = progress.graded
    cycle.pairs_reused = progress.reused
    cycle.pairs_failed = progress.failed
    cycle.pairs_deferred = progress.deferred
    cycle.tokens_in = progress.tokens_in
    cycle.tokens_out = progress.tokens_out
    cycle.cost_usd = round(progress.cost_usd, 6)
    cycle.finished_at = utcnow()
    session.add(cycle)
    session.commit()


def _close_abandoned_cycles(session: Session) -> None:
    """A cycle still 'running' when a new one starts was killed: say so."""
    session.execute(
        update(Cycle)
        .where(col(Cycle.status) == "running")
        .values(status="interrupted", note="process ended before the cycle finished", finished_at=utcnow())
    )
    session.commit()


def _write_memberships(
    session: Session,
    cycle_id: int,
    plan: CyclePlan,
    identity: EvaluatorIdentity,
    policy: ScoringPolicy,
    phash: str,
    now: datetime,
) -> None:
    """Snapshot tier and score of every successfully graded pair in this cycle."""
    version_ids = [p.version_id for p in plan.pinned]
    if not version_ids:
        return
    pinned_by_version = {p.version_id: p for p in plan.pinned}
    signals: dict[int, list[Signal]] = {}
    for row in session.exec(select(SignalRow)):
        signals.setdefault(row.company_id, []).append(
            Signal(type=row.type, topic=row.topic, strength=row.strength, observed_at=row.observed_at)
        )
    signal_points = {
        cid: sum(c.points for c in signal_contributions(items, now, policy)) for cid, items in signals.items()
    }
    policies = {p.version_id: policy.with_thresholds(p.t1_threshold, p.t2_threshold) for p in plan.pinned}

    stmt = sa_select(
        col(GradeRow.id),
        col(GradeRow.company_id),
        col(GradeRow.segment_version_id),
        col(GradeRow.base_score),
        col(GradeRow.disqualified),
        col(GradeRow.policy_hash),
        col(GradeRow.input_hash),
    ).where(
        col(GradeRow.segment_version_id).in_(version_ids),
        col(GradeRow.status) == "ok",
        # Members only: non-members are most pairs, and their standing is their grade (see icp.queue).
        # Grades scored under another policy are read too, to be re-scored.
        or_(
            col(GradeRow.disqualified).is_(False),
            col(GradeRow.policy_hash).is_(None),
            col(GradeRow.policy_hash) != phash,
        ),
    )
    reuse_ids = set(plan.reuse.values())
    graded_hashes = {p.input_hash for p in plan.to_grade}
    rows: list[dict[str, Any]] = []
    rescore: list[int] = []
    for grade_id, company_id, version_id, base, disqualified, gphash, input_hash in session.execute(stmt):
        if grade_id not in reuse_ids and input_hash not in graded_hashes:
            continue  # graded by another evaluator, or for an older content of the company
        assert grade_id is not None
        if gphash != phash or base is None:
            rescore.append(grade_id)
            continue
        if disqualified:
            continue
        rows.append(
            _membership(
                cycle_id,
                pinned_by_version[version_id],
                company_id,
                grade_id,
                base,
                signal_points.get(company_id, 0.0),
                policies[version_id],
            )
        )
    for grade in session.exec(select(GradeRow).where(col(GradeRow.id).in_(rescore))) if rescore else ():
        results = [CriterionResult.model_validate(r) for r in grade.results]
        grade.base_score, grade.disqualified = base_score(results, policy)
        grade.policy_hash = phash
        session.add(grade)
        assert grade.id is not None
        if grade.disqualified:
            continue
        rows.append(
            _membership(
                cycle_id,
                pinned_by_version[grade.segment_version_id],
                grade.company_id,
                grade.id,
                grade.base_score,
                signal_points.get(grade.company_id, 0.0),
                policies[grade.segment_version_id],
            )
        )
    for start in range(0, len(rows), 5000):
        session.execute(Membership.__table__.insert(), rows[start : start + 5000])  # type: ignore[attr-defined]
    session.commit()


def _membership(
    cycle_id: int,
    pinned: PinnedSegment,
    company_id: int,
    grade_id: int,
    base: float,
    signal_points: float,
    policy: ScoringPolicy,
) -> dict[str, Any]:
    """A member's row: its base score plus decayed signals, tiered by the segment's thresholds."""
    score = round(min(100.0, base + signal_points), 2)
    tier = tier_for(score, policy)
    return {
        "cycle_id": cycle_id,
        "segment_id": pinned.segment_id,
        "segment_version_id": pinned.version_id,
        "company_id": company_id,
        "grade_id": grade_id,
        "tier": tier.value,
        "tier_rank": tier.rank,
        "score": score,
        "rank_key": tier.rank * 1000 + (100 - score),
    }
