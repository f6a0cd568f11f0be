"""Checked summaries: a model's one-sentence summary may not state what the company's data or verdicts deny.

A model can write "a German company with 120 employees" about a Spanish company with 260, or "meets
every requirement" when grounding demoted half its verdicts: the SDR reads the summary first, so it
must not be wrong. :func:`summary_contradictions` lists what a summary states against:

- the company's fields: country (names, native names and adjectives: "Spain", "España", "Spanish"),
  employee count and revenue (as numbers, with "about", "over", "under", "N+" and ranges honoured),
  founded year and industry (a sector neither the field nor anything it implies names);
- the verdicts: "meets every requirement" / "a strong fit" when a requirement is not met or unknown,
  "fails" / "disqualified" when no requirement failed, and evidence repeated from a verdict that
  grounding demoted because the company's data does not contain it.

Negations count ("not based in Germany" agrees with a Spanish company). A field the company does not
have is never contradicted. Pure functions: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from icp.checks import COUNTRIES, company_facts, country_code, implied_sectors, industry_sectors
from icp.domain import CompanyProfile, CriterionKind, CriterionResult, Verdict

# Adjectives of nationality the country table does not carry: "a German company".
_DEMONYMS: dict[str, str] = {
    "american": "US", "canadian": "CA", "mexican": "MX", "british": "GB", "english": "GB", "scottish": "GB",
    "welsh": "GB", "irish": "IE", "german": "DE", "austrian": "AT", "swiss": "CH", "french": "FR", "dutch": "NL",
    "belgian": "BE", "luxembourgish": "LU", "swedish": "SE", "norwegian": "NO", "danish": "DK", "finnish": "FI",
    "icelandic": "IS", "spanish": "ES", "portuguese": "PT", "italian": "IT", "greek": "GR", "polish": "PL",
    "czech": "CZ", "slovak": "SK", "hungarian": "HU", "romanian": "RO", "bulgarian": "BG", "croatian": "HR",
    "slovenian": "SI", "serbian": "RS", "ukrainian": "UA", "russian": "RU", "estonian": "EE", "latvian": "LV",
    "lithuanian": "LT", "turkish": "TR", "israeli": "IL", "emirati": "AE", "saudi": "SA", "egyptian": "EG",
    "nigerian": "NG", "kenyan": "KE", "south african": "ZA", "moroccan": "MA", "indian": "IN", "pakistani": "PK",
    "chinese": "CN", "japanese": "JP", "korean": "KR", "south korean": "KR", "taiwanese": "TW", "singaporean": "SG",
    "malaysian": "MY", "indonesian": "ID", "thai": "TH", "vietnamese": "VN", "filipino": "PH", "australian": "AU",
    "new zealand": "NZ", "kiwi": "NZ", "brazilian": "BR", "argentinian": "AR", "argentine": "AR", "chilean": "CL",
    "colombian": "CO", "peruvian": "PE", "uruguayan": "UY",
}  # fmt: skip


def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for country in COUNTRIES.values():
        for alias in (country.name, *country.aliases):
            key = alias.lower().strip()
            if len(key.strip(".")) >= 3 or key in ("uk", "us"):
                names[key] = country.code
    names.update(_DEMONYMS)
    return names


_PLACES = _country_names()
_PLACE = "|".join(re.escape(name) for name in sorted(_PLACES, key=len, reverse=True))
_DEMONYM = "|".join(re.escape(name) for name in sorted(_DEMONYMS, key=len, reverse=True))
_ORG = (
    r"(?:company|firm|business|startup|start-up|scale-?up|vendor|provider|supplier|manufacturer|maker|agency|"
    r"group|organi[sz]ation|retailer|bank|insurer|brand|player|enterprise|corporation|subsidiary|sme|smb)"
)
_LOCATED = (
    r"(?:based|headquartered|hq'?d|located|incorporated|registered|domiciled|seated|situated)\s+(?:out\s+of|in)|"
    r"(?:headquarters|hq|head\s+office|home\s+base)\s+(?:is\s+)?(?:in|:)|" + _ORG + r"\s+(?:from|in|out\s+of)"
)
_COUNTRY_CLAIMS = (
    # "headquartered in Germany", "based in Munich, Germany"
    re.compile(rf"\b(?:{_LOCATED})\s+(?:[\w.'-]+(?:\s+[\w.'-]+)?,\s*)?(?:the\s+)?(?P<place>{_PLACE})\b", re.IGNORECASE),
    re.compile(rf"\b(?P<place>{_PLACE})[- ](?:based|headquartered)\b", re.IGNORECASE),
    re.compile(rf"\b(?P<place>{_DEMONYM})\s+(?:[a-z0-9&/-]+\s+){{0,3}}?{_ORG}\b(?!s)", re.IGNORECASE),
)
# "sells to German companies", "for a French bank": about someone else.
_ABOUT_OTHERS = re.compile(
    r"\b(?:to|for|serving|serves|with|targets?|targeting|like|than|by|of|helps?|acquired\s+by)\s+(?:an?\s+|the\s+)?$",
    re.IGNORECASE,
)
_OTHERS_NUMBERS = re.compile(
    r"(?:\b(?:teams?|groups?|customers?|clients?|companies|businesses|organi[sz]ations|firms|enterprises|"
    r"accounts|smbs|smes)\s+(?:of|with|having)|\b(?:for|to|serving|serves|targets?|targeting|helps?)"
    r"(?:\s+[a-z-]+){0,2})\s*(?:(?:up\s+to|over|under|about)\s*)?$",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|non|outside(?:\s+of)?|rather\s+than|instead\s+of|excluding|except)\b|n't\b",
    re.IGNORECASE,
)

_AMOUNT = r"\d[\d,]*(?:\.\d+)?\s*(?:k|thousand|m|mm|million|b|bn|billion)?\b"
_HEDGE = r"about|around|roughly|approximately|approx\.?|nearly|almost|some|circa|ca\.|~|an estimated|estimated"
_LOWER = r"over|more\s+than|above|at\s+least|upwards\s+of|in\s+excess\s+of|>|>="
_UPPER = r"under|fewer\s+than|less\s+than|below|up\s+to|at\s+most|<|<="
_QUAL = rf"(?P<qual>{_HEDGE}|{_LOWER}|{_UPPER})?\s*"
_PEOPLE = (
    r"(?:full[- ]time\s+)?(?:employees|staff(?:\s+members)?|people|workers|team\s+members|personnel|ftes?|headcount)"
)
_EMPLOYEE_CLAIMS = (
    re.compile(
        rf"{_QUAL}(?P<n>{_AMOUNT})(?P<plus>\+)?(?:\s*(?:-|–|to)\s*(?P<n2>{_AMOUNT}))?\s+{_PEOPLE}\b", re.IGNORECASE
    ),
    re.compile(
        rf"\b(?:headcount|workforce|team|staff)\s+(?:of|is|at|:)\s+{_QUAL}(?P<n>{_AMOUNT})(?P<plus>\+)?", re.IGNORECASE
    ),
    re.compile(rf"\bemploys\s+{_QUAL}(?P<n>{_AMOUNT})(?P<plus>\+)?", re.IGNORECASE),
    re.compile(rf"{_QUAL}(?P<n>{_AMOUNT})[- ](?:person|employee|people|strong)\b", re.IGNORECASE),
)
_MONEY = rf"\$\s*(?P<n>{_AMOUNT})|(?P<n_usd>{_AMOUNT})\s*(?:usd|us\$|dollars)\b"
_REVENUE = r"(?:annual\s+|yearly\s+|recurring\s+)?(?:revenue|arr|sales|turnover)"
_REVENUE_CLAIMS = (
    re.compile(rf"{_QUAL}(?:{_MONEY})(?P<plus>\+)?\s+(?:in\s+|of\s+)?{_REVENUE}\b", re.IGNORECASE),
    re.compile(rf"\b{_REVENUE}\s+(?:of|is|at|:|around|about|near)?\s*{_QUAL}(?:{_MONEY})(?P<plus>\+)?", re.IGNORECASE),
)
_YEAR = r"(?P<year>1[6-9]\d\d|2[01]\d\d)"
_FOUNDED_CLAIMS = (
    re.compile(
        rf"\b(?:founded|established|started|launched|incorporated|created)\s+(?:back\s+)?(?:in\s+)?{_YEAR}\b",
        re.IGNORECASE,
    ),  # fmt: skip
    re.compile(rf"\b(?:since|in\s+business\s+since|operating\s+since)\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_YEAR}[- ](?:founded|established)\b", re.IGNORECASE),
)
_INDUSTRY_CLAIMS = re.compile(
    rf"\b(?:is|as|an?|the|this|that)\s+(?P<phrase>(?:[a-z0-9&/-]+\s+){{1,4}}?){_ORG}\b(?!s)", re.IGNORECASE
)
_POSITIVE_FIT = re.compile(
    r"\b(?:(?:meets|satisfies|fulfil+s|matches|passes|ticks|checks)\s+(?:all|every|each)\b(?:\s+\S+){0,3}?\s+"
    r"(?:requirements?|criteria|criterion|boxes)|(?:strong|great|perfect|excellent|ideal|clear|full|good|solid)\s+"
    r"fit|fully\s+qualifie[sd]|qualifies)\b",
    re.IGNORECASE,
)
_NEGATIVE_FIT = re.compile(
    r"\b(?:fails?|failing|disqualified|disqualifies|(?:poor|bad|weak)\s+fit|not\s+a\s+fit|"
    r"(?:does\s+not|doesn't|did\s+not|cannot|can't)\s+(?:meet|satisfy|qualify|fit)|rules?\s+(?:it\s+)?out)\b",
    re.IGNORECASE,
)
_NICE_TO_HAVE = re.compile(r"\bN\d+\b|nice[- ]to[- ]have|bonus|optional", re.IGNORECASE)
_QUOTED = re.compile(r"'([^']{4,})'|\"([^\"]{4,})\"")
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}
_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([a-z]+)?", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class _Claim:
    qualifier: str
    low: float
    high: float | None
    plus: bool
    negated: bool
    text: str


def _amount(text: str) -> float | None:
    match = _NUMBER.match(text.strip())
    if not match:
        return None
    try:
        value = float(match.group(1).replace(",", ""))
    except ValueError:
        return None
    unit = (match.group(2) or "").lower()
    return value * _MULTIPLIERS.get(unit, 1.0)


def _negated(text: str, start: int) -> bool:
    """A negation in the words just before ``start``, within the same clause."""
    before = re.split(r"[.;:!?]|,\s*(?:but|while|whereas)\b", text[:start])[-1]
    return bool(_NEGATION.search(" ".join(before.split()[-4:])))


def _kind(qualifier: str) -> str:
    q = " ".join(qualifier.lower().split())
    if not q:
        return ""
    if re.fullmatch(_LOWER, q):
        return "lower"
    if re.fullmatch(_UPPER, q):
        return "upper"
    return "hedge"


def _claims(patterns: Iterable[re.Pattern[str]], text: str) -> list[_Claim]:
    claims: list[_Claim] = []
    seen: set[tuple[int, int]] = set()
    for pattern in patterns:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            raw = groups.get("n") or groups.get("n_usd")
            low = _amount(raw) if raw else None
            if low is None or any(s <= m.start() < e for s, e in seen):
                continue
            if _OTHERS_NUMBERS.search(text[max(0, m.start() - 40) : m.start()]):
                continue  # "teams of 5 people", "for companies with 500 employees": someone else's numbers
            seen.add((m.start(), m.end()))
            high = _amount(groups["n2"]) if groups.get("n2") else None
            claims.append(
                _Claim(
                    qualifier=_kind(groups.get("qual") or ""),
                    low=low,
                    high=high,
                    plus=bool(groups.get("plus")),
                    negated=_negated(text, m.start()),
                    text=" ".join(m.group().split()),
                )
            )
    return claims


def _holds(claim: _Claim, actual: float, tolerance: float) -> bool:
    """Whether the company's value agrees with what the claim says about it."""
    slack = max(0.5, actual * tolerance)
    if claim.high is not None:
        agrees = claim.low - slack <= actual <= claim.high + slack
    elif claim.plus or claim.qualifier == "lower":
        agrees = actual >= claim.low - slack
    elif claim.qualifier == "upper":
        agrees = actual <= claim.low + slack
    else:
        wide = tolerance * 3 if claim.qualifier == "hedge" else tolerance
        agrees = abs(actual - claim.low) <= max(0.5, actual * wide, claim.low * wide)
    return agrees != claim.negated


