"""The prospecting cycle: pin segment versions, grade what changed, snapshot memberships, write tasks.

One cycle, step by step:

0. Take the database's **cycle lease** (:mod:`icp.lease`): one cycle runs at a time per database. A
   cycle left 'running' by a process that is gone is marked interrupted.
1. **Pin** the current version of every active, live segment. Edits saved while the cycle runs take
   effect on the next cycle.
2. For every (company, pinned version) compute the **input hash** over the company's content hash,
   the version hash and the evaluator identity (evaluator, model, prompt hash). A stored ``ok`` grade
   with that hash is **reused**; everything else is **graded**, with bounded concurrency.
3. Each grade is **committed as it completes** (paid grades one by one; free offline grades in small
   batches), so a cycle killed at any point and run again re-grades nothing that finished; the cycle
   row's counters are updated in the same commits. A pair whose grade failed is recorded as failed
   and retried by the next cycle; the cycle goes on, unless the LLM's circuit breaker opens.
4. With a **budget**, grading stops cleanly before the next pair would exceed it; the rest is
   deferred to the next cycle.
5. **Memberships** (tier and score per segment and company) are written for the cycle, and each
   active motion receives its ranked **tasks** — unless the cycle has not one usable grade (every
   pair it graded failed, none reused): then it is recorded as failed and the previous cycle's queue
   and tasks stand.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from datetime import datetime
from itertools import islice

from pydantic import BaseModel, Field
from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile
from icp.errors import CircuitOpenError, LeaseLostError
from icp.evaluators.base import Evaluator
from icp.grading import GradeWriter, graded_columns
from icp.lease import Lease, LeaseInfo, hold_lease
from icp.memberships import write_memberships
from icp.planning import (
    Budget,
    CycleEstimate,
    CyclePlan,
    PinnedSegment,
    PlannedPair,
    UsageEstimator,
    estimate_cycle,
    historical_usage,
    pin_segments,
    plan_cycle,
    policy_hash,
    with_profiles,
)
from icp.scoring import DEFAULT_POLICY, ScoringPolicy
from icp.store.tables import Company, Cycle, utcnow
from icp.store.tables import Grade as GradeRow
from icp.tasks import generate_tasks
from icp.team.audit import record
from icp.team.roles import LOCAL_OPERATOR, Actor, Permission, require

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
    "default_concurrency",
    "run_cycle",
    "usage_estimator",
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


ProgressCallback = Callable[[CycleProgress], None]


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
    wait: bool = False,
    on_wait: Callable[[LeaseInfo], None] | None = None,
    limit: int | None = None,
    lease: Lease | None = None,
    actor: Actor = LOCAL_OPERATOR,
) -> CycleReport:
    """Run one prospecting cycle (see the module docstring). Safe to interrupt and run again.

    With ``limit``, a *trial*: at most that many pairs are graded and stored (the next cycle reuses them),
    and the queue, memberships and tasks stay as they are.

    The cycle holds the database's cycle lease (:mod:`icp.lease`) from start to end: while another
    cycle runs, this raises :class:`~icp.errors.LeaseHeldError` naming it, or with ``wait`` queues behind
    it (``on_wait`` is told who holds it each time it looks). A caller that already holds the lease (the
    scheduled worker, which takes it before claiming a firing) passes it as ``lease``; it stays held.

    ``actor`` must be allowed to run cycles; the start and the end are recorded in the audit trail under
    their name, with the evaluator, model and budget.

    Raises:
        PermissionDeniedError: ``actor``'s role does not allow running cycles (nothing started).
        LeaseHeldError: another cycle holds the lease (and ``wait`` is False).
        CircuitOpenError: the LLM endpoint failed the same unfixable way several times in a row; the
            cycle is recorded as failed and the previous cycle's queue and tasks stand.
    """
    require(actor, Permission.RUN_CYCLES)
    holding = nullcontext(lease) if lease is not None else hold_lease(engine, wait=wait, on_wait=on_wait)
    with holding as held:
        return _run_leased(
            engine,
            evaluator,
            held,
            concurrency,
            budget_usd,
            estimator,
            policy,
            on_progress,
            now,
            generate,
            limit,
            actor,
        )


def default_concurrency(evaluator: object, configured: int) -> int:
    """CPU-bound evaluators (offline rules) use every core; LLM evaluators use ICP_CONCURRENCY requests."""
    if getattr(evaluator, "cpu_bound", False):
        return max(1, min(os.cpu_count() or 1, 8))
    return configured


def usage_estimator(evaluator: object) -> UsageEstimator | None:
    """The evaluator's per-pair usage estimate, when it has one (LLM and hybrid do; offline is free)."""
    estimate: UsageEstimator | None = getattr(evaluator, "estimate_usage", None)
    return estimate


