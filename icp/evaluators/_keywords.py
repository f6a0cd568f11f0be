"""Keyword matching for criteria without structure: named go-to-market concepts and content words.

A keyword hit is reported as ``met``, so matching is strict: a named concept, or every content word of
the criterion in one field value or one sentence, said of the company itself. Words the description says
of others count for nothing ("founded by engineering graduates" does not sell to engineers); a criterion
about the company's buyers ("sells to engineering teams") must find its buyers where the description
names the company's customers.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from icp.checks import (
    AUDIENCE_CRITERION,
    CompanyFacts,
    WordScanner,
    company_facts,
    compile_words,
    masked,
    quote,
    word_scanner,
)
from icp.domain import CompanyProfile

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
    customers = _customer_stems(text)
    for unit in hay.units:
        if unit.evidence is not None:
            if not customers and stems <= _stems(unit.text):  # a field names what the company is, not its buyers
                return unit.evidence
        elif stems <= _stems(unit.text):
            return _stated_sentence(facts, unit.text, stems, customers)
    return None


def _stated_sentence(facts: CompanyFacts, text: str, stems: frozenset[str], customers: frozenset[str]) -> str | None:
    """The sentence that says the criterion's words of the company itself (and of its customers, if it names them).

    Words said of others count for nothing: "founded by engineering graduates" does not sell to engineers,
    "customers across consumer goods" is not a consumer company.
    """
    own = _description_view(facts, "company")
    audience = _description_view(facts, "audience") if customers else ""
    for m in _SENTENCE_RE.finditer(text):
        start, end = m.span()
        if (stems - customers) <= _stems(own[start:end]) and (
            not customers or customers <= _stems(audience[start:end])
        ):
            sentence = text[start:end].strip()
            if sentence:
                return sentence
    return None


def _description_view(facts: CompanyFacts, keep: str) -> str:
    key = "description:" + keep
    view = facts.memo.get(key)
    if view is None:
        text = facts.company.description or ""
        view = facts.memo[key] = masked(text, facts.context, keep) if facts.context is not None else text
    return view  # type: ignore[return-value]


@lru_cache(maxsize=4096)
def _customer_stems(text: str) -> frozenset[str]:
    """The stems a criterion says of the company's customers ("sells to engineering teams" -> engineering)."""
    cue = AUDIENCE_CRITERION.search(text.lower())
    if cue is None:
        return frozenset()
    return criterion_keywords(text.lower()[cue.end() :])[1] & criterion_keywords(text)[1]