def _number_text(value: float) -> str:
    return f"{value:,.0f}"


def _country_problems(summary: str, company: CompanyProfile) -> list[str]:
    actual = country_code(company.country)
    if actual is None:
        return []
    problems: list[str] = []
    for pattern in _COUNTRY_CLAIMS:
        for m in pattern.finditer(summary):
            if _ABOUT_OTHERS.search(summary[max(0, m.start() - 30) : m.start()]):
                continue
            claimed = _PLACES[m.group("place").lower()]
            negated = _negated(summary, m.start())
            if (claimed == actual) == negated:
                said = " ".join(m.group().split())
                problems.append(f"it says {'not ' if negated else ''}{said!r}, but the company's country is "
                                f"{company.country}")  # fmt: skip
    return problems


def _field_problems(summary: str, company: CompanyProfile) -> list[str]:
    problems: list[str] = []
    checks: tuple[tuple[str, float | None, tuple[re.Pattern[str], ...], float], ...] = (
        ("employees", company.employees, _EMPLOYEE_CLAIMS, 0.05),
        ("revenue", company.revenue, _REVENUE_CLAIMS, 0.1),
    )
    for field, value, patterns, tolerance in checks:
        if value is None:
            continue
        for claim in _claims(patterns, summary):
            if not _holds(claim, float(value), tolerance):
                shown = _number_text(float(value))
                problems.append(f"it says {claim.text!r}, but the company data says {field}: {shown}")
    if company.founded_year is not None:
        for pattern in _FOUNDED_CLAIMS:
            for m in pattern.finditer(summary):
                if (int(m.group("year")) == company.founded_year) == _negated(summary, m.start()):
                    problems.append(
                        f"it says {' '.join(m.group().split())!r}, but the company data says founded_year: "
                        f"{company.founded_year}"
                    )
    return problems


