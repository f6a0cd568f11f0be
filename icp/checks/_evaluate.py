"""Company facts (normalised once per company) and deciding checks from them."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from typing import Any, NamedTuple

from icp.checks._models import (
    AllOf,
    AnyOf,
    Check,
    FoundedCheck,
    FundingCheck,
    GeoCheck,
    IndustryCheck,
    NotCheck,
    RangeCheck,
    TechCheck,
    describe_check,
    format_amount,
)
from icp.checks._parser import _grouped_alternation, _word
from icp.checks._scan import WordScanner
from icp.checks._vocabulary import (
    _SUBDIVISION_ALIASES,
    _TECH,
    _VC_STAGES,
    COUNTRIES,
    INDUSTRIES,
    SUBDIVISIONS,
    TECH_BY_NAME,
    TECH_CATEGORIES,
    TECHNOLOGIES,
)
from icp.domain import CompanyProfile, Verdict
from icp.memo import IdentityMemo

# ---------------------------------------------------------------------------------------------
# Company facts: normalised once per company, shared by every criterion and segment
# ---------------------------------------------------------------------------------------------

_COUNTRY_LOOKUP: dict[str, str] = {}
for _c in COUNTRIES.values():
    for _alias in (_c.code, _c.alpha3, _c.name, *_c.aliases):
        _COUNTRY_LOOKUP[_alias.lower()] = _c.code
_COUNTRY_LOOKUP.update({"uk": "GB", "usa": "US", "u.s.": "US", "u.s.a.": "US", "u.k.": "GB"})


def country_code(value: str | None) -> str | None:
    """ISO alpha-2 for a country written as a name, alias or ISO code; None when unrecognised."""
    if not value:
        return None
    key = value.strip().lower()
    return _COUNTRY_LOOKUP.get(key) or _COUNTRY_LOOKUP.get(key.rstrip(".")) or _COUNTRY_LOOKUP.get(key + ".")


def subdivision_code(region: str | None, country: str | None) -> str | None:
    """'US-CA' for "California", "CA" (when the country is the US) or "US-CA"; None when unrecognised."""
    if not region:
        return None
    value = region.strip()
    upper = value.upper()
    if upper in SUBDIVISIONS:
        return upper
    if len(value) == 2 and country in ("US", "CA"):
        code = f"{country}-{upper}"
        return code if code in SUBDIVISIONS else None
    return _SUBDIVISION_ALIASES.get(value.lower())


class _Hit(NamedTuple):
    evidence: str
    strong: bool  # from a structured field (industry, tags, technologies) rather than prose


# A child industry implies its parent: a biotech is a healthcare company, a SaaS company is software.
_IMPLIES: dict[str, tuple[str, ...]] = {
    "biotech": ("healthcare",),
    "pharma": ("healthcare",),
    "medtech": ("healthcare",),
    "fintech": ("financial_services", "technology"),
    "insurance": ("financial_services",),
    "edtech": ("education", "technology"),
    "proptech": ("real_estate", "technology"),
    "legaltech": ("legal", "technology"),
    "ecommerce": ("retail",),
    "gaming": ("media",),
    "saas": ("software",),
    "software": ("technology",),
    "it_services": ("technology",),
    "internet": ("technology",),
    "crypto": ("fintech",),
    **{
        key: ("technology",)
        for key in ("devtools", "cybersecurity", "hrtech", "martech", "adtech", "ai", "data", "cleantech")
    },
}
_TECHY = frozenset({*_TECH, *(k for k, v in INDUSTRIES.items() if {"software", "technology"} & set(v.parents))})


def _expand_parents(key: str) -> frozenset[str]:
    parents = set(INDUSTRIES[key].parents)
    if "*tech" in parents:
        parents.discard("*tech")
        parents |= _TECHY - {key}
    return frozenset(parents)


_HIDING_PARENTS = {key: _expand_parents(key) for key in INDUSTRIES}
_INDUSTRY_EVIDENCE = {key: re.compile(_word(ind.evidence), re.I) for key, ind in INDUSTRIES.items()}
# One combined pass over company text; the matched phrase is then mapped to its keys (cached).
_INDUSTRY_EVIDENCE_ANY = WordScanner(_word(_grouped_alternation([ind.evidence for ind in INDUSTRIES.values()])))
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


@lru_cache(maxsize=8192)
def _keys_for_phrase(phrase: str) -> tuple[str, ...]:
    keys: set[str] = {k for k, rx in _INDUSTRY_EVIDENCE.items() if rx.fullmatch(phrase)}
    frontier = list(keys)
    while frontier:
        for parent in _IMPLIES.get(frontier.pop(), ()):
            if parent not in keys:
                keys.add(parent)
                frontier.append(parent)
    return tuple(sorted(keys))


def quote(text: str, start: int, end: int, width: int = 90) -> str:
    """An exact substring of ``text`` around ``[start, end)``: the sentence, trimmed at word boundaries.

    Evidence must be a verbatim quote so a reviewer (or the grounding check) can find it in the data.
    """
    sentence_start = max(text.rfind(". ", 0, start) + 2 if text.rfind(". ", 0, start) >= 0 else 0, 0)
    sentence_end = text.find(". ", end)
    sentence_end = len(text) if sentence_end < 0 else sentence_end
    lo, hi = sentence_start, sentence_end
    if hi - lo > width:
        lo = max(lo, start - width // 2)
        hi = min(hi, max(end, lo + width))
        while lo > sentence_start and text[lo - 1].isalnum():
            lo -= 1
        while hi < sentence_end and text[hi].isalnum():
            hi += 1
    return text[lo:hi].strip(" ,;:")


@lru_cache(maxsize=8192)
def _industries_in(value: str) -> tuple[str, ...]:
    """Industry keys a field value names (values repeat across companies: "Software", "b2b")."""
    return tuple(key for m in _INDUSTRY_EVIDENCE_ANY.finditer(value) for key in _keys_for_phrase(m.group().lower()))


def _industry_hits(company: CompanyProfile, description_lower: str) -> tuple[dict[str, _Hit], frozenset[str]]:
    hits: dict[str, _Hit] = {}
    field_keys: set[str] = set()
    sources: list[tuple[str, str, bool]] = []
    if company.industry:
        sources.append((company.industry, f"industry: {company.industry}", True))
    sources.extend((tag, f"tags: {tag}", True) for tag in company.tags)
    for value, evidence, strong in sources:
        for key in _industries_in(value):
            field_keys.add(key)
            hits.setdefault(key, _Hit(evidence, strong))
    if company.description:
        text = company.description
        for m in _INDUSTRY_EVIDENCE_ANY.finditer(text, description_lower):
            for key in _keys_for_phrase(m.group().lower()):
                if key not in hits:
                    hits[key] = _Hit(quote(text, m.start(), m.end()), False)
    return hits, frozenset(field_keys)


_TECH_ANY_RE = WordScanner(_word(_grouped_alternation([t.aliases for t in TECHNOLOGIES])))
_TECH_DESCRIPTION_RE = WordScanner(_word(_grouped_alternation([t.aliases for t in TECHNOLOGIES if not t.exact_case])))
_TECH_ALIAS_RES = [(t, re.compile(_word(t.aliases), re.I)) for t in TECHNOLOGIES]


@lru_cache(maxsize=4096)
def _techs_for_phrase(phrase: str) -> tuple[str, ...]:
    return tuple(t.name for t, rx in _TECH_ALIAS_RES if rx.fullmatch(phrase))


@lru_cache(maxsize=8192)
def _techs_in(item: str) -> tuple[str, ...]:
    """Tools a technologies entry names ("Salesforce Sales Cloud" -> Salesforce)."""
    return tuple(name for m in _TECH_ANY_RE.finditer(item) for name in _techs_for_phrase(m.group()))


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    """A company's fields normalised for checks (country code, industry keys, tool names, stage)."""

    company: CompanyProfile
    country: str | None
    country_evidence: str
    subdivision: str | None
    region_evidence: str
    industry_hits: dict[str, _Hit]
    industry_field_keys: frozenset[str]
    tech_names: dict[str, str]
    tech_categories: dict[str, str]
    tech_in_description: dict[str, str]
    technologies_evidence: str
    stage: str | None
    memo: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    """What graders derive per company (searchable text, keyword matches); racing writers store equal values."""


