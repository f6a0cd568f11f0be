"""Deciding checks from company facts, and what each check reads (so a grader can reuse outcomes)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable
from operator import attrgetter
from typing import Any, NamedTuple

from icp.checks._facts import _HIDING_PARENTS, BUSINESS_MODELS, HORIZONTAL, CompanyFacts, company_facts, market
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
from icp.checks._stated import Stated
from icp.checks._vocabulary import (
    _VC_STAGES,
    INDUSTRIES,
    TECH_BY_NAME,
    TECH_CATEGORIES,
)
from icp.domain import CompanyProfile, Verdict


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
        stated = facts.stated_employees if check.field == "employees" else facts.stated_revenue
        if stated is None:
            return _unknown(f"no {check.field} data")
        return _eval_stated(check, stated)
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


def _eval_stated(check: RangeCheck, stated: Stated) -> CheckOutcome:
    """A range check against a figure the description states: decided only when its whole range is clear."""
    field, wanted = check.field, describe_check(check)
    lo = -math.inf if check.minimum is None else check.minimum
    hi = math.inf if check.maximum is None else check.maximum
    if stated.low == stated.high:
        figure = format_amount(field, stated.low)
    elif stated.high == math.inf:
        figure = f"{format_amount(field, stated.low)} or more"
    else:
        figure = f"{format_amount(field, stated.low)}–{format_amount(field, stated.high)}"
    said = f"the description puts {field} at {figure}"
    above_lo = stated.low > lo or (stated.low == lo and check.min_inclusive)
    below_hi = stated.high < hi or (stated.high == hi and check.max_inclusive)
    if above_lo and below_hi:
        return CheckOutcome(Verdict.MET, stated.quote, 0.6, f"{said}, within {wanted}", True)
    too_low = stated.high < lo or (stated.high == lo and not check.min_inclusive)
    too_high = stated.low > hi or (stated.low == hi and not check.max_inclusive)
    if too_low or too_high:
        return CheckOutcome(Verdict.NOT_MET, stated.quote, 0.6, f"{said}, outside {wanted}", True)
    return _unknown(f"{said}: too rough to tell whether it is {wanted}")


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
# Who the description says buys, and the business model that rules out.
_MARKET_EXCLUDES = {"b2b": "consumer", "b2c": "business"}
_MARKET_MEETS = {"b2b": "business", "b2c": "consumer"}
_BUYER_WORDS = {"business": "businesses", "consumer": "consumers"}


def _field_rules_out(key: str, facts: CompanyFacts) -> bool:
    """The industry field names a sector that cannot hide ``key`` ("Logistics" is not a fintech)."""
    parents = _HIDING_PARENTS[key]
    fields = facts.industry_field_keys
    return bool(facts.company.industry and fields and "*" not in parents and not fields & parents)


def _industry_one(key: str, facts: CompanyFacts) -> CheckOutcome:
    label = INDUSTRIES[key].label
    hit = facts.industry_hits.get(key)
    if hit is not None:
        return CheckOutcome(
            Verdict.MET, hit.evidence, 0.9 if hit.strong else 0.7, f"{hit.evidence} indicates {label}", not hit.strong
        )
    opposite = _OPPOSITE_MODEL.get(key)
    buyers = market(facts) if opposite is not None else None
    if opposite is not None and buyers is not None and buyers[0] == _MARKET_MEETS[key]:
        # "developer tools for cloud teams", "an app that helps people sleep": who buys is the business model
        return CheckOutcome(Verdict.MET, buyers[1], 0.7, f"sold to {_BUYER_WORDS[buyers[0]]}: {buyers[1]}", True)
    if opposite is not None:
        other = facts.industry_hits.get(opposite[0])
        if other is not None and opposite[1].search(other.evidence):
            # an explicit label ("D2C") in a field, or said in so many words in the description
            confidence = 0.75 if other.strong else 0.6
            return CheckOutcome(
                Verdict.NOT_MET, other.evidence, confidence, f"{other.evidence}, not {label}", not other.strong
            )
        if buyers is not None and buyers[0] == _MARKET_EXCLUDES[key]:
            # "an app that helps people sleep", "meal kits for busy families": sold to people, not businesses
            reason = f"sold to {_BUYER_WORDS[buyers[0]]}: {buyers[1]}"
            return CheckOutcome(Verdict.NOT_MET, buyers[1], 0.6, reason, True)
    parents = _HIDING_PARENTS[key]
    if key in facts.aside_keys and key not in BUSINESS_MODELS:
        # "scheduling software for clinics": a company serving a sector may count as part of it
        return _unknown(f"the description names {label} only as its customers' industry")
    industry = facts.company.industry
    if _field_rules_out(key, facts):
        return CheckOutcome(Verdict.NOT_MET, f"industry: {industry}", 0.8, f"industry: {industry} is not {label}")
    # The company's own words name its category ("Acme is a cybersecurity company"): that answers it too,
    # when the category is a sector that cannot hide this one (an "AI company" may work in any sector),
    # and it narrows a broad field ("industry: Software", "we build payroll software").
    sectors = facts.described_keys - (BUSINESS_MODELS if key == "saas" else HORIZONTAL)
    if sectors and "*" not in parents and not sectors & parents:
        evidence = facts.described_evidence
        return CheckOutcome(Verdict.NOT_MET, evidence, 0.6, f"{evidence}: not {label}", True)
    if not industry:
        return _unknown(f"no industry data to tell whether it is {label}")
    return _unknown(f"industry: {industry} does not say whether it is {label}")


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
    claimed = facts.tech_in_description.get(name) if name is not None else None
    if not facts.company.technologies:
        # Only without a listed stack does the description speak: a claim, weaker than a field.
        if claimed is not None:
            return CheckOutcome(Verdict.MET, claimed, 0.6, f"description mentions {name}", True)
        return _unknown(f"no technology data to tell whether it uses {wanted}")
    # The stack is listed without it: the field decides. A rival in the same category makes it more telling.
    categories = TECH_BY_NAME[name].categories if name is not None else (category or "",)
    rival = any(c in facts.tech_categories for c in categories)
    reason = f"{facts.technologies_evidence} (no {wanted})"
    if claimed is not None:
        reason = f"the description claims {claimed!r}; {reason} decides"
    return CheckOutcome(Verdict.NOT_MET, facts.technologies_evidence, 0.8 if rival else 0.6, reason)


def _eval_tech(check: TechCheck, facts: CompanyFacts) -> CheckOutcome:
    outcomes = [_tech_one(n, None, facts) for n in check.technologies]
    outcomes += [_tech_one(None, c, facts) for c in check.categories]
    if check.match == "all":
        return _all(outcomes)
    result = _any(outcomes)
    if result.verdict is Verdict.NOT_MET:
        wanted = ", ".join([*check.technologies, *(TECH_CATEGORIES[c][0] for c in check.categories)])
        reason = f"{facts.technologies_evidence} (none of: {wanted})"
        claims = [o.reason.split(";", 1)[0] for o in outcomes if o.reason.startswith("the description claims")]
        return result._replace(reason=f"{claims[0]}; {reason} decides" if claims else reason)
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
        return attrgetter(f"company.{check.field}", f"stated_{check.field}")
    if isinstance(check, GeoCheck):
        return attrgetter("company.country", "company.region", "company.city")
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
        # Who buys answers a B2B or B2C criterion only when no label does
        buyers = [index for index, k in enumerate(keys) if k in _MARKET_MEETS and k in check.industries]
        wanted = len(check.industries)
        any_hit_meets = check.match == "any"

        def key(facts: CompanyFacts) -> Hashable:
            # A label that answers decides alone; the description's own words, the industries it names
            # as customers and who it says buys matter only for the rest. Leaving out what cannot matter
            # lets companies with equal labels share one outcome.
            hits = tuple(map(facts.industry_hits.get, keys))
            if all(hits) or (any_hit_meets and any(hits[:wanted])):
                return hits
            open_keys = [k for k, hit in zip(keys, hits, strict=True) if hit is None]
            aside = facts.aside_keys.intersection(open_keys)
            described = any(k not in aside and not _field_rules_out(k, facts) for k in open_keys)
            return (
                fields(facts),
                hits,
                aside,
                (facts.described_keys, facts.described_evidence) if described else None,
                market(facts) if any(hits[index] is None for index in buyers) else None,
            )

        return key
    if isinstance(check, NotCheck):
        return facts_key(check.check)
    parts = tuple(facts_key(c) for c in check.checks)
    return lambda facts: tuple(part(facts) for part in parts)
