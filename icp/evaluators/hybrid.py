"""The hybrid evaluator: structured checks decide what they can for free; the LLM grades only the rest.

A criterion with a structured check ("200–2,000 employees", "in DACH") is decided from the company's
fields when they are present; only the undecided criteria go to the model, as a reduced segment that
keeps their ids. When a hard requirement already fails by check, the company is disqualified whatever
the model would say, so no call is made at all.
"""

from __future__ import annotations

import logging

from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile, CriterionKind, CriterionResult, EvaluatorIdentity, Grade, Verdict
from icp.evaluators.llm import LLMEvaluator
from icp.evaluators.offline import decide_by_check, summarize

logger = logging.getLogger(__name__)

__all__ = ["HybridEvaluator"]


class HybridEvaluator:
    """Checks first, the LLM for the remainder. Safe to call from many threads (it holds no state).

    Args:
        llm: the LLM evaluator that grades the criteria the checks cannot decide.
    """

    def __init__(self, llm: LLMEvaluator) -> None:
        self.llm = llm
        base = llm.identity
        self._identity = EvaluatorIdentity(
            evaluator="hybrid", model=base.model, prompt_id=base.prompt_id, prompt_hash=base.prompt_hash
        )

    @property
    def identity(self) -> EvaluatorIdentity:
        """evaluator="hybrid" with the LLM's model and prompt (checks are versioned with the code)."""
        return self._identity

    def _undecided(self, company: CompanyProfile, segment: CompiledSegment) -> tuple[dict[str, CriterionResult], bool]:
        decided: dict[str, CriterionResult] = {}
        for criterion in segment.criteria:
            result = decide_by_check(company, criterion)
            if result is not None:
                decided[criterion.id] = result
        failed = any(r.kind is CriterionKind.REQUIREMENT and r.verdict is Verdict.NOT_MET for r in decided.values())
        return decided, failed

    def estimate_usage(self, company: CompanyProfile, segment: CompiledSegment) -> tuple[int, int, float]:
        """What the LLM part of grading this pair should cost (nothing when checks settle it)."""
        decided, failed = self._undecided(company, segment)
        remaining = tuple(c for c in segment.criteria if c.id not in decided)
        if failed or not remaining:
            return 0, 0, 0.0
        return self.llm.estimate_usage(company, CompiledSegment(name=segment.name, criteria=remaining))

    def grade(self, company: CompanyProfile, segment: CompiledSegment) -> Grade:
        """Decide by checks, then ask the LLM about the undecided criteria only (or not at all)."""
        decided, _ = self._undecided(company, segment)
        failed = [r for r in decided.values() if r.kind is CriterionKind.REQUIREMENT and r.verdict is Verdict.NOT_MET]
        remaining = tuple(c for c in segment.criteria if c.id not in decided)

        if failed or not remaining:
            failed_ids = ", ".join(r.id for r in failed)
            note = f"not graded: requirement {failed_ids} already fails by structured check" if failed else ""
            results = tuple(
                decided.get(c.id)
                or CriterionResult(id=c.id, kind=c.kind, text=c.text, verdict=Verdict.UNKNOWN, source="none", note=note)
                for c in segment.criteria
            )
            return Grade(results=results, summary=summarize(results), identity=self.identity)

        graded = self.llm.grade(company, CompiledSegment(name=segment.name, criteria=remaining))
        if graded.status == "failed":
            return Grade(
                status="failed",
                error=graded.error,
                failure=graded.failure,
                identity=self.identity,
                usage=graded.usage,
            )
        by_id = {r.id: r for r in graded.results}
        results = tuple(decided.get(c.id) or by_id[c.id] for c in segment.criteria)
        return Grade(
            results=results,
            # A summary the LLM evaluator replaced spoke of its criteria only: compose one from them all.
            summary=summarize(results) if graded.note or not graded.summary else graded.summary,
            note=graded.note,
            identity=self.identity,
            usage=graded.usage,
        )