_STAGE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"pre[- ]?ipo", re.I), "series_e_plus"),
    (re.compile(r"pre[- ]?seed|angel", re.I), "pre_seed"),
    (re.compile(r"\bseed\b", re.I), "seed"),
    (re.compile(r"series[- ]?([a-z])", re.I), "series"),
    (re.compile(r"public|ipo|listed|nasdaq|nyse|lse|stock exchange", re.I), "public"),
    (re.compile(r"bootstrap|self[- ]funded|founder[- ]funded|no (?:outside )?funding|unfunded", re.I), "bootstrapped"),
    (re.compile(r"private equity|\bpe\b|buyout", re.I), "pe_backed"),
    (re.compile(r"late[- ]stage|growth", re.I), "series_e_plus"),
    (re.compile(r"venture|vc|early[- ]stage", re.I), "vc_unspecified"),
)


def funding_stage_code(value: str | None) -> str | None:
    """Canonical stage for a CRM funding value ("Series B", "IPO", "Bootstrapped"); None when unrecognised."""
    if not value:
        return None
    for pattern, stage in _STAGE_PATTERNS:
        m = pattern.search(value)
        if m:
            if stage == "series":
                letter = m.group(1).lower()
                return "series_e_plus" if letter >= "e" else f"series_{letter}"
            return stage
    return None