def _industry_problems(summary: str, company: CompanyProfile) -> list[str]:
    if not company.industry:
        return []
    facts = company_facts(company)
    fields = facts.industry_field_keys
    if not fields:
        return []  # an industry the vocabulary does not know cannot be contradicted
    supported = implied_sectors(fields) | set(facts.industry_hits) | facts.described_keys
    problems: list[str] = []
    for m in _INDUSTRY_CLAIMS.finditer(summary):
        named, implied = industry_sectors(m.group("phrase"))
        if not named or _ABOUT_OTHERS.search(summary[max(0, m.start() - 30) : m.start() + 1]):
            continue
        if _negated(summary, m.start()):
            continue
        # A sector the company is in, a broader one, or a narrower one its field implies all agree.
        if not implied & (supported | fields) and not named & supported:
            said = " ".join(m.group().split())
            problems.append(f"it says {said!r}, but the company data says industry: {company.industry}")
    return problems


def _normalise(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def _verdict_problems(summary: str, results: Sequence[CriterionResult]) -> list[str]:
    requirements = [r for r in results if r.kind is CriterionKind.REQUIREMENT]
    failed = [r.id for r in requirements if r.verdict is Verdict.NOT_MET]
    open_ = [r.id for r in requirements if r.verdict is Verdict.UNKNOWN]
    problems: list[str] = []
    positive = negative = not_all = None
    for m in _POSITIVE_FIT.finditer(summary):
        said = " ".join(m.group().split())
        if _negated(summary, m.start()):
            not_all = not_all or said  # "not a strong fit": some requirement is not met or not known
        else:
            positive = positive or said
    for m in _NEGATIVE_FIT.finditer(summary):
        if _NICE_TO_HAVE.search(summary[m.end() : m.end() + 60].split(";")[0]):
            continue  # "fails N2", "misses a nice-to-have": not about qualifying
        if not _negated(summary, m.start()):
            negative = negative or " ".join(m.group().split())
    if positive and requirements and (failed or open_):
        why = f"{', '.join(failed)} not met" if failed else f"{', '.join(open_)} unknown"
        problems.append(f"it says {positive!r}, but the verdicts have {why}")
    if negative and requirements and not failed:
        problems.append(f"it says {negative!r}, but no requirement is not met")
    if not_all and requirements and not failed and not open_:
        problems.append(f"it says not {not_all!r}, but every requirement is met")
    said = _normalise(summary)
    for r in results:
        if not r.note.startswith("demoted from"):
            continue
        for quoted in _QUOTED.findall(r.note):
            piece = _normalise(quoted[0] or quoted[1])
            if len(piece) >= 4 and f" {piece} " in f" {said} ":
                problems.append(f"it repeats {piece!r}, the evidence of {r.id} that the company data does not contain")
    return problems


def summary_contradictions(
    summary: str, company: CompanyProfile, results: Sequence[CriterionResult]
) -> tuple[str, ...]:
    """What ``summary`` states against the company's fields or the (grounded) verdicts; empty when nothing.

    Each entry reads as a reason: ``it says 'a German company', but the company's country is ES``.
    """
    if not summary.strip():
        return ()
    problems = [
        *_country_problems(summary, company),
        *_field_problems(summary, company),
        *_industry_problems(summary, company),
        *_verdict_problems(summary, results),
    ]
    return tuple(dict.fromkeys(problems))


__all__ = ["summary_contradictions"]
