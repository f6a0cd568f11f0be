"""The offline evaluator: deterministic rules, no network, no cost.

Structured checks decide what the company's fields can decide; criteria without structure are
matched by keywords and synonyms against industry, tags, technologies and description; anything
else is ``unknown``. It never answers ``not_met`` from missing data, and every piece of evidence is
a ``field: value`` reference or an exact quote, so the grounding rule of the LLM evaluator holds here
too. The hybrid evaluator uses :func:`decide_by_check` to spend model calls only where rules cannot
decide.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from icp.checks import (
    Check,
    CheckOutcome,
    CompanyFacts,
    company_facts,
    evaluate_facts,
    facts_key,
)
from icp.criteria import CompiledSegment, Criterion
from icp.domain import (
    CompanyProfile,
    CriterionKind,
    CriterionResult,
    EvaluatorIdentity,
    Grade,
    Usage,
    Verdict,
    VerdictSource,
)
from icp.evaluators._keywords import KEYWORD_CONFIDENCE, _match_keywords
from icp.evaluators._keywords import _stems as _stems  # re-exported: benchmarks clear its cache
from icp.evaluators._keywords import criterion_keywords as criterion_keywords
from icp.evaluators._keywords import match_keywords as match_keywords
from icp.memo import IdentityMemo

# Part of every offline grade's input hash: bump it whenever parsing or rule logic changes, so stored
# grades produced by older rules are recomputed instead of reused.
RULES_VERSION = "rules-v7"

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__


def _direct_constructor(model: type[M]) -> Callable[[dict[str, Any]], M]:
    """A constructor for trusted values that does what ``model_construct`` does, ~10x cheaper.

    Valid for models without private attributes or a post-init hook (checked here, else it falls back
    to ``model_construct``); the values must name every field. A test compares its output with
    validated models.
    """
    names = tuple(model.model_fields)
    if model.__pydantic_post_init__ or model.__private_attributes__:  # pragma: no cover - model-dependent
        return lambda values: model.model_construct(**values)

    all_fields = set(names)  # shared: pydantic copies it before any change (model_copy), never mutates it

    def construct(values: dict[str, Any]) -> M:
        instance = model.__new__(model)
        _set(instance, "__dict__", values)
        _set(instance, "__pydantic_fields_set__", all_fields)
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return instance

    return construct


_new_result = _direct_constructor(CriterionResult)
_new_grade = _direct_constructor(Grade)
_FREE = Usage()  # immutable, so every offline grade shares it


def _result(
    criterion: Criterion,
    verdict: Verdict,
    evidence: str,
    confidence: float,
    source: VerdictSource,
    note: str,
) -> CriterionResult:
    # Every value is produced here from validated inputs; validating again would only cost time.
    unknown = verdict is Verdict.UNKNOWN
    return _new_result(
        {
            "id": criterion.id,
            "kind": criterion.kind,
            "text": criterion.text,
            "verdict": verdict,
            "evidence": "" if unknown else evidence,
            "confidence": 0.0 if unknown else confidence,
            "source": source,
            "note": note,
        }
    )


def _build_from_outcome(criterion: Criterion, outcome: CheckOutcome) -> CriterionResult:
    if outcome.verdict is Verdict.UNKNOWN:
        return _result(criterion, Verdict.UNKNOWN, "", 0.0, "none", outcome.reason)
    source: VerdictSource = "keyword" if outcome.weak else "check"
    return _result(criterion, outcome.verdict, outcome.evidence, outcome.confidence, source, outcome.reason)


_NO_KEYWORDS = "no field or keyword in the company's data says"
_MISSING = object()


class _CheckGrader:
    """Grades one criterion with a check, deciding it once per distinct key of the facts it reads.

    Thousands of companies share a country, a stage or a headcount, and the result for all of them
    is the same immutable object, built once. Where keys rarely repeat (exact revenue, a stack quoted
    in full, a sentence of the description) holding results costs memory and garbage-collector time
    for nothing, so each grader measures its reuse: below one hit in four lookups it decides checks
    directly for a while, then measures again. Memory is bounded by clearing when full.
    """

    __slots__ = ("criterion", "check", "key", "results", "hits", "misses", "direct_left")
    LIMIT: ClassVar[int] = 2048
    """Results held per criterion."""
    WINDOW: ClassVar[int] = 512
    """Misses after which reuse is judged."""
    DIRECT_RUN: ClassVar[int] = 16 * 512
    """Calls decided directly, after poor reuse, before reuse is measured again."""

    def __init__(self, criterion: Criterion, check: Check) -> None:
        self.criterion = criterion
        self.check = check
        self.key = facts_key(check)
        self.results: dict[Hashable, CriterionResult] = {}
        self.hits = self.misses = self.direct_left = 0

    def grade(self, facts: CompanyFacts) -> CriterionResult:
        """The result for a company's facts (shared with every company whose key is equal)."""
        if self.direct_left > 0:
            self.direct_left -= 1
            return _build_from_outcome(self.criterion, evaluate_facts(self.check, facts))
        key = self.key(facts)
        result = self.results.get(key)
        if result is not None:
            self.hits += 1
            return result
        result = _build_from_outcome(self.criterion, evaluate_facts(self.check, facts))
        self.misses += 1
        if self.misses >= self.WINDOW:
            if self.hits * 3 < self.misses:
                self.results.clear()
                self.direct_left = self.DIRECT_RUN
            self.hits = self.misses = 0
        if len(self.results) >= self.LIMIT:
            self.results.clear()
        if not self.direct_left:
            self.results[key] = result
        return result


