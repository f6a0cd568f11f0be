"""Why an account stands where it does: its score breakdown, the audit trail of its grade, a live grade.

What the Queue page's detail panel and ``icp grade`` show. The ranked lists themselves are in
:mod:`icp.queue` and :mod:`icp.worklist`.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session

from icp.companies import company_signals
from icp.domain import Grade as Grade_
from icp.errors import NotFoundError
from icp.evaluators.base import Evaluator
from icp.queue import effective_results
from icp.scoring import DEFAULT_POLICY, ScoreBreakdown, ScoringPolicy, score_grade
from icp.store.tables import Grade, SegmentVersion, utcnow


class GradeAudit(BaseModel):
    """What produced a grade: shown next to it so an SDR can trust (or challenge) it."""

    grade_id: int
    input_hash: str
    evaluator: str
    model: str | None
    prompt_id: str | None
    prompt_hash: str | None
    segment_version: int
    tokens_in: int
    tokens_out: int
    tokens_cached: int
    cost_usd: float
    latency_ms: float
    attempts: int
    created_at: datetime
    note: str = Field(default="", description="What the product changed in the evaluator's answer and why.")


def score_breakdown(
    session: Session, grade_id: int, *, now: datetime | None = None, policy: ScoringPolicy = DEFAULT_POLICY
) -> ScoreBreakdown:
    """Recompute a stored grade's score with the company's signals, contribution by contribution."""
    grade = session.get(Grade, grade_id)
    if grade is None:
        raise NotFoundError(f"No grade with id {grade_id}.")
    results = effective_results(session, [grade])[grade_id][0]
    return score_grade(results, signals=company_signals(session, grade.company_id), now=now or utcnow(), policy=policy)


def grade_audit(session: Session, grade_id: int) -> GradeAudit:
    """The provenance of one stored grade."""
    grade = session.get(Grade, grade_id)
    if grade is None:
        raise NotFoundError(f"No grade with id {grade_id}.")
    version = session.get(SegmentVersion, grade.segment_version_id)
    assert grade.id is not None and version is not None
    return GradeAudit(
        grade_id=grade.id,
        input_hash=grade.input_hash,
        evaluator=grade.evaluator,
        model=grade.model,
        prompt_id=grade.prompt_id,
        prompt_hash=grade.prompt_hash,
        segment_version=version.version,
        tokens_in=grade.tokens_in,
        tokens_out=grade.tokens_out,
        tokens_cached=grade.tokens_cached,
        cost_usd=grade.cost_usd,
        latency_ms=grade.latency_ms,
        attempts=grade.attempts,
        created_at=grade.created_at,
        note=grade.note,
    )


class PairGrade(BaseModel):
    """One company graded live against one segment's current version, with its score breakdown."""

    company_name: str
    domain: str
    segment: str
    segment_version: int
    grade: Grade_
    breakdown: ScoreBreakdown | None = Field(description="None when grading failed: a failure is never a score.")


def grade_company(
    session: Session,
    evaluator: Evaluator,
    segment: str,
    domain: str,
    *,
    now: datetime | None = None,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> PairGrade:
    """Grade one pair now (nothing stored): what ``icp grade`` prints and the UI's "try it" uses."""
    from icp.companies import get_company, profile_of
    from icp.criteria import compile_segment
    from icp.segments import get_segment

    info = get_segment(session, segment)
    company = get_company(session, domain)
    assert company.id is not None
    compiled = compile_segment(info.name, info.requirements, info.nice_to_haves)
    grade = evaluator.grade(profile_of(company), compiled)
    segment_policy = policy.with_thresholds(info.t1_threshold, info.t2_threshold)
    breakdown = (
        score_grade(
            grade.results, signals=company_signals(session, company.id), now=now or utcnow(), policy=segment_policy
        )
        if grade.status == "ok"
        else None
    )
    return PairGrade(
        company_name=company.name,
        domain=company.domain,
        segment=info.name,
        segment_version=info.version,
        grade=grade,
        breakdown=breakdown,
    )
