"""The offline evaluator: deterministic rules, no network, no cost.

Structured checks decide what the company's fields can decide; criteria without structure are
matched by keywords and synonyms against industry, tags, technologies and description; anything
else is ``unknown``. It never answers ``not_met`` from missing data, and every piece of evidence is
a ``field: value`` reference or an exact quote, so the grounding rule of the LLM evaluator holds here
too. The hybrid evaluator uses :func:`decide_by_check` to spend model calls only where rules cannot
decide.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple, TypeVar

from pydantic import BaseModel

from icp.checks import (
    Check,
    CheckOutcome,
    CompanyFacts,
    WordScanner,
    company_facts,
    compile_words,
    evaluate_facts,
    facts_key,
    quote,
    word_scanner,
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
from icp.memo import IdentityMemo

# Part of every offline grade's input hash: bump it whenever parsing or rule logic changes, so stored
# grades produced by older rules are recomputed instead of reused.
RULES_VERSION = "rules-v6"

M = TypeVar("M", bound=BaseModel)

KEYWORD_CONFIDENCE = 0.6

# Go-to-market concepts people write in many ways: (criterion wording, company wording).
_CONCEPTS: tuple[tuple[re.Pattern[str], WordScanner], ...] = tuple(
    (compile_words(crit, plural=True), word_scanner(comp, plural=True))
    for crit, comp in (
        (
            r"product[- ]led|plg|self[- ]serve|freemium",
            r"product[- ]led|plg|self[- ]serve|freemium|free trial|free plan",
        ),
        (
            r"sales (?:team|org)|sdrs?|bdrs?|account executives|sales reps|outbound",
            r"sdrs?|bdrs?|sales team|account executives?|sales reps?|sales development|outbound",
        ),
        (r"remote|distributed", r"remote[- ]first|fully remote|distributed (?:team|company)|remote"),
        (r"hiring|open roles|growing (?:the |their )?team", r"hiring|open roles|open positions|join our team"),
        (
            r"enterprise (?:customers|clients|buyers|accounts)|sells? to (?:the )?enterprises?|fortune \d+|upmarket",
            r"enterprise (?:customers|clients)|fortune (?:500|1000)|global 2000|enterprises|large enterprises",
        ),
        (
            r"international|internationally|global|globally|multinational|multiple countries|worldwide",
            r"global|globally|worldwide|international|internationally|offices in|multinational|\d+ countries",
        ),
        (r"open[- ]source|oss", r"open[- ]source|oss"),
        (r"apis?|api[- ]first", r"apis?|api[- ]first"),
        (
            r"regulated|compliance|soc ?2|hipaa|gdpr|iso 27001",
            r"regulated|compliance|compliant|soc ?2|hipaa|gdpr|iso 27001",
        ),
        (r"subscription|recurring revenue", r"subscription|recurring revenue"),
        (r"mobile apps?|ios|android", r"mobile apps?|ios|android|app store"),
        (
            r"usage[- ]based|consumption[- ]based|pay[- ]as[- ]you[- ]go",
            r"usage[- ]based|consumption[- ]based|pay[- ]as[- ]you[- ]go",
        ),
        (
            r"channel partners?|resellers?|partner program",
            r"channel partners?|resellers?|partner program|partner network",
        ),
    )
)

# Words that carry no observable meaning on their own ("companies that could use our product").
_STOPWORDS = frozenset(
    str.split(
        """
        a an the and or of to in on for with that which who whom is are be been being was were has have having had
        their its our your my we they them it this these those there here at as by from into than then so such very
        really also just only more most less least much many some any all each every other own same not no nor
        company companies business businesses firm firms organization organizations organisation organisations org
        orgs account accounts customer customers client clients prospect prospects
        must should would could can may might will shall need needs needed want wants wanted looking look
        use uses using used make makes making do does doing done get gets getting
        product products solution solutions service services offering platform platforms tool tools
        good great big large small huge strong best better ideal ideally preferably preferred prefer right
        nice bonus plus important key real actual likely probably maybe etc e.g i.e ie eg like
        sell sells selling sold buy buys buying team teams people one ones something thing things way ways
        whatever anything everything anyone someone stuff kind kinds sort sorts type types lot lots
        """
    )
)
_WORD_RE = re.compile(r"[a-z0-9][a-z0-9+#&'-]*")
_SENTENCE_RE = re.compile(r"[^.!?\n]+[.!?]?")


def _stem(word: str) -> str:
    word = word.strip("'-").removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=4096)
def criterion_keywords(text: str) -> tuple[tuple[int, ...], frozenset[str]]:
    """The concepts a criterion names and its content word stems; empty when nothing is observable."""
    concepts = tuple(i for i, (crit, _) in enumerate(_CONCEPTS) if crit.search(text))
    stems = frozenset(
        _stem(w) for w in _WORD_RE.findall(text.lower()) if w not in _STOPWORDS and len(w) > 2 and not w.isdigit()
    )
    return concepts, stems - {""}


@dataclass(frozen=True, slots=True)
class _Unit:
    """One searchable piece of company data: a field value or a sentence of the description."""

    text: str
    evidence: str | None  # "field: value" for fields; None -> quote from the text


@lru_cache(maxsize=16384)
def _stems(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _WORD_RE.findall(text.lower()))


class _Haystack(NamedTuple):
    """All searchable company text joined once, so each concept is one regex search per company."""

    text: str
    lower: str
    starts: tuple[int, ...]  # offset of each unit in ``text``
    units: tuple[_Unit, ...]


def _haystack(facts: CompanyFacts) -> _Haystack:
    hay = facts.memo.get("haystack")
    if hay is None:
        hay = facts.memo["haystack"] = _build_haystack(facts.company)
    return hay  # type: ignore[return-value]


def _build_haystack(company: CompanyProfile) -> _Haystack:
    units: list[_Unit] = []
    if company.industry:
        units.append(_Unit(company.industry, f"industry: {company.industry}"))
    units.extend(_Unit(tag, f"tags: {tag}") for tag in company.tags)
    units.extend(_Unit(tech, f"technologies: {tech}") for tech in company.technologies)
    if company.description:
        units.append(_Unit(company.description, None))
    starts, offset = [], 0
    for unit in units:
        starts.append(offset)
        offset += len(unit.text) + 1
    text = "\n".join(u.text for u in units)
    return _Haystack(text, text.lower(), tuple(starts), tuple(units))


def _sentences(text: str) -> list[str]:
    return [m.group() for m in _SENTENCE_RE.finditer(text) if m.group().strip()]


def match_keywords(company: CompanyProfile, text: str) -> str | None:
    """Evidence that the company's data says what ``text`` says, or None.

    Deliberately strict (a named concept, or every content word of the criterion in one field value or
    one sentence) because a keyword hit is reported as ``met``; a loose match would invent fit.
    """
    return _match_keywords(company_facts(company), text)


def _match_keywords(facts: CompanyFacts, text: str) -> str | None:
    concepts, stems = criterion_keywords(text)
    hay = _haystack(facts)
    for index in concepts:
        m = _CONCEPTS[index][1].search(hay.text, hay.lower)
        if m:
            position = bisect_right(hay.starts, m.start()) - 1
            unit = hay.units[position]
            start = m.start() - hay.starts[position]
            return unit.evidence or quote(unit.text, start, start + len(m.group()))
    # Every stem must at least occur as a substring somewhere: a cheap test that rejects most companies.
    if not stems or not all(stem in hay.lower for stem in stems):
        return None
    for unit in hay.units:
        if unit.evidence is not None:
            if stems <= _stems(unit.text):
                return unit.evidence
        elif stems <= _stems(unit.text):
            for sentence in _sentences(unit.text):
                if stems <= _stems(sentence):
                    return sentence.strip()
    return None


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
            }
        )