def _normalise(company: CompanyProfile) -> CompanyFacts:
    country = country_code(company.country)
    subdivision = subdivision_code(company.region, country)
    country_evidence = f"country: {company.country}" if company.country else ""
    if country is None and subdivision is not None and company.region and len(company.region.strip()) > 2:
        country = subdivision.split("-")[0]
        country_evidence = f"region: {company.region}"
    description_lower = company.description.lower() if company.description else ""
    industry_hits, field_keys = _industry_hits(company, description_lower)
    tech_names: dict[str, str] = {}
    tech_categories: dict[str, str] = {}
    for item in company.technologies:
        for name in _techs_in(item):
            tech_names.setdefault(name, item)
            for category in TECH_BY_NAME[name].categories:
                tech_categories.setdefault(category, item)
    tech_in_description: dict[str, str] = {}
    if company.description:
        for m in _TECH_DESCRIPTION_RE.finditer(company.description, description_lower):
            for name in _techs_for_phrase(m.group()):
                tech_in_description.setdefault(name, quote(company.description, m.start(), m.end()))
    return CompanyFacts(
        company=company,
        country=country,
        country_evidence=country_evidence,
        subdivision=subdivision,
        region_evidence=f"region: {company.region}" if company.region else "",
        industry_hits=industry_hits,
        industry_field_keys=field_keys,
        tech_names=tech_names,
        tech_categories=tech_categories,
        tech_in_description=tech_in_description,
        technologies_evidence="technologies: " + ", ".join(company.technologies) if company.technologies else "",
        stage=funding_stage_code(company.funding_stage),
    )


company_facts: IdentityMemo[CompanyProfile, CompanyFacts] = IdentityMemo(_normalise, limit=256)
"""``company_facts(company)``: the company normalised once, however many segments grade it.

Memoised per company object: a cycle grades one company against every segment before the next.
"""


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


class CheckOutcome(NamedTuple):
    """What a check concluded about one company.

    ``evidence`` is a ``field: value`` reference or an exact quote; ``reason`` explains the verdict
    to a person; ``weak`` marks a verdict that rests on prose (the description) rather than a field.
    """

    verdict: Verdict
    evidence: str = ""
    confidence: float = 0.0
    reason: str = ""
    weak: bool = False


def _unknown(reason: str) -> CheckOutcome:
    return CheckOutcome(Verdict.UNKNOWN, "", 0.0, reason, False)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _eval_range(check: RangeCheck, facts: CompanyFacts) -> CheckOutcome:
    value = facts.company.employees if check.field == "employees" else facts.company.revenue
    if value is None:
        return _unknown(f"no {check.field} data")
    evidence = f"{check.field}: {_number_text(value)}"
    shown = format_amount(check.field, value)
    if check.minimum is not None and (value < check.minimum or (value == check.minimum and not check.min_inclusive)):
        limit = format_amount(check.field, check.minimum)
        word = "below" if value < check.minimum else "not above"
        return CheckOutcome(Verdict.NOT_MET, evidence, 0.95, f"{check.field}: {shown} is {word} {limit}")
    if check.maximum is not None and (value > check.maximum or (value == check.maximum and not check.max_inclusive)):
        limit = format_amount(check.field, check.maximum)
        word = "above" if value > check.maximum else "not below"
        return CheckOutcome(Verdict.NOT_MET, evidence, 0.95, f"{check.field}: {shown} is {word} {limit}")
    return CheckOutcome(Verdict.MET, evidence, 0.95, f"{check.field}: {shown} matches {describe_check(check)}")


