"""A scripted evaluator for cycle tests: deterministic, counts its calls, fails on request.

Criteria are written as ``<field> is <value>`` (e.g. ``industry is SaaS``): met when the company's
field equals the value, not_met when it differs, unknown when the field is missing.
"""

from __future__ import annotations

import threading
import time

from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile, CriterionResult, EvaluatorIdentity, Grade, Usage, Verdict


class Boom(Exception):
    """Raised by the evaluator to simulate a crash mid-cycle."""


class ScriptedEvaluator:
    def __init__(
        self,
        *,
        model: str = "scripted-1",
        fail_domains: frozenset[str] = frozenset(),
        crash_after: int | None = None,
        cost_per_pair: float = 0.0,
        delay: float = 0.0,
    ) -> None:
        self._identity = EvaluatorIdentity(evaluator="scripted", model=model)
        self.fail_domains = fail_domains
        self.crash_after = crash_after
        self.cost_per_pair = cost_per_pair
        self.delay = delay
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    @property
    def identity(self) -> EvaluatorIdentity:
        return self._identity

    def grade(self, company: CompanyProfile, segment: CompiledSegment) -> Grade:
        with self._lock:
            if self.crash_after is not None and len(self.calls) >= self.crash_after:
                raise Boom("simulated crash")
            self.calls.append((company.domain, segment.name))
        if self.delay:
            time.sleep(self.delay)
        usage = (
            Usage(attempts=1, tokens_in=100, tokens_out=20, cost_usd=self.cost_per_pair)
            if self.cost_per_pair
            else Usage()
        )
        if company.domain in self.fail_domains:
            return Grade(
                status="failed", identity=self.identity, error="provider returned 503 three times", usage=usage
            )
        results = []
        data = company.model_dump()
        for criterion in segment.criteria:
            field, _, value = criterion.text.partition(" is ")
            actual = data.get(field.strip())
            if actual in (None, "", ()):
                verdict, evidence = Verdict.UNKNOWN, ""
            elif str(actual).lower() == value.strip().lower():
                verdict, evidence = Verdict.MET, f"{field.strip()}: {actual}"
            else:
                verdict, evidence = Verdict.NOT_MET, f"{field.strip()}: {actual}"
            results.append(
                CriterionResult(
                    id=criterion.id,
                    kind=criterion.kind,
                    text=criterion.text,
                    verdict=verdict,
                    evidence=evidence,
                    source="check",
                )
            )
        return Grade(results=tuple(results), summary=f"{company.name} scripted", identity=self.identity, usage=usage)