def _run_leased(
    engine: Engine,
    evaluator: Evaluator,
    lease: Lease,
    concurrency: int,
    budget_usd: float | None,
    estimator: UsageEstimator | None,
    policy: ScoringPolicy,
    on_progress: ProgressCallback | None,
    now: datetime | None,
    generate: bool,
    limit: int | None = None,
    actor: Actor = LOCAL_OPERATOR,
) -> CycleReport:
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
        session.flush()
        assert cycle.id is not None
        budget_text = "no budget" if budget_usd is None else f"budget ${budget_usd:g}"
        record(
            session,
            actor=actor,
            action="cycle.start",
            object_type="cycle",
            object_id=cycle.id,
            summary=f"started cycle {cycle.id}: {identity.evaluator} evaluator"
            + (f", model {identity.model}" if identity.model else "")
            + f", {budget_text}, {plan.total} pairs"
            + (f", trial of {limit}" if limit is not None else ""),
            after={
                "evaluator": identity.evaluator,
                "model": identity.model,
                "budget_usd": budget_usd,
                "pairs_total": plan.total,
                "limit": limit,
            },
        )
        session.commit()
        lease.attach(cycle.id)
        progress = CycleProgress(total=plan.total, done=len(plan.reuse), reused=len(plan.reuse))
        if on_progress:
            on_progress(progress)
        history = historical_usage(session, identity)
        failures: list[str] = []
        writer = GradeWriter(session, on_commit=lambda s: _record_counters(s, cycle, progress))
        budget = Budget(budget_usd, history[2] if history else None, estimator, plan.compiled)
        pairs_by_hash = {p.input_hash: p for p in plan.to_grade}
        paid = not getattr(evaluator, "cpu_bound", False)
        claimed_elsewhere = 0
        try:
            pairs = with_profiles(session, plan.to_grade)
            if paid:
                pairs = _unless_stored_meanwhile(session, pairs, progress)
            admitted = _while_held(lease, budget.admit(pairs))
            graded = graded_columns(
                evaluator,
                admitted if limit is None else islice(admitted, limit),
                concurrency=concurrency,
                compiled=plan.compiled,
                policy=policy,
                phash=phash,
                pairs=len(plan.to_grade) if limit is None else min(limit, len(plan.to_grade)),
                claim=lease.claim if paid else None,
            )
            for input_hash, columns in graded:
                # Once the lease is lost nothing new is sent, but what was sent is paid for: store it.
                pair = pairs_by_hash[input_hash]
                if columns is None:  # another cycle claimed it and is paying for it: never send it twice
                    budget.settle(pair, 0.0, 0)
                    claimed_elsewhere += 1
                    continue
                budget.settle(pair, columns["cost_usd"], columns["attempts"])
                columns.update(
                    input_hash=input_hash,
                    company_id=pair.company_id,
                    segment_version_id=pair.pinned.version_id,
                    company_hash=pair.company_hash,
                )
                progress.done += 1
                progress.tokens_in += columns["tokens_in"]
                progress.tokens_out += columns["tokens_out"]
                progress.cost_usd += columns["cost_usd"]
                if columns["status"] == "ok":
                    progress.graded += 1
                else:
                    progress.failed += 1
                    failures.append(f"{pair_domain(session, pair.company_id)} × {pair.pinned.name}: {columns['error']}")
                writer.add(
                    columns,
                    replace=input_hash in plan.retry,
                    paid=columns["attempts"] > 0 or columns["cost_usd"] > 0,
                )
                if on_progress:
                    on_progress(progress)
            writer.flush()
            if lease.lost:
                raise LeaseLostError(
                    "This cycle's lease expired and another process took it over; the cycle stopped. "
                    "The grades it stored are kept; run again to finish."
                )
        except CircuitOpenError as exc:
            writer.flush()
            _finish(session, cycle, progress, actor, status="failed", note=f"{exc}" + _KEPT)
            raise
        except BaseException:
            writer.flush()
            note = "stopped before the end; run again to resume"
            _finish(session, cycle, progress, actor, status="interrupted", note=note)
            raise
        progress.deferred = plan.total - progress.done
        if progress.failed and not progress.graded and not progress.reused:
            # Not one usable grade: the previous cycle's queue is better than an empty one.
            note = f"every pair it graded failed ({failures[0]})" + _KEPT
            _finish(session, cycle, progress, actor, status="failed", note=note)
            return _report(cycle, plan, failures)
        if limit is not None:
            note = (
                f"trial of {progress.done - progress.reused} pairs: their grades are stored and reused by the next "
                "cycle; the queue, memberships and tasks are unchanged"
            )
            _finish(session, cycle, progress, actor, status="trial", note=note)
            return _report(cycle, plan, failures)
        write_memberships(
            session,
            cycle.id,
            plan.pinned,
            plan.reuse.values(),
            [p.input_hash for p in plan.to_grade],
            policy,
            phash,
            now or utcnow(),
        )
        tasks = generate_tasks(session, cycle.id, today=(now or utcnow()).date()) if generate else 0
        status = "partial" if progress.deferred else "completed"
        notes = []
        if plan.waiting:
            notes.append(f"{plan.waiting} pairs wait for an LLM batch (`icp batch collect` stores its answers)")
        if claimed_elsewhere:
            notes.append(
                f"{claimed_elsewhere} pairs were being graded by another cycle at the same time; "
                "the next cycle reuses their grades"
            )
        budget_deferred = progress.deferred - plan.waiting - claimed_elsewhere
        if budget_deferred > 0:
            notes.append(f"budget reached: {budget_deferred} pairs deferred to the next cycle")
        note = "; ".join(notes)
        cycle.tasks_created = tasks
        _finish(session, cycle, progress, actor, status=status, note=note)
        return _report(cycle, plan, failures)


