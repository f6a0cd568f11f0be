"""What a cycle (or an LLM batch) finds to do: pin the segments, reuse stored grades, grade the rest.

Shared by :mod:`icp.cycle` and :mod:`icp.batch`, which both import it (and not each other). Also the
dry run (:func:`estimate_cycle`) and the budget that admits pairs for grading.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from icp.companies import profile_of
from icp.criteria import CompiledSegment, compile_segment
from icp.domain import CompanyProfile, EvaluatorIdentity
from icp.evaluators.base import Evaluator, grade_input_hash
from icp.hashing import content_hash
from icp.scoring import ScoringPolicy
from icp.store.tables import Company, LLMBatch, Segment, SegmentVersion
from icp.store.tables import Grade as GradeRow

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


def waiting_pairs(session: Session) -> set[str]:
    """Input hashes of the pairs that open (not yet collected) batches are answering."""
    rows = session.exec(select(LLMBatch.pairs).where(col(LLMBatch.collected).is_(False)))
    return {input_hash for pairs in rows for input_hash in pairs}


def plan_cycle(session: Session, identity: EvaluatorIdentity) -> CyclePlan:
    """Pin the segments and sort every pair into reused, waiting for a batch, or to grade."""
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


def historical_usage(session: Session, identity: EvaluatorIdentity) -> tuple[float, float, float, int] | None:
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


class Budget:
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