def _eval_geo(check: GeoCheck, facts: CompanyFacts) -> CheckOutcome:
    where = " or ".join(check.places)
    if facts.country is None:
        if facts.company.country:
            return _unknown(f"country: {facts.company.country} is not recognised")
        return _unknown("no country data")
    if facts.country in check.countries:
        return CheckOutcome(Verdict.MET, facts.country_evidence, 0.95, f"{facts.country_evidence} is in {where}")
    if any(s.startswith(facts.country + "-") for s in check.subdivisions):
        if facts.subdivision is None:
            if facts.company.region:
                return _unknown(f"region: {facts.company.region} is not recognised")
            return _unknown("no state/province data")
        if facts.subdivision in check.subdivisions:
            return CheckOutcome(Verdict.MET, facts.region_evidence, 0.95, f"{facts.region_evidence} is in {where}")
        return CheckOutcome(Verdict.NOT_MET, facts.region_evidence, 0.9, f"{facts.region_evidence} is not in {where}")
    return CheckOutcome(Verdict.NOT_MET, facts.country_evidence, 0.95, f"{facts.country_evidence} is not in {where}")


# An explicit label for one business model, in a field, answers the other (B2B2C says neither).
_OPPOSITE_MODEL: dict[str, tuple[str, re.Pattern[str]]] = {
    "b2b": ("b2c", re.compile(r"\b(?:b2c|d2c|dtc|direct[- ]to[- ]consumer|business[- ]to[- ]consumer)\b", re.I)),
    "b2c": ("b2b", re.compile(r"\b(?:b2b|business[- ]to[- ]business)\b", re.I)),
}


def _industry_one(key: str, facts: CompanyFacts) -> CheckOutcome:
    label = INDUSTRIES[key].label
    hit = facts.industry_hits.get(key)
    if hit is not None:
        return CheckOutcome(
            Verdict.MET, hit.evidence, 0.9 if hit.strong else 0.7, f"{hit.evidence} indicates {label}", not hit.strong
        )
    opposite = _OPPOSITE_MODEL.get(key)
    if opposite is not None:
        other = facts.industry_hits.get(opposite[0])
        if other is not None and other.strong and opposite[1].search(other.evidence):
            return CheckOutcome(Verdict.NOT_MET, other.evidence, 0.75, f"{other.evidence}, not {label}")
    industry = facts.company.industry
    if not industry:
        return _unknown(f"no industry data to tell whether it is {label}")
    parents = _HIDING_PARENTS[key]
    if "*" in parents or not facts.industry_field_keys or facts.industry_field_keys & parents:
        return _unknown(f"industry: {industry} does not say whether it is {label}")
    return CheckOutcome(Verdict.NOT_MET, f"industry: {industry}", 0.8, f"industry: {industry} is not {label}")


def _eval_industry(check: IndustryCheck, facts: CompanyFacts) -> CheckOutcome:
    outcomes = [_industry_one(key, facts) for key in check.industries]
    return _any(outcomes) if check.match == "any" else _all(outcomes)


def _tech_one(name: str | None, category: str | None, facts: CompanyFacts) -> CheckOutcome:
    wanted = name if name is not None else f"a {TECH_CATEGORIES[category or ''][0]}"
    if name is not None and name in facts.tech_names:
        item = facts.tech_names[name]
        return CheckOutcome(Verdict.MET, f"technologies: {item}", 0.95, f"uses {name}")
    if category is not None and category in facts.tech_categories:
        item = facts.tech_categories[category]
        return CheckOutcome(Verdict.MET, f"technologies: {item}", 0.85, f"technologies: {item} is {wanted}")
    if name is not None and name in facts.tech_in_description:
        return CheckOutcome(Verdict.MET, facts.tech_in_description[name], 0.6, f"description mentions {name}", True)
    if not facts.company.technologies:
        return _unknown(f"no technology data to tell whether it uses {wanted}")
    # The stack is listed without it. A rival in the same category makes the absence more telling.
    categories = TECH_BY_NAME[name].categories if name is not None else (category or "",)
    rival = any(c in facts.tech_categories for c in categories)
    return CheckOutcome(
        Verdict.NOT_MET,
        facts.technologies_evidence,
        0.8 if rival else 0.6,
        f"{facts.technologies_evidence} (no {wanted})",
    )


