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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from icp.companies import profile_of
from icp.criteria import CompiledSegment, compile_segment
from icp.domain import CompanyProfile, EvaluatorIdentity
from icp.evaluators.base import Evaluator, grade_input_hash
from icp.grading import GradeWriter, graded_columns
from icp.hashing import content_hash
from icp.memberships import write_memberships
from icp.scoring import DEFAULT_POLICY, ScoringPolicy
from icp.store.tables import Company, Cycle, Segment, SegmentVersion, utcnow
from icp.store.tables import Grade as GradeRow
from icp.tasks import generate_tasks

logger = logging.getLogger(__name__)


class PinnedSegment(BaseModel):
    """A segment version pinned by a cycle."""

    segment_id: int
    version_id: int
    version: int
    name: str
    content_hash: str
    priority: int
    t1_threshold: float | None = None
    t2_threshold: float | None = None


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
# Optional estimate of one pair's usage (tokens, cost) before grading, for dry runs and budgets.
UsageEstimator = Callable[[CompanyProfile, CompiledSegment], tuple[int, int, float]]


def policy_hash(policy: ScoringPolicy) -> str:
    """Identity of a scoring policy; grades scored under another policy are re-scored, not re-graded."""
    return content_hash(policy.model_dump(mode="json"))


def pin_segments(session: Session) -> list[PinnedSegment]:
    """The current version of every active, live segment, highest priority first."""
    rows = session.exec(
        select(Segment, SegmentVersion)
        .join(
            SegmentVersion,
            (col(SegmentVersion.segment_id) == col(Segment.id)) & (col(SegmentVersion.version) == col(Segment.version)),
        )
        .where(col(Segment.active).is_(True), col(Segment.deleted_at).is_(None))
        .order_by(col(Segment.priority).desc(), col(Segment.id))
    ).all()
    pinned: list[PinnedSegment] = []
    for segment, version in rows:
        assert segment.id is not None and version.id is not None
        pinned.append(
            PinnedSegment(
                segment_id=segment.id,
                version_id=version.id,
                version=version.version,
                name=version.name,
                content_hash=version.content_hash,
                priority=segment.priority,
                t1_threshold=segment.t1_threshold,
                t2_threshold=segment.t2_threshold,
            )
        )
    return pinned


def _compiled(session: Session, pinned: Sequence[PinnedSegment]) -> dict[int, CompiledSegment]:
    versions = session.exec(
        select(SegmentVersion).where(col(SegmentVersion.id).in_([p.version_id for p in pinned]))
    ).all()
    return {v.id: compile_segment(v.name, v.requirements, v.nice_to_haves) for v in versions if v.id is not None}


def _stored_grades(session: Session, version_ids: Sequence[int]) -> dict[str, tuple[int, str]]:
    if not version_ids:
        return {}
    stmt = select(GradeRow.input_hash, GradeRow.id, GradeRow.status).where(
        col(GradeRow.segment_version_id).in_(list(version_ids))
    )
    return {h: (gid, status) for h, gid, status in session.exec(stmt) if gid is not None}


@dataclass
class PlannedPair:
    """A (company, pinned segment version) pair with no usable grade yet."""

    company_id: int
    company_hash: str
    pinned: PinnedSegment
    input_hash: str


@dataclass
class CyclePlan:
    """What a cycle (or an LLM batch) finds to do: reuse stored grades, grade the rest."""

    pinned: list[PinnedSegment]
    compiled: dict[int, CompiledSegment]
    reuse: dict[tuple[int, int], int] = field(default_factory=dict)  # (company_id, version_id) -> grade id
    to_grade: list[PlannedPair] = field(default_factory=list)
    retry: set[str] = field(default_factory=set)  # input hashes of stored failed grades, to be replaced
    waiting: int = 0  # pairs an open LLM batch is answering: neither reused nor graded now
    total: int = 0


def plan_cycle(session: Session, identity: EvaluatorIdentity) -> CyclePlan:
    """Pin the segments and sort every pair into reused, waiting for a batch, or to grade."""
    from icp.batch import waiting_pairs  # the batch module plans with this one

    waiting = waiting_pairs(session)
    pinned = pin_segments(session)
    plan = CyclePlan(pinned=pinned, compiled=_compiled(session, pinned))
    stored = _stored_grades(session, [p.version_id for p in pinned])
    # Only ids and content hashes here: profiles are loaded later, and only for pairs to grade.
    companies = session.execute(sa_select(col(Company.id), col(Company.content_hash)).order_by(col(Company.id)))
    for company_id, company_hash in companies:
        for p in pinned:
            plan.total += 1
            input_hash = grade_input_hash(company_hash, p.content_hash, identity)
            found = stored.get(input_hash)
            if found is not None and found[1] == "ok":
                plan.reuse[(company_id, p.version_id)] = found[0]
            elif input_hash in waiting:
                plan.waiting += 1  # paid for already: graded when the batch's answers are collected
            else:
                plan.to_grade.append(PlannedPair(company_id, company_hash, p, input_hash))
                if found is not None:
                    plan.retry.add(input_hash)
    return plan


def with_profiles(
    session: Session, pairs: Iterable[PlannedPair], batch: int = 2000
) -> Iterator[tuple[PlannedPair, CompanyProfile]]:
    """Attach each pair's company profile, loading profiles in batches (pairs come in company order)."""
    chunk: list[PlannedPair] = []

    def flush() -> Iterator[tuple[PlannedPair, CompanyProfile]]:
        ids = {p.company_id for p in chunk}
        profiles = {row.id: profile_of(row) for row in session.exec(select(Company).where(col(Company.id).in_(ids)))}
        session.expunge_all()
        for pair in chunk:
            yield pair, profiles[pair.company_id]

    for pair in pairs:
        chunk.append(pair)
        if len(chunk) >= batch and chunk[-1].company_id != chunk[0].company_id:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()


def _historical_usage(session: Session, identity: EvaluatorIdentity) -> tuple[float, float, float, int] | None:
    stmt = select(
        func.avg(GradeRow.tokens_in), func.avg(GradeRow.tokens_out), func.avg(GradeRow.cost_usd), func.count()
    ).where(
        GradeRow.evaluator == identity.evaluator,
        GradeRow.model == identity.model,
        GradeRow.status == "ok",
        col(GradeRow.attempts) > 0,
    )
    avg_in, avg_out, avg_cost, count = session.exec(stmt).one()
    if not count:
        return None
    return float(avg_in or 0), float(avg_out or 0), float(avg_cost or 0), int(count)


def sampled_usage(
    session: Session,
    plan: CyclePlan,
    pairs: Sequence[PlannedPair],
    estimator: UsageEstimator,
    sample: int,
) -> tuple[float, float, float, int]:
    """Average ``(tokens_in, tokens_out, cost_usd)`` per pair by ``estimator`` over an even sample of ``pairs``,
    and the sample's size. ``pairs`` must not be empty."""
    picks = pairs[:: max(1, len(pairs) // sample)][:sample]
    usages = [estimator(profile, plan.compiled[p.pinned.version_id]) for p, profile in with_profiles(session, picks)]
    count = len(usages)
    return (
        sum(u[0] for u in usages) / count,
        sum(u[1] for u in usages) / count,
        sum(u[2] for u in usages) / count,
        count,
    )


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
        history = _historical_usage(session, identity)
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
        history = _historical_usage(session, identity)
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