_Work = tuple[str, CompanyProfile, CompiledSegment]
_KEPT = "; the previous cycle's queue, memberships and tasks stand."


def _report(cycle: Cycle, plan: CyclePlan, failures: list[str]) -> CycleReport:
    return CycleReport.model_validate(
        {**cycle.model_dump(), "cycle_id": cycle.id, "pinned": plan.pinned, "failures": failures}
    )


def _while_held(lease: Lease, work: Iterable[_Work]) -> Iterator[_Work]:
    """The cycle's work until its lease is lost: then nothing more is started (what is in flight completes)."""
    for item in work:
        if lease.lost:
            return
        yield item


def _unless_stored_meanwhile(
    session: Session, pairs: Iterable[tuple[PlannedPair, CompanyProfile]], progress: CycleProgress
) -> Iterator[tuple[PlannedPair, CompanyProfile]]:
    """Skip pairs whose grade another process stored since the plan was made: never pay for a pair twice.

    One indexed lookup per paid request; offline grading (free) skips this.
    """
    for pair, profile in pairs:
        stored = session.execute(
            sa_select(col(GradeRow.id)).where(col(GradeRow.input_hash) == pair.input_hash, col(GradeRow.status) == "ok")
        ).first()
        if stored is None:
            yield pair, profile
            continue
        progress.done += 1
        progress.reused += 1


def _record_counters(session: Session, cycle: Cycle, progress: CycleProgress) -> None:
    """The cycle row's counters, written in the same transaction as the grades they count."""
    session.execute(
        update(Cycle)
        .where(col(Cycle.id) == cycle.id)
        .values(
            pairs_graded=progress.graded,
            pairs_reused=progress.reused,
            pairs_failed=progress.failed,
            tokens_in=progress.tokens_in,
            tokens_out=progress.tokens_out,
            cost_usd=round(progress.cost_usd, 6),
        )
    )


def pair_domain(session: Session, company_id: int) -> str:
    """A company's domain, for messages."""
    company = session.get(Company, company_id)
    return company.domain if company else f"company {company_id}"


def _finish(
    session: Session, cycle: Cycle, progress: CycleProgress, actor: Actor, *, status: str, note: str = ""
) -> None:
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
    record(
        session,
        actor=actor,
        action="cycle.stop",
        object_type="cycle",
        object_id=cycle.id,
        summary=f"cycle {cycle.id} {status}: {progress.graded} graded, {progress.reused} reused, "
        f"{progress.failed} failed, ${cycle.cost_usd:.4f}" + (f"; {note}" if note else ""),
        after={
            "status": status,
            "graded": progress.graded,
            "reused": progress.reused,
            "failed": progress.failed,
            "deferred": progress.deferred,
            "cost_usd": cycle.cost_usd,
            "tasks_created": cycle.tasks_created,
        },
    )
    session.commit()


def _close_abandoned_cycles(session: Session) -> None:
    """A cycle still 'running' when a new one holds the lease was killed (its lease is gone): say so."""
    session.execute(
        update(Cycle)
        .where(col(Cycle.status) == "running")
        .values(status="interrupted", note="process ended before the cycle finished", finished_at=utcnow())
    )
    session.commit()