def _eval_tech(check: TechCheck, facts: CompanyFacts) -> CheckOutcome:
    outcomes = [_tech_one(n, None, facts) for n in check.technologies]
    outcomes += [_tech_one(None, c, facts) for c in check.categories]
    if check.match == "all":
        return _all(outcomes)
    result = _any(outcomes)
    if result.verdict is Verdict.NOT_MET:
        wanted = ", ".join([*check.technologies, *(TECH_CATEGORIES[c][0] for c in check.categories)])
        return result._replace(reason=f"{facts.technologies_evidence} (none of: {wanted})")
    return result


def _eval_funding(check: FundingCheck, facts: CompanyFacts) -> CheckOutcome:
    raw = facts.company.funding_stage
    if not raw:
        return _unknown("no funding data")
    evidence = f"funding_stage: {raw}"
    wanted = describe_check(check)
    if facts.stage is None:
        return _unknown(f"{evidence} is not a stage the rules know")
    if facts.stage == "vc_unspecified":
        allowed = set(check.stages)
        if allowed >= set(_VC_STAGES):
            return CheckOutcome(Verdict.MET, evidence, 0.8, f"{evidence} is venture-backed")
        if not allowed & set(_VC_STAGES):
            return CheckOutcome(Verdict.NOT_MET, evidence, 0.8, f"{evidence} does not match {wanted}")
        return _unknown(f"{evidence} does not name the round")
    if facts.stage in check.stages:
        return CheckOutcome(Verdict.MET, evidence, 0.9, f"{evidence} matches {wanted}")
    return CheckOutcome(Verdict.NOT_MET, evidence, 0.9, f"{evidence} does not match {wanted}")


def _eval_founded(check: FoundedCheck, facts: CompanyFacts) -> CheckOutcome:
    year = facts.company.founded_year
    if year is None:
        return _unknown("no founding year")
    evidence = f"founded_year: {year}"
    if check.min_year is not None and year < check.min_year:
        return CheckOutcome(Verdict.NOT_MET, evidence, 0.95, f"{evidence} is before {check.min_year}")
    if check.max_year is not None and year > check.max_year:
        return CheckOutcome(Verdict.NOT_MET, evidence, 0.95, f"{evidence} is after {check.max_year}")
    return CheckOutcome(Verdict.MET, evidence, 0.95, f"{evidence} matches {describe_check(check)}")


def _any(outcomes: list[CheckOutcome]) -> CheckOutcome:
    if len(outcomes) == 1:
        return outcomes[0]
    met = [o for o in outcomes if o.verdict is Verdict.MET]
    if met:
        return max(met, key=lambda o: (not o.weak, o.confidence))
    if outcomes and all(o.verdict is Verdict.NOT_MET for o in outcomes):
        evidence = "; ".join(dict.fromkeys(o.evidence for o in outcomes if o.evidence))
        reason = "; ".join(dict.fromkeys(o.reason for o in outcomes))
        return CheckOutcome(
            Verdict.NOT_MET, evidence, min(o.confidence for o in outcomes), reason, any(o.weak for o in outcomes)
        )
    return _unknown("; ".join(dict.fromkeys(o.reason for o in outcomes if o.verdict is Verdict.UNKNOWN)))


def _all(outcomes: list[CheckOutcome]) -> CheckOutcome:
    if len(outcomes) == 1:
        return outcomes[0]
    failed = [o for o in outcomes if o.verdict is Verdict.NOT_MET]
    if failed:
        return max(failed, key=lambda o: (not o.weak, o.confidence))
    if all(o.verdict is Verdict.MET for o in outcomes):
        evidence = "; ".join(dict.fromkeys(o.evidence for o in outcomes if o.evidence))
        reason = "; ".join(dict.fromkeys(o.reason for o in outcomes))
        return CheckOutcome(
            Verdict.MET, evidence, min(o.confidence for o in outcomes), reason, any(o.weak for o in outcomes)
        )
    return _unknown("; ".join(dict.fromkeys(o.reason for o in outcomes if o.verdict is Verdict.UNKNOWN)))


