"""Company facts: a company's fields normalised once (country code, industries, tools, stage) for every check."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from icp.checks._context import DescriptionContext, read_context
from icp.checks._stated import Stated, stated_figure
from icp.checks._text import WordScanner, _grouped_alternation, _word
from icp.checks._vocabulary import (
    _SUBDIVISION_ALIASES,
    _TECH,
    BUSINESS_BUYERS,
    CITIES,
    CONSUMER_BUYERS,
    COUNTRIES,
    INDUSTRIES,
    NON_INDUSTRY_PHRASES,
    SUBDIVISIONS,
    TECH_BY_NAME,
    TECHNOLOGIES,
)
from icp.domain import CompanyProfile
from icp.memo import IdentityMemo
from icp.screening import screen_company

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
    "payments": ("fintech",),
    "banking": ("financial_services",),
    "lending": ("financial_services",),
    "care_providers": ("healthcare",),
    "payroll": ("hrtech",),
    "recruiting": ("hrtech",),
    "restaurants": ("travel", "food"),
    "hotels": ("travel",),
    "solar": ("cleantech", "energy"),
    "semiconductors": ("hardware",),
    "robotics": ("hardware",),
    "defense": ("aerospace",),
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
_INDUSTRY_EVIDENCE_ANY = WordScanner(
    _word(_grouped_alternation([*(ind.evidence for ind in INDUSTRIES.values()), NON_INDUSTRY_PHRASES]))
)
# Business models are not industries: "B2B" or "SaaS" in an industry field says nothing about the sector.
BUSINESS_MODELS = frozenset({"b2b", "b2c", "saas", "marketplace"})
# Categories that say nothing about the sector a company works in ("an AI company", "a software firm").
HORIZONTAL = frozenset({*BUSINESS_MODELS, *_TECH, "ai", "data", "hardware", "consulting"})
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


@lru_cache(maxsize=8192)
def _keys_for_phrase(phrase: str) -> tuple[str, ...]:
    return tuple(sorted(_implied(_named_keys(phrase))))


@lru_cache(maxsize=8192)
def _named_keys(phrase: str) -> frozenset[str]:
    return frozenset(k for k, rx in _INDUSTRY_EVIDENCE.items() if rx.fullmatch(phrase))


def _implied(named: frozenset[str]) -> set[str]:
    keys = set(named)
    frontier = list(keys)
    while frontier:
        for parent in _IMPLIES.get(frontier.pop(), ()):
            if parent not in keys:
                keys.add(parent)
                frontier.append(parent)
    return keys


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
def _industries_in(value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Industry keys a field value names, and those of them that are sectors rather than business models.

    Values repeat across companies ("Software", "b2b"), hence the cache.
    """
    keys: list[str] = []
    sectors: list[str] = []
    for m in _INDUSTRY_EVIDENCE_ANY.finditer(value):
        phrase = m.group().lower()
        implied = _keys_for_phrase(phrase)
        keys.extend(implied)
        if not _named_keys(phrase) & BUSINESS_MODELS:
            sectors.extend(implied)
    return tuple(dict.fromkeys(keys)), tuple(dict.fromkeys(sectors))