class _KeywordGrader:
    """Grades a text-only criterion by keywords; the match is memoised on the company's facts."""

    __slots__ = ("criterion", "memo_key", "unknown")

    def __init__(self, criterion: Criterion) -> None:
        self.criterion = criterion
        self.memo_key = "kw:" + criterion.text
        self.unknown = _result(criterion, Verdict.UNKNOWN, "", 0.0, "none", _NO_KEYWORDS)

    def grade(self, facts: CompanyFacts) -> CriterionResult:
        """``met`` with the matching text as evidence, else the one shared ``unknown``."""
        evidence = facts.memo.get(self.memo_key, _MISSING)
        if evidence is _MISSING:
            evidence = facts.memo[self.memo_key] = _match_keywords(facts, self.criterion.text)
        if isinstance(evidence, str):
            return _result(self.criterion, Verdict.MET, evidence, KEYWORD_CONFIDENCE, "keyword", "matched keywords")
        return self.unknown


_Grader = Callable[[CompanyFacts], CriterionResult]


def _new_graders(owner: CompiledSegment | Criterion) -> tuple[_Grader, ...]:
    criteria = owner.criteria if isinstance(owner, CompiledSegment) else (owner,)
    return tuple(_KeywordGrader(c).grade if c.check is None else _CheckGrader(c, c.check).grade for c in criteria)


# A cycle compiles each segment version once and grades every company with it, so its graders (and
# the results they share) live as long as that compiled segment. Bound methods: the cheapest call.
_graders: IdentityMemo[CompiledSegment | Criterion, tuple[_Grader, ...]] = IdentityMemo(_new_graders, limit=256)


def grade_criterion(company: CompanyProfile, criterion: Criterion) -> CriterionResult:
    """Grade one criterion: structured check first, then keywords for text-only criteria, else unknown.

    Args:
        company: The company to grade.
        criterion: A compiled criterion (with its check, if the text has one).

    Returns:
        The result; ``not_met`` only when a field the company has contradicts the criterion.
    """
    return _graders(criterion)[0](company_facts(company))


def decide_by_check(company: CompanyProfile, criterion: Criterion) -> CriterionResult | None:
    """The result when a structured check decides met/not_met from the company's fields; else None.

    Verdicts resting on prose (a tool named in the description) are left to the caller (the hybrid
    evaluator sends them to the model), as are unknowns and text-only criteria.

    Args:
        company: The company to grade.
        criterion: A compiled criterion.

    Returns:
        A ``source="check"`` result that needs no model call, or None when the model should decide.
    """
    if criterion.check is None:
        return None
    result = grade_criterion(company, criterion)
    if result.verdict is Verdict.UNKNOWN or result.source != "check":
        return None
    return result


_MET, _NOT_MET, _REQUIREMENT = Verdict.MET, Verdict.NOT_MET, CriterionKind.REQUIREMENT


def summarize(results: tuple[CriterionResult, ...] | list[CriterionResult]) -> str:
    """One or two sentences an SDR can read: how many requirements hold, which fail and why."""
    requirements = met = nice = nice_met = 0
    failed: list[CriterionResult] = []
    unknown: list[str] = []
    for r in results:  # one pass, module-level constants: this runs for every pair a cycle grades
        verdict = r.verdict
        if r.kind is _REQUIREMENT:
            requirements += 1
            if verdict is _MET:
                met += 1
            elif verdict is _NOT_MET:
                failed.append(r)
            else:
                unknown.append(r.id)
        else:
            nice += 1
            if verdict is _MET:
                nice_met += 1
    if failed:
        shown = ", ".join([f"{r.id} ({r.note or r.evidence})" for r in failed[:3]])
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        return f"Meets {met} of {requirements} requirements; fails {shown}{more}."
    if not requirements:
        head = "No requirements"
    elif not unknown:
        head = "Meets every requirement"
    else:
        head = f"Meets {met} of {requirements} requirements; {', '.join(unknown)} unknown"
    return f"{head}; {nice_met} of {nice} nice-to-haves." if nice else f"{head}."


class OfflineEvaluator:
    """Deterministic rules-only grading: the default without an API key, and the CI baseline for evals.

    Stateless apart from module-level caches keyed by immutable values, so it is safe to share
    across threads.
    """

    _IDENTITY = EvaluatorIdentity(evaluator="offline", model=RULES_VERSION)
    cpu_bound: ClassVar[bool] = True
    """Pure computation: cycles may grade with it in worker processes, one per core."""

    @property
    def identity(self) -> EvaluatorIdentity:
        """``offline`` / ``RULES_VERSION``: a rule change re-grades instead of reusing old grades."""
        return self._IDENTITY

    def grade(self, company: CompanyProfile, segment: CompiledSegment) -> Grade:
        """Grade every criterion of ``segment``; never raises for a pair, never calls out."""
        facts = company_facts(company)
        results = tuple([grade(facts) for grade in _graders(segment)])
        return _new_grade(
            {
                "status": "ok",
                "results": results,
                "summary": summarize(results),
                "identity": self._IDENTITY,
                "usage": _FREE,
                "error": None,
                "failure": None,
                "note": "",
            }
        )