def _eval_not(check: NotCheck, facts: CompanyFacts) -> CheckOutcome:
    inner = evaluate_facts(check.check, facts)
    if inner.verdict is Verdict.UNKNOWN:
        return inner
    if inner.verdict is Verdict.MET:
        return CheckOutcome(Verdict.NOT_MET, inner.evidence, inner.confidence, f"excluded: {inner.reason}", inner.weak)
    return CheckOutcome(Verdict.MET, inner.evidence, inner.confidence, inner.reason, inner.weak)


def _eval_any_of(check: AnyOf, facts: CompanyFacts) -> CheckOutcome:
    return _any([evaluate_facts(c, facts) for c in check.checks])


def _eval_all_of(check: AllOf, facts: CompanyFacts) -> CheckOutcome:
    return _all([evaluate_facts(c, facts) for c in check.checks])


_EVALUATORS: dict[type, Callable[[Any, CompanyFacts], CheckOutcome]] = {
    RangeCheck: _eval_range,
    GeoCheck: _eval_geo,
    IndustryCheck: _eval_industry,
    TechCheck: _eval_tech,
    FundingCheck: _eval_funding,
    FoundedCheck: _eval_founded,
    NotCheck: _eval_not,
    AnyOf: _eval_any_of,
    AllOf: _eval_all_of,
}


def evaluate_facts(check: Check, facts: CompanyFacts) -> CheckOutcome:
    """Decide ``check`` from pre-normalised facts (the hot path: facts are computed once per company)."""
    return _EVALUATORS[type(check)](check, facts)


def evaluate_check(check: Check, company: CompanyProfile) -> CheckOutcome:
    """Decide ``check`` for ``company``: met/not_met only from data the company has, unknown otherwise.

    Args:
        check: A check from :func:`parse_check` (or built by hand).
        company: The company; its normalised facts are cached, so repeated calls are cheap.

    Returns:
        The verdict with a ``field: value`` or quoted evidence, a confidence, a readable reason, and
        whether the verdict rests only on prose (``weak``).
    """
    return evaluate_facts(check, company_facts(company))


# ---------------------------------------------------------------------------------------------
# What a check reads
# ---------------------------------------------------------------------------------------------

FactsKey = Callable[[CompanyFacts], Hashable]


def facts_key(check: Check) -> FactsKey:
    """A function of exactly the facts ``check`` reads: companies with equal keys get equal outcomes.

    Most companies share their answer to a check with many others (the same country, headcount,
    stage or stack), so a grader can decide a check once per distinct key instead of once per
    company. The key holds raw field values, plus the description mentions the check would quote;
    a test compares outcomes reused this way with outcomes decided afresh.

    Args:
        check: Any check tree.

    Returns:
        A cheap function from a company's facts to a hashable key.
    """
    if isinstance(check, RangeCheck):
        return attrgetter(f"company.{check.field}")
    if isinstance(check, GeoCheck):
        return attrgetter("company.country", "company.region")
    if isinstance(check, FundingCheck):
        return attrgetter("company.funding_stage")
    if isinstance(check, FoundedCheck):
        return attrgetter("company.founded_year")
    if isinstance(check, TechCheck):
        names = check.technologies
        if not names:
            return attrgetter("company.technologies")
        return lambda facts: (facts.company.technologies, tuple(map(facts.tech_in_description.get, names)))
    if isinstance(check, IndustryCheck):
        keys = tuple(
            dict.fromkeys(
                [*check.industries, *(_OPPOSITE_MODEL[k][0] for k in check.industries if k in _OPPOSITE_MODEL)]
            )
        )
        fields = attrgetter("company.industry", "company.tags")
        return lambda facts: (fields(facts), tuple(map(facts.industry_hits.get, keys)))
    if isinstance(check, NotCheck):
        return facts_key(check.check)
    parts = tuple(facts_key(c) for c in check.checks)
    return lambda facts: tuple(part(facts) for part in parts)