def industry_sectors(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The sectors ``text`` names (business models left out), and those plus every broader sector they imply.

    "a fintech company" names ``fintech`` and implies ``financial_services`` and ``technology``.
    """
    named: set[str] = set()
    for m in _INDUSTRY_EVIDENCE_ANY.finditer(text):
        keys = _named_keys(m.group().lower())
        if not keys & BUSINESS_MODELS:
            named.update(keys)
    return frozenset(named), frozenset(_implied(frozenset(named)))


def implied_sectors(keys: frozenset[str]) -> frozenset[str]:
    """``keys`` with every broader sector they imply (a biotech is a healthcare company)."""
    return frozenset(_implied(keys))


_CUSTOMERS = frozenset({"audience", "customers"})


class _Industries(NamedTuple):
    hits: dict[str, _Hit]
    field_keys: frozenset[str]  # sectors the industry field and tags name (business models left out)
    described_keys: frozenset[str]  # sectors the description says the company is in ("X is a ... company")
    described_evidence: str  # the words that say it
    aside_keys: frozenset[str]  # named only about customers, founders, partners or effects


def _industry_hits(company: CompanyProfile, description_lower: str, context: DescriptionContext) -> _Industries:
    hits: dict[str, _Hit] = {}
    field_keys: set[str] = set()
    sources: list[tuple[str, str, bool]] = []
    if company.industry:
        sources.append((company.industry, f"industry: {company.industry}", True))
    sources.extend((tag, f"tags: {tag}", True) for tag in company.tags)
    for value, evidence, strong in sources:
        keys, sectors = _industries_in(value)
        field_keys.update(sectors)
        for key in keys:
            hits.setdefault(key, _Hit(evidence, strong))
    described: set[str] = set()
    described_evidence = ""
    aside: set[str] = set()
    if company.description:
        text = company.description
        for m in _INDUSTRY_EVIDENCE_ANY.finditer(text, description_lower):
            keys = _keys_for_phrase(m.group().lower())
            kind = context.kind_at(m.start())
            if kind == "own":
                described.update(keys)
                described_evidence = described_evidence or _phrase(text, m.start(), context.clause_end(m.start()))
            elif kind in _CUSTOMERS:
                aside.update(keys)  # "software for hospitals": the customers' industry; it may be its own
                continue
            elif kind != "neutral":
                continue  # founders, partners, effects, someone else's things: nothing about the company
            for key in keys:
                if key not in hits:
                    hits[key] = _Hit(quote(text, m.start(), m.end()), False)
    return _Industries(
        hits, frozenset(field_keys), frozenset(described), described_evidence, frozenset(aside - hits.keys())
    )


_BUYER_LIST_GAP = re.compile(r"\s*(?:,|,? and|,? or|&|/)?\s*(?:[a-z-]+\s+)?")
_BUYERS = re.compile(_word(f"(?P<business>{BUSINESS_BUYERS})|(?P<consumer>{CONSUMER_BUYERS})"))
# Products only people buy for themselves, wherever the description names them.
_CONSUMER_PRODUCTS = WordScanner(
    _word(
        r"(?:mobile |dating |fitness |meditation |language[- ]learning |budgeting |personal finance )?app "
        r"(?:that|which) (?:helps|lets) (?:people|you|users)|consumer (?:apps?|brands?|products?|electronics brand)|"
        r"subscription box(?:es)?|meal kits?|mobile games?|for (?:your|the whole) (?:family|home)|"
        r"(?:sold|available) (?:in|at) (?:stores|supermarkets|retailers)"
    )
)


_CONSUMER_PRODUCT_WORD = re.compile(r"app |consumer|box|meal kit|game|for your|for the whole|sold|availab")


def market(facts: CompanyFacts) -> tuple[str, str] | None:
    """``("business" | "consumer", quote)`` when the description plainly says who buys; None when unclear or both.

    Read on first use (only B2B and B2C criteria ask) and kept with the facts.
    """
    found = facts.memo.get("market", _UNREAD)
    if found is _UNREAD:
        text = facts.company.description
        found = facts.memo["market"] = (
            _read_market(text, text.lower(), facts.context) if text and facts.context is not None else None
        )
    return found  # type: ignore[return-value]


_UNREAD = object()


def _phrase(text: str, start: int, end: int, width: int = 90) -> str:
    """The words from ``start`` to ``end`` (at most ``width`` characters, cut at a word): short evidence.

    "payments infrastructure for banks", "for mid-market teams": the words that say it, without the
    company's name, so companies saying the same thing share one outcome.
    """
    if end - start > width:
        end = start + width
        while end > start and text[end - 1].isalnum():
            end -= 1
    return text[start:end].strip(" ,;:.")


def _word_before(lower: str, start: int) -> int:
    """The start of the word before ``start`` ("for" before "mid-market teams")."""
    index = lower.rfind(" ", 0, max(0, start - 1))
    return index + 1


def _read_market(text: str, lower: str, context: DescriptionContext) -> tuple[str, str] | None:
    found: dict[str, str] = {}
    for start, end in context.stretches("audience"):
        previous = -1
        for m in _BUYERS.finditer(lower, start, end):
            if previous >= 0 and not _BUYER_LIST_GAP.fullmatch(lower, previous, m.start()):
                break  # "helps brands win back shoppers": the shoppers are the brands' customers
            found.setdefault(m.lastgroup or "", _phrase(text, _word_before(lower, start), end))
            previous = m.end()
    for start, end in context.stretches("customers"):
        # "customers across consumer goods and retail", "clients in banking": customers named by their
        # industry are businesses
        buyer = _BUYERS.search(lower, start, end)
        if buyer is not None:
            found.setdefault(buyer.lastgroup or "", _phrase(text, _word_before(lower, start), end))
        elif _INDUSTRY_EVIDENCE_ANY.search(text[start:end], lower[start:end]) is not None:
            found.setdefault("business", _phrase(text, _word_before(lower, start), end))
    for m in _CONSUMER_PRODUCTS.finditer(text, lower) if _CONSUMER_PRODUCT_WORD.search(lower) else ():
        if not context.is_aside(m.start()) or m.group().startswith("for "):
            found.setdefault("consumer", quote(text, m.start(), m.end()))
    if len(found) != 1:
        return None
    ((who, evidence),) = found.items()
    return who, evidence


_TECH_ANY_RE = WordScanner(_word(_grouped_alternation([t.aliases for t in TECHNOLOGIES])))
_TECH_DESCRIPTION_RE = WordScanner(_word(_grouped_alternation([t.aliases for t in TECHNOLOGIES if not t.exact_case])))
_TECH_ALIAS_RES = [(t, re.compile(_word(t.aliases), re.I)) for t in TECHNOLOGIES]


@lru_cache(maxsize=4096)
def _techs_for_phrase(phrase: str) -> tuple[str, ...]:
    return tuple(t.name for t, rx in _TECH_ALIAS_RES if rx.fullmatch(phrase))


# A tool named as a rival or an integration is not the company's own stack: "the friendly alternative
# to Salesforce", "migrate away from Salesforce", "a Zendesk competitor", "integrates with HubSpot".
_NOT_OWN_TOOL_BEFORE = re.compile(
    # cues that may stand a few words (a list of tools) before the name
    r"(?:(?:alternatives? (?:to|for)|migrat\w* (?:away )?(?:from|off)|switch\w* (?:away )?from|"
    r"mov\w* (?:away )?(?:from|off)|instead of|compared (?:to|with)|away from|integrat\w* (?:with|into)|"
    r"integrations? (?:with|for)|connects? (?:to|with)|plugs? into|works with|syncs? with|built for|"
    r"add-?ons? for|apps? for|sells? (?:to|into))\s+(?:[\w.&'-]+,?\s+){0,3}"
    # cues right before it ("replaced spreadsheets with Salesforce" adopts Salesforce)
    r"|(?:replac\w*(?: for)?|compet\w*(?: with| against)?|rivals?|vs\.?|versus|unlike|"
    r"leav\w*|left|dropp\w*|ditch\w*)\s+"
    r"(?:(?:[\w.&'-]+,\s+)*[\w.&'-]+,?\s+(?:and|or|&)\s+|[\w.&'-]+\s+)?)$"
)
# Every cue above contains one of these: one cheap search spares the full pattern for most mentions.
_NOT_OWN_TOOL_CUE = re.compile(
    r"alternative|migrat|switch|mov|replac|instead|compet|rival|vs|versus|compared|unlike|away|lea?v|left|"
    r"dropp|ditch|integrat|connect|plug|works|sync|built|add|app|sell"
)
# ... or as a market: "Salesforce admins", "Shopify merchants", "a Zendesk alternative".
_NOT_OWN_TOOL_AFTER = re.compile(
    r"[\s-]*(?:alternatives?|competitors?|killers?|rivals?|replacements?|integrations?|admins?|administrators?|"
    r"users|customers|partners|developers|consultants|ecosystem|merchants|sellers|app ?store|app ?exchange)\b"
)


def _not_its_own_tool(lower: str, start: int, end: int) -> bool:
    """Whether the tool named at ``[start, end)`` of a description is a rival or a partner, not its own."""
    sentence_start = max(lower.rfind(". ", 0, start), lower.rfind("; ", 0, start), lower.rfind("\n", 0, start)) + 1
    before = lower[max(sentence_start, start - 80) : start]
    if _NOT_OWN_TOOL_CUE.search(before) and _NOT_OWN_TOOL_BEFORE.search(before):
        return True
    return _NOT_OWN_TOOL_AFTER.match(lower, end) is not None


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
    """Sectors the industry field and tags name, and what they imply; business models left out."""
    described_keys: frozenset[str]
    """Sectors the description says the company is in, in its own words ("Acme is a cybersecurity company")."""
    described_evidence: str
    """The quote that names them."""
    aside_keys: frozenset[str]
    """Industries the description names only about others (customers, founders, partners, effects)."""
    tech_names: dict[str, str]
    tech_categories: dict[str, str]
    tech_in_description: dict[str, str]
    technologies_evidence: str
    stage: str | None
    stated_employees: Stated | None
    """Headcount the description states, read only when the employees field is empty."""
    stated_revenue: Stated | None
    """Revenue the description states, read only when the revenue field is empty."""
    context: DescriptionContext | None = field(default=None, compare=False, hash=False)
    """Who each stretch of the description speaks of (the company, its customers, founders, partners)."""
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
    company = screen_company(company).profile  # sentences addressed to the grader are not facts
    country = country_code(company.country)
    subdivision = subdivision_code(company.region, country)
    country_evidence = f"country: {company.country}" if company.country else ""
    region_evidence = f"region: {company.region}" if company.region else ""
    if country is None and subdivision is not None and company.region and len(company.region.strip()) > 2:
        country = subdivision.split("-")[0]
        country_evidence = region_evidence
    city = CITIES.get(company.city.strip().lower()) if company.city else None
    if city is not None and country in (None, city[0]):
        # A known city fills in what the country and region fields leave out ("city: Munich" -> Germany).
        if country is None:
            country, country_evidence = city[0], f"city: {company.city}"
        if subdivision is None and city[1]:
            subdivision, region_evidence = city[1], f"city: {company.city}"
    description_lower = company.description.lower() if company.description else ""
    context = read_context(description_lower, company.name)
    industries = _industry_hits(company, description_lower, context)
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
            if _not_its_own_tool(description_lower, m.start(), m.end()):
                continue
            for name in _techs_for_phrase(m.group()):
                tech_in_description.setdefault(name, quote(company.description, m.start(), m.end()))
    return CompanyFacts(
        company=company,
        country=country,
        country_evidence=country_evidence,
        subdivision=subdivision,
        region_evidence=region_evidence,
        industry_hits=industries.hits,
        industry_field_keys=industries.field_keys,
        described_keys=industries.described_keys,
        described_evidence=industries.described_evidence,
        aside_keys=industries.aside_keys,
        context=context,
        tech_names=tech_names,
        tech_categories=tech_categories,
        tech_in_description=tech_in_description,
        technologies_evidence="technologies: " + ", ".join(company.technologies) if company.technologies else "",
        stage=funding_stage_code(company.funding_stage),
        stated_employees=(
            stated_figure("employees", company.description, quote, description_lower)
            if company.employees is None and company.description
            else None
        ),
        stated_revenue=(
            stated_figure("revenue", company.description, quote, description_lower)
            if company.revenue is None and company.description
            else None
        ),
    )


company_facts: IdentityMemo[CompanyProfile, CompanyFacts] = IdentityMemo(_normalise, limit=256)
"""``company_facts(company)``: the company normalised once, however many segments grade it.

Memoised per company object: a cycle grades one company against every segment before the next.
"""
