"""Parsing one criterion's words into a check: ranges, places, industries, tools, funding, founding year, negation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, NamedTuple

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
    RangeField,
    TechCheck,
)
from icp.checks._scan import WordScanner
from icp.checks._vocabulary import (
    _CODE_BLOCKLIST,
    _CODE_BLOCKLIST_IN_CAPS,
    _REGION_ALIASES,
    _SHOUTED_WORD,
    _SUBDIVISION_ALIASES,
    _VC_STAGES,
    COUNTRIES,
    FUNDING_LADDER,
    FUNDING_STAGES,
    INDUSTRIES,
    REFERENCE_YEAR,
    REGIONS,
    SUBDIVISIONS,
    TECH_BY_NAME,
    TECH_CATEGORIES,
    TECHNOLOGIES,
    US_STATES,
)

# Parsing
# ---------------------------------------------------------------------------------------------

_TRANSLATE = str.maketrans(
    {"–": "-", "—": "-", "−": "-", "‐": "-", "‑": "-", "\u00a0": " ", "’": "'", "“": '"', "”": '"'}
)
_PRE_SUBSTITUTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"≥"), ">="),
    (re.compile(r"≤"), "<="),
    (re.compile(r"\b(?:no|not) (?:more|greater|bigger|larger) than\b|\bnot exceeding\b|\bnot over\b", re.I), "at most"),
    (re.compile(r"\b(?:no|not) (?:less|fewer|smaller) than\b|\bnot under\b", re.I), "at least"),
    (re.compile(r"\b(?:and|&)\s*/\s*or\b", re.I), "or"),
)


@dataclass
class _Atom:
    start: int
    end: int
    family: str
    payload: Any  # per family: range tuple, _Place, industry keys, (kind, name), stages, years
    negated: bool = False


class _Text:
    """The criterion in three aligned forms: as written (for upper-case codes), lower-case, and masked.

    Each family consumes its spans so that "2010-2020" after "founded" is not also read as a
    headcount, and "PE-backed" is not read as Peru.
    """

    def __init__(self, text: str) -> None:
        norm = text.translate(_TRANSLATE)
        for pattern, replacement in _PRE_SUBSTITUTIONS:
            norm = pattern.sub(replacement, norm)
        self.norm = norm
        self.low = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in norm)
        self._mask = bytearray(len(norm))

    def consume(self, start: int, end: int) -> None:
        for i in range(start, end):
            self._mask[i] = 1

    def free(self, start: int, end: int) -> bool:
        return not any(self._mask[start:end])

    def masked(self, *, lower: bool = True) -> str:
        source = self.low if lower else self.norm
        return "".join(" " if self._mask[i] else ch for i, ch in enumerate(source))


def _split_alternatives(pattern: str) -> list[str]:
    """Top-level ``|`` alternatives of a regex (ignoring those inside groups and character classes)."""
    parts, depth, in_class, current = [], 0, False, []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            current.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _grouped_alternation(patterns: list[str]) -> str:
    """One alternation grouped by literal first character, longest alternatives first.

    Python's regex engine tries alternatives one by one at every position; grouping them behind their
    first letter lets it skip all but one group, which makes the once-per-company scan of a
    description several times faster.
    """
    by_first: dict[str, list[str]] = {}
    other: list[str] = []
    for alternative in dict.fromkeys(a for p in patterns for a in _split_alternatives(p)):
        first = alternative[:1].lower()
        if first.isalnum() and alternative[1:2] not in ("?", "*", "{"):
            by_first.setdefault(first, []).append(alternative[1:])
        else:
            other.append(alternative)
    groups = [
        f"{re.escape(first)}(?:{'|'.join(sorted(rests, key=len, reverse=True))})"
        for first, rests in sorted(by_first.items())
    ]
    return "|".join([*groups, *other])


def compile_words(*patterns: str, plural: bool = False) -> re.Pattern[str]:
    """Case-insensitive whole-word alternation of ``patterns``, grouped by first letter for speed.

    Used for every scan of company text, which runs once per company per criterion family.
    """
    return re.compile(_words_pattern(patterns, plural), re.I)


def word_scanner(*patterns: str, plural: bool = False) -> WordScanner:
    """:func:`compile_words` for scanning company text: the same matches, faster on ASCII text."""
    return WordScanner(_words_pattern(patterns, plural))


def _words_pattern(patterns: tuple[str, ...], plural: bool) -> str:
    body = _grouped_alternation(list(patterns))
    return _word(f"(?:{body})s?" if plural else body)


def _word(pattern: str) -> str:
    """Wrap alternatives in word boundaries that tolerate dots and ampersands inside ("u.s.", "uk&i")."""
    return rf"(?<![\w&])(?:{pattern})(?![\w&])"


# --- founded year -------------------------------------------------------------------------------

_YEAR = r"(?:1[6-9]\d\d|2[01]\d\d)"
_FOUNDED_RE = re.compile(
    r"\b(?:founded|established|est\.?|started|incorporated|launched|created|in business since|operating since)\s+"
    r"(?:in\s+)?(?P<op>in or after|in or before|after|since|post-?|later than|from|before|prior to|pre-?|"
    r"earlier than|until|between|no earlier than|no later than)?\s*(?:the\s+)?(?:year\s+)?"
    rf"(?P<y1>{_YEAR})(?P<decade>s)?(?:\s*(?:-|to|and|through|until)\s*(?P<y2>{_YEAR}))?"
    r"(?P<post>\s*(?:or|and) (?:later|after|since|newer|earlier|before|older)\b(?!\s*(?:the\s+)?\d))?"
)
_FOUNDED_MORE = re.compile(
    rf"\s*,?\s*(?:and|but)\s+(?P<op>before|prior to|until|no later than|after|since|no earlier than)\s+(?P<y>{_YEAR})"
)
_FOUNDED_RECENT_RE = re.compile(
    r"\b(?:founded|established|started|launched)\s+(?:in\s+|within\s+)?(?:the\s+)?(?:last|past)\s+(?P<n>\d{1,3})\s+years?"
)
_AGE_QUALIFIER = r"\s+(?:old|in business|of operations?|in operation|of history|of age)"
_AGE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\b(?P<op>at least|min(?:imum)?(?: of)?)\s+(?P<n>\d{{1,3}})\+?\s*years?{_AGE_QUALIFIER}"), "min"),
    (re.compile(rf"\b(?P<op>over|more than)\s+(?P<n>\d{{1,3}})\+?\s*years?{_AGE_QUALIFIER}"), "min_excl"),
    (re.compile(rf"\b(?P<n>\d{{1,3}})\s*\+\s*years?{_AGE_QUALIFIER}"), "min"),
    (re.compile(r"\b(?P<n>\d{1,3})\s+years?(?:\s+old)?\s+or\s+(?:older|more)\b"), "min"),
    (re.compile(r"\bolder than\s+(?P<n>\d{1,3})\s+years?\b"), "min_excl"),
    (re.compile(r"\bin business (?:for\s+)?(?:at least\s+|over\s+|more than\s+)?(?P<n>\d{1,3})\+?\s+years?\b"), "min"),
    (re.compile(rf"\b(?:less than|under|younger than)\s+(?P<n>\d{{1,3}})\s+years?(?:{_AGE_QUALIFIER})?"), "max_excl"),
    (re.compile(rf"\b(?:at most|up to|no older than)\s+(?P<n>\d{{1,3}})\s+years?(?:{_AGE_QUALIFIER})?"), "max"),
    (re.compile(r"\b(?P<n>\d{1,3})\s+years?\s+old\s+or\s+(?:younger|less)\b"), "max"),
    (re.compile(r"\bfounded\s+(?:at least\s+|over\s+|more than\s+)?(?P<n>\d{1,3})\+?\s+years?\s+ago\b"), "min"),
    (
        re.compile(
            r"\bfounded\s+(?:less than|under|fewer than|within the last|in the last)\s+"
            r"(?P<n>\d{1,3})\s+years?(?:\s+ago)?"
        ),
        "max_excl",
    ),
)


def _extract_founded(text: _Text, reference_year: int) -> list[_Atom]:
    atoms: list[_Atom] = []
    low = text.masked()
    for m in _FOUNDED_RE.finditer(low):
        y1, y2 = int(m["y1"]), int(m["y2"]) if m["y2"] else None
        op = (m["op"] or "").strip().rstrip("-")
        post = (m["post"] or "").strip()
        lo: int | None
        hi: int | None
        if m["decade"] and y1 % 10 == 0:
            lo, hi = y1, y1 + 9
        elif y2 is not None:
            lo, hi = min(y1, y2), max(y1, y2)
        elif op in ("after", "post", "later than"):
            lo, hi = y1 + 1, None
        elif op in ("in or after", "since", "from", "no earlier than") or post.endswith(
            ("later", "after", "since", "newer")
        ):
            lo, hi = y1, None
        elif op in ("before", "prior to", "pre", "earlier than"):
            lo, hi = None, y1 - 1
        elif op in ("in or before", "until", "no later than") or post.endswith(("earlier", "before", "older")):
            lo, hi = None, y1
        else:
            lo, hi = y1, y1
        end = m.end()
        more = _FOUNDED_MORE.match(low, end)
        if more is not None:  # "founded after 2010 and before 2020"
            year = int(more["y"])
            if more["op"] in ("before", "prior to", "until", "no later than"):
                hi = year - 1 if more["op"] in ("before", "prior to") else year
            else:
                lo = year + 1 if more["op"] == "after" else year
            end = more.end()
        atoms.append(_Atom(m.start(), end, "founded", (lo, hi)))
        text.consume(m.start(), end)
    low = text.masked()
    for m in _FOUNDED_RECENT_RE.finditer(low):
        atoms.append(_Atom(m.start(), m.end(), "founded", (reference_year - int(m["n"]), None)))
        text.consume(m.start(), m.end())
    for pattern, bound in _AGE_PATTERNS:
        low = text.masked()
        for m in pattern.finditer(low):
            n = int(m["n"])
            payload = {
                "min": (None, reference_year - n),
                "min_excl": (None, reference_year - n - 1),
                "max": (reference_year - n, None),
                "max_excl": (reference_year - n + 1, None),
            }[bound]
            atoms.append(_Atom(m.start(), m.end(), "founded", payload))
            text.consume(m.start(), m.end())
    return atoms


# --- funding ------------------------------------------------------------------------------------

_SERIES_RE = re.compile(
    r"(?P<pre>\b(?:(?:post[- ]?|pre[- ](?!seed)|at least |up to |before |after |through |beyond |past |"
    r"later than |earlier than )(?:an? )?)?)"
    r"\b(?P<stage>pre[- ]?seed|seed|angel|series[- ]?[a-h])\b(?:[- ](?:stage|funded|round|funding))?"
    r"(?P<plus>\s?\+)?"
    r"(?P<more>(?:\s*(?:,|or|and|/)\s*(?:series[- ]?)?[a-h]\b(?!\.))*)"
    r"(?P<to>\s*(?:-|to|through)\s*(?:series[- ]?)?(?P<l2>[a-h])\b)?"
    r"(?P<post>\s*(?:(?:or|and) (?:later|beyond|above|higher|after|up|more|greater|later[- ]stages?|onwards?)|"
    r"onwards?|and on|(?:or|and) (?:earlier|before|below|lower|less|under))\b)?"
)
_FUNDING_PHRASES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"\bpre[- ]ipo\b"), ("series_c", "series_d", "series_e_plus", "pe_backed")),
    (
        re.compile(
            r"\b(?:publicly[- ](?:traded|listed|held)|public (?:company|companies|corporations?)|"
            r"(?:is|are|went|gone|already) public|listed (?:on|company|companies)|post[- ]ipo|ipo(?:'?d)?|"
            r"stock[- ]exchange[- ]listed)\b"
        ),
        ("public",),
    ),
    (
        re.compile(
            r"\b(?:bootstrapped|self[- ]funded|founder[- ]funded|customer[- ]funded|"
            r"no (?:outside|external|vc|venture) (?:funding|capital|money))\b"
        ),
        ("bootstrapped",),
    ),
    (
        re.compile(r"\b(?:pe[- ](?:backed|owned|funded)|private[- ]equity(?:[- ](?:backed|owned|funded))?)\b"),
        ("pe_backed",),
    ),
    (
        re.compile(r"\b(?:vc[- ](?:backed|funded)|venture[- ](?:backed|funded)|venture capital(?:[- ]backed)?)\b"),
        _VC_STAGES,
    ),
    (re.compile(r"\bearly[- ]stage\b"), ("pre_seed", "seed", "series_a")),
    (re.compile(r"\bgrowth[- ]stage\b"), ("series_b", "series_c", "series_d")),
    (re.compile(r"\blate[- ]stage\b"), ("series_c", "series_d", "series_e_plus", "pe_backed")),
)


_BARE_PUBLIC = re.compile(r"\bpublic\b(?!\s+(?:sector|cloud|health|administration|relations|safety|transport))")
_FUNDING_LIST_GAP = re.compile(r"^\s*(?:,|or|and|/|&)?\s*(?:either\s+)?$")


def _stage_key(token: str) -> str:
    token = token.strip()
    if token.startswith("pre"):
        return "pre_seed"
    if token in ("seed", "angel"):
        return "seed"
    letter = token[-1]
    return "series_e_plus" if letter >= "e" else f"series_{letter}"


def _with_later(start: int) -> tuple[str, ...]:
    stages = list(FUNDING_LADDER[start:])
    if start >= FUNDING_LADDER.index("series_b"):
        stages.append("pe_backed")
    return tuple(stages)


def _extract_funding(text: _Text) -> list[_Atom]:
    atoms: list[_Atom] = []
    low = text.masked()
    for m in _SERIES_RE.finditer(low):
        idx = FUNDING_LADDER.index(_stage_key(m["stage"]))
        pre = re.sub(r"\s+an?$", "", (m["pre"] or "").strip())
        post = (m["post"] or "").strip()
        stages: tuple[str, ...]
        if m["l2"]:
            end = FUNDING_LADDER.index(_stage_key(m["l2"]))
            stages = FUNDING_LADDER[min(idx, end) : max(idx, end) + 1]
        elif pre.startswith(("post", "after", "beyond", "past", "later than")):
            stages = _with_later(idx + 1)
        elif (
            m["plus"]
            or pre == "at least"
            or post.endswith(
                (
                    "later",
                    "beyond",
                    "above",
                    "higher",
                    "after",
                    "up",
                    "more",
                    "greater",
                    "stage",
                    "stages",
                    "onward",
                    "onwards",
                    "on",
                )
            )
        ):
            stages = _with_later(idx)
        elif pre.startswith(("pre", "before", "earlier than")):
            stages = FUNDING_LADDER[:idx]
        elif pre in ("up to", "through") or post.endswith(("earlier", "before", "below", "lower", "less", "under")):
            stages = FUNDING_LADDER[: idx + 1]
        else:
            extra = [FUNDING_LADDER.index(_stage_key(x)) for x in re.findall(r"\b([a-h])\b", m["more"] or "")]
            stages = tuple(FUNDING_LADDER[i] for i in sorted({idx, *extra}))
        atoms.append(_Atom(m.start("stage"), m.end(), "funding", stages))
        text.consume(m.start(), m.end())
    for pattern, phrase_stages in _FUNDING_PHRASES:
        low = text.masked()
        for m in pattern.finditer(low):
            atoms.append(_Atom(m.start(), m.end(), "funding", phrase_stages))
            text.consume(m.start(), m.end())
    if atoms:
        low = text.masked()
        for m in _BARE_PUBLIC.finditer(low):
            near = [a for a in atoms if _FUNDING_LIST_GAP.match(low[min(a.end, m.end()) : max(a.start, m.start())])]
            if near:
                atoms.append(_Atom(m.start(), m.end(), "funding", ("public",)))
                text.consume(m.start(), m.end())
    return atoms


# --- employee and revenue ranges ----------------------------------------------------------------

_NUMBER_RE = re.compile(
    r"(?<![\w.$€£])(?P<cur>[$€£]\s?)?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
    r"(?:\s?(?P<mult>k|mm|mn|m|bn|b|million|billion|thousand|mil)(?![a-z0-9]))?(?P<plus>\s?\+)?"
)
_MULTIPLIERS = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "mil": 1e6, "million": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9,
}  # fmt: skip
_LOWER_OPS = re.compile(
    r"(?P<op>at least|min(?:imum)?\.?(?: of)?|more than|over|above|greater than|bigger than|larger than|exceeding|"
    r"in excess of|upwards of|north of|starting at|>=|>)\s*$"
)
_UPPER_OPS = re.compile(
    r"(?P<op>under|below|less than|fewer than|at most|up to|max(?:imum)?\.?(?: of)?|smaller than|lower than|"
    r"south of|<=|<|sub-?)\s*$"
)
_INCLUSIVE_OPS = frozenset(
    {"at least", "min", "min.", "minimum", "minimum of", "min of", "min. of", "upwards of", "starting at", ">="}
)
_INCLUSIVE_OPS_UPPER = frozenset(
    {"at most", "up to", "max", "max.", "maximum", "max of", "max. of", "maximum of", "<="}
)
_AFTER_LOWER = re.compile(
    r"^\s*(?:[a-z]+\s+){0,2}?(?:or (?:more|above|greater|higher|larger|bigger)|and (?:above|up|over|more)|plus|"
    r"min(?:imum)?|at least)\b"
)
_AFTER_UPPER = re.compile(
    r"^\s*(?:[a-z]+\s+){0,2}?(?:or (?:less|fewer|below|under|smaller)|and (?:below|under|less)|max(?:imum)?|tops|"
    r"at most)\b"
)
_EMPLOYEE_WORDS = re.compile(
    r"\b(?:employees?|people|persons|staff|staffers|headcount|ftes?|full[- ]time|team members|workers|personnel|"
    r"heads|sized?|size|employee count|team of)\b"
)
_TEAMS = r"(?:sales|marketing|engineering|support|revops|data|security|it|finance|hr|customer success|product)"
_TEAM_BEFORE = re.compile(rf"\b{_TEAMS}\s+(?:team|org|organi[sz]ation|department|headcount)\b[^,;]*$")
_TEAM_AFTER = re.compile(rf"^\s*(?:[a-z]+\s+){{0,2}}(?:on|in)\s+(?:the\s+|their\s+|its\s+)?{_TEAMS}\b")
# The word right after a number, unless it is a connective ("200 or more", "50 to 500", "10 in revenue").
_FOLLOWING_WORD = re.compile(
    r"^\s*(?!(?:or|and|to|in|of|plus|through|per|a|an|the|with|at|from|than|more|less|fewer|employees?)\b)"
    r"([a-z][a-z-]*)"
)
_NOT_NOUNS = frozenset({"plus", "across", "is", "was", "has", "as", "this", "thus", "minus", "us", "its", "yes"})
_REVENUE_WORDS = re.compile(
    r"\b(?:revenues?|arr|mrr|sales|turnover|annual|bookings|top[- ]line|in rev|dollars|usd|eur|euros?|gbp|pounds)\b"
)
_CARRY_GAP = re.compile(r"^\s*(?:[a-z]+\s+){0,2}?(?:or|and)\s*$")
_RANGE_GAP = re.compile(r"^\s*(?:-|to|and|through)\s*$")


class _Number(NamedTuple):
    start: int
    end: int
    value: float
    currency: bool
    mult: str | None
    plus: bool


def _numbers(low: str) -> list[_Number]:
    found: list[_Number] = []
    for m in _NUMBER_RE.finditer(low):
        value = float(m["num"].replace(",", "") + (m["dec"] or ""))
        mult = m["mult"]
        if mult:
            value *= _MULTIPLIERS[mult]
        found.append(_Number(m.start(), m.end(), value, bool(m["cur"]), mult, bool(m["plus"])))
    return found


def _unit(low: str, start: int, end: int, numbers: tuple[_Number, ...]) -> tuple[RangeField, float] | None:
    """Which field a number expression counts, and a factor (MRR -> annual); None when nothing says.

    The nearest unit word wins ("200+ employees and $10M ARR" reads each number with its own word);
    a currency sign always means revenue; a bare number stays unparsed rather than guessed.
    """
    after = low[end : end + 40]
    before = low[max(0, start - 40) : start]
    if _TEAM_BEFORE.search(before) or _TEAM_AFTER.match(after):
        return None  # "sales team of 10+", "10-50 people on the sales team": a team's size, not the company's
    if not any(n.currency for n in numbers):
        noun = _FOLLOWING_WORD.match(after)
        if (
            noun
            and noun[1].endswith("s")
            and noun[1] not in _NOT_NOUNS
            and not _EMPLOYEE_WORDS.match(noun[1])
            and not _REVENUE_WORDS.match(noun[1])
        ):
            return None  # "10 AEs", "500 customers", "30 countries": a count of something else
    candidates: list[tuple[int, RangeField, str]] = []
    for pattern, name in ((_EMPLOYEE_WORDS, "employees"), (_REVENUE_WORDS, "revenue")):
        unit: RangeField = "employees" if name == "employees" else "revenue"
        candidates.extend((m.start(), unit, m.group()) for m in pattern.finditer(after))
        candidates.extend((len(before) - m.end() + 1, unit, m.group()) for m in pattern.finditer(before))
    candidates.sort(key=lambda c: c[0])
    field: RangeField | None = None
    if any(n.currency for n in numbers):
        field = "revenue"
    elif candidates:
        field = candidates[0][1]
    elif any(n.mult in ("m", "mm", "mn", "mil", "million", "b", "bn", "billion") for n in numbers):
        field = "revenue"
    if field is None:
        return None
    revenue_words = [c[2] for c in candidates if c[1] == "revenue"]
    factor = 12.0 if field == "revenue" and revenue_words and revenue_words[0] == "mrr" else 1.0
    return field, factor


def _extract_ranges(text: _Text) -> list[_Atom]:
    low = text.masked()
    numbers = _numbers(low)
    atoms: list[_Atom] = []
    previous: tuple[int, tuple[bool, bool, bool]] | None = None
    i = 0
    while i < len(numbers):
        first = numbers[i]
        before = low[max(0, first.start - 30) : first.start]
        if i + 1 < len(numbers):
            second = numbers[i + 1]
            gap = low[first.end : second.start]
            if _RANGE_GAP.match(gap) and (gap.strip() != "and" or before.rstrip().endswith("between")):
                lo_value, hi_value = first.value, second.value
                if first.mult is None and second.mult is not None:
                    lo_value *= _MULTIPLIERS[second.mult]
                unit = _unit(low, first.start, second.end, (first, second))
                if unit is not None and lo_value <= hi_value:
                    field, factor = unit
                    start = first.start
                    if before.rstrip().endswith(("between", "from")):
                        start = first.start - (len(before) - len(before.rstrip().rsplit(" ", 1)[0]))
                    atoms.append(
                        _Atom(
                            start,
                            second.end,
                            f"range:{field}",
                            (field, lo_value * factor, hi_value * factor, True, True),
                        )
                    )
                    text.consume(first.start, second.end)
                i += 2
                continue
        after = low[first.end : first.end + 40]
        lower_op, upper_op = _LOWER_OPS.search(before), _UPPER_OPS.search(before)
        payload: tuple[float | None, float | None, bool, bool] | None = None
        start = first.start
        if first.plus or _AFTER_LOWER.match(after):
            payload = (first.value, None, True, True)
        elif lower_op:
            payload = (first.value, None, lower_op["op"] in _INCLUSIVE_OPS, True)
            start = first.start - (len(before) - lower_op.start())
        elif upper_op:
            payload = (None, first.value, True, upper_op["op"] in _INCLUSIVE_OPS_UPPER)
            start = first.start - (len(before) - upper_op.start())
        elif _AFTER_UPPER.match(after):
            payload = (None, first.value, True, True)
        elif previous is not None and _CARRY_GAP.match(low[previous[0] : first.start]):
            # "at least 200 employees or $20M in revenue": the operator carries over to the alternative.
            lo_inc, hi_inc, is_lower = previous[1]
            payload = (first.value, None, lo_inc, True) if is_lower else (None, first.value, True, hi_inc)
        if payload is not None:
            unit = _unit(low, first.start, first.end, (first,))
            if unit is not None:
                field, factor = unit
                lo, hi, lo_inc, hi_inc = payload
                atoms.append(
                    _Atom(
                        start,
                        first.end,
                        f"range:{field}",
                        (
                            field,
                            None if lo is None else lo * factor,
                            None if hi is None else hi * factor,
                            lo_inc,
                            hi_inc,
                        ),
                    )
                )
                text.consume(start, first.end)
                previous = (first.end, (lo_inc, hi_inc, lo is not None))
        i += 1
    return atoms


# --- geography ----------------------------------------------------------------------------------


class _Place(NamedTuple):
    label: str
    countries: tuple[str, ...]
    subdivisions: tuple[str, ...]


def _place_names() -> dict[str, _Place]:
    names: dict[str, _Place] = {}
    for country in COUNTRIES.values():
        place = _Place(country.name, (country.code,), ())
        for alias in (country.name.lower(), *country.aliases):
            names[alias] = place
    for code, name in SUBDIVISIONS.items():
        names[name.lower()] = _Place(name, (), (code,))
    for alias, code in _SUBDIVISION_ALIASES.items():
        names.setdefault(alias, _Place(SUBDIVISIONS[code], (), (code,)))
    names["american"] = names["united states"]
    for alias, region in _REGION_ALIASES.items():
        names[alias] = _Place(region, REGIONS[region], ())
    return names


_PLACE_NAMES = _place_names()
_PLACE_NAME_RE = re.compile(_word("|".join(re.escape(n) for n in sorted(_PLACE_NAMES, key=len, reverse=True))))
_CODE_RE = re.compile(r"(?<![\w.&])(?:U\.S\.(?:A\.)?|U\.K\.|[A-Z]{2,4})(?![\w&])")
_ALPHA3 = {c.alpha3: c for c in COUNTRIES.values()}
_UPPER_REGION_CODES = {"NA": "North America", "NAM": "North America", "EU": "EU", "UKI": "UK&I", "ANZ": "ANZ"}
_STATE_CONTEXT = re.compile(r"(?<!united )\bstates?\b")
_STATE_CODE_EXCLUDED = frozenset({"OR", "IN", "ME", "OK", "HI", "ID"})
# Codes shared by a US state and a country read as the state ("MA", "CO", "PA"), except these two,
# which B2B criteria use for the country far more often ("US or CA", "DE/AT/CH").
_COUNTRY_FIRST = frozenset({"CA", "DE"})


def _extract_geo(text: _Text) -> list[_Atom]:
    atoms: list[_Atom] = []
    low = text.masked()
    for m in _PLACE_NAME_RE.finditer(low):
        place = _PLACE_NAMES[m.group()]
        atoms.append(_Atom(m.start(), m.end(), "geo", place))
        text.consume(m.start(), m.end())
    norm = text.masked(lower=False)
    codes = list(_CODE_RE.finditer(norm))
    state_candidates = [m for m in codes if m.group() in US_STATES and m.group() not in _STATE_CODE_EXCLUDED]
    state_context = (
        any(a.payload.subdivisions for a in atoms if isinstance(a.payload, _Place))
        or bool(_STATE_CONTEXT.search(text.low))
        or len({m.group() for m in state_candidates}) >= 2
    )
    shouting = bool(_SHOUTED_WORD.search(text.norm))
    blocked = _CODE_BLOCKLIST | _CODE_BLOCKLIST_IN_CAPS if shouting else _CODE_BLOCKLIST
    for m in codes:
        code = m.group().replace(".", "")
        country = COUNTRIES.get(code) if code not in blocked else None
        country = country or _ALPHA3.get(code)
        if code in {"US", "USA"}:
            country = COUNTRIES["US"]
        if code == "UK":
            country = COUNTRIES["GB"]
        found: _Place | None = None
        if (
            code in US_STATES
            and code not in _STATE_CODE_EXCLUDED
            and (country is None or state_context or code not in _COUNTRY_FIRST)
        ):
            found = _Place(US_STATES[code], (), (f"US-{code}",))
        elif country is not None:
            found = _Place(country.name, (country.code,), ())
        elif code in _UPPER_REGION_CODES:
            region = _UPPER_REGION_CODES[code]
            found = _Place(region, REGIONS[region], ())
        if found is not None:
            atoms.append(_Atom(m.start(), m.end(), "geo", found))
            text.consume(m.start(), m.end())
    return atoms


# --- technologies -------------------------------------------------------------------------------

_TECH_RE = re.compile(
    "|".join(f"(?P<t{i}>{_word(t.aliases)})" for i, t in enumerate(TECHNOLOGIES) if not t.exact_case), re.I
)
_TECH_EXACT_RE = re.compile(
    "|".join(
        f"(?P<t{i}>{_word(t.aliases[0].upper() + t.aliases[1:])})" for i, t in enumerate(TECHNOLOGIES) if t.exact_case
    )
)
_CATEGORY_RE = re.compile("|".join(f"(?P<{key}>{_word(rx)})" for key, (_, rx) in TECH_CATEGORIES.items()))
_SIMILAR_RE = re.compile(
    r"\b(?:similar|equivalents?|comparable|alternatives?|competitors?|competing|or (?:any )?other|or another|"
    r"or the like|such as|e\.g\.|for example|like)\b|-like\b"
)


def _tech_index(match: re.Match[str]) -> int:
    assert match.lastgroup is not None
    return int(match.lastgroup[1:])


def _extract_tech(text: _Text) -> list[_Atom]:
    atoms: list[_Atom] = []
    for pattern, lower in ((_TECH_RE, True), (_TECH_EXACT_RE, False)):
        source = text.masked(lower=lower)
        for m in pattern.finditer(source):
            atoms.append(_Atom(m.start(), m.end(), "tech", ("tech", TECHNOLOGIES[_tech_index(m)].name)))
            text.consume(m.start(), m.end())
    for m in _CATEGORY_RE.finditer(text.masked()):
        assert m.lastgroup is not None
        atoms.append(_Atom(m.start(), m.end(), "tech", ("category", m.lastgroup)))
        text.consume(m.start(), m.end())
    return atoms


# --- industries ---------------------------------------------------------------------------------

# "Uses Workday for HR and finance", "software for banks", "sells to hospitals": the words after these
# describe customers or a use, not the company's own industry, so they are left to keywords or the LLM.
_AUDIENCE = re.compile(
    r"\b(?:for|to|serving|serves|targeting|targets|helping|helps)\s+(?:the\s+|their\s+|other\s+)?"
    r"(?:[a-z]+\s+(?:and|&|or)\s+)?$"
)
_INDUSTRY_TRIGGERS = {key: re.compile(_word(f"(?:{ind.triggers})(?:s|es)?")) for key, ind in INDUSTRIES.items()}
_ROLE_NOUN = re.compile(r"^(?:manufacturers?|makers?|agency|agencies)$")


def _extract_industries(text: _Text) -> list[_Atom]:
    low = text.masked()
    spans: dict[tuple[int, int], list[str]] = {}
    for key, pattern in _INDUSTRY_TRIGGERS.items():
        for m in pattern.finditer(low):
            spans.setdefault((m.start(), m.end()), []).append(key)
    # Longest spans first; a span inside an already-taken one ("health" in "digital health") is dropped.
    atoms: list[_Atom] = []
    for (start, end), keys in sorted(spans.items(), key=lambda item: (item[0][0] - item[0][1], item[0][0])):
        if text.free(start, end):
            text.consume(start, end)
            if not _AUDIENCE.search(low, 0, start):
                atoms.append(_Atom(start, end, "industry", tuple(keys)))
    atoms.sort(key=lambda a: a.start)
    # "medical device manufacturers", "car makers": the noun names the role of the industry before it.
    return [
        atom
        for index, atom in enumerate(atoms)
        if not (
            index
            and _ROLE_NOUN.match(low[atom.start : atom.end])
            and _ADJACENT_GAP.match(low[atoms[index - 1].end : atom.start])
        )
    ]


# --- negation, grouping, assembly ---------------------------------------------------------------

_PREFIX_NEGATION = re.compile(
    r"\b(?:not|no|never|without|excluding|exclude|excludes|except(?: for)?|other than|outside(?: of)?|"
    r"anywhere but|anything but|avoid|avoiding|nor|\w+n't)\b|\bnon(?:-|\b)"
)
_SUFFIX_NEGATION = re.compile(
    r"\b(?:excluded|not allowed|need not apply|are out|is out|disqualif\w*|out of scope|not a fit|"
    r"(?:do|does) not qualify|don't qualify|doesn't qualify|not wanted|unwanted|(?:are|is) a no|dealbreakers?)\b"
)
_OR_GAP = re.compile(r"\b(?:or|either|nor)\b|/")
_LIST_GAP = re.compile(r"\b(?:or|and|nor)\b|/|&")
_ADJACENT_GAP = re.compile(r"^[\s-]*$")
_AND_GAP = re.compile(r"^\s*,?\s*(?:and|&|\+|plus)\s*$")


def _scope(atoms: list[_Atom], low: str) -> list[_Atom]:
    """The run of same-family atoms a negation covers: a comma ends it unless the run is a list ("A, B or C")."""
    if not atoms:
        return []
    family = atoms[0].family
    run = [atoms[0]]
    for atom in atoms[1:]:
        if atom.family != family or " but " in low[run[-1].end : atom.start]:
            break
        run.append(atom)
    gaps = [low[a.end : b.start] for a, b in zip(run, run[1:], strict=False)]
    for index, gap in enumerate(gaps):
        if "," in gap and not any(_LIST_GAP.search(g) for g in gaps[index:]):
            return run[: index + 1]
    return run


def _apply_negations(text: _Text, atoms: list[_Atom]) -> None:
    masked = text.masked()
    taken: list[tuple[int, int]] = []
    for m in _SUFFIX_NEGATION.finditer(masked):
        taken.append((m.start(), m.end()))
        before = [a for a in sorted(atoms, key=lambda a: a.start, reverse=True) if a.end <= m.start()]
        for atom in _scope(before, text.low):
            atom.negated = not atom.negated
    for m in _PREFIX_NEGATION.finditer(masked):
        if any(s <= m.start() < e for s, e in taken):
            continue
        after = [a for a in sorted(atoms, key=lambda a: a.start) if a.start >= m.end() - 1]
        for atom in _scope(after, text.low):
            atom.negated = not atom.negated


_BUSINESS_MODELS = frozenset({"b2b", "b2c", "saas", "marketplace"})


def _build_leaf(family: str, group: list[_Atom], low: str) -> Check:
    gaps = [low[a.end : b.start] for a, b in zip(group, group[1:], strict=False)]
    if family.startswith("range:"):
        field: RangeField = "employees" if family == "range:employees" else "revenue"
        lo: float | None = None
        hi: float | None = None
        lo_inc = hi_inc = True
        for atom in group:
            _, a_lo, a_hi, a_lo_inc, a_hi_inc = atom.payload
            if a_lo is not None and (lo is None or a_lo > lo):
                lo, lo_inc = a_lo, a_lo_inc
            if a_hi is not None and (hi is None or a_hi < hi):
                hi, hi_inc = a_hi, a_hi_inc
        return RangeCheck(field=field, minimum=lo, maximum=hi, min_inclusive=lo_inc, max_inclusive=hi_inc)
    if family == "geo":
        places = [a.payload for a in group if isinstance(a.payload, _Place)]
        return GeoCheck(
            places=tuple(dict.fromkeys(p.label for p in places)),
            countries=tuple(sorted({c for p in places for c in p.countries})),
            subdivisions=tuple(sorted({s for p in places for s in p.subdivisions})),
        )
    if family == "industry":
        keys = tuple(dict.fromkeys(k for a in group for k in a.payload))
        adjacent = len(group) > 1 and all(_ADJACENT_GAP.match(g) for g in gaps)
        models = tuple(k for k in keys if k in _BUSINESS_MODELS)
        others = tuple(k for k in keys if k not in _BUSINESS_MODELS)
        model_other_gaps = [
            gap
            for a, b, gap in zip(group, group[1:], gaps, strict=False)
            if (set(a.payload) <= _BUSINESS_MODELS) != (set(b.payload) <= _BUSINESS_MODELS)
        ]
        if models and others and not any(_OR_GAP.search(g) for g in model_other_gaps):
            # "B2B fintech or insurance": the business model qualifies every industry named with it.
            model_match: Literal["any", "all"] = "all" if adjacent or not _OR_GAP.search(" ".join(gaps)) else "any"
            return AllOf(checks=(IndustryCheck(industries=models, match=model_match), IndustryCheck(industries=others)))
        return IndustryCheck(industries=keys, match="all" if adjacent else "any")
    if family == "tech":
        names = [a.payload[1] for a in group if a.payload[0] == "tech"]
        categories = [a.payload[1] for a in group if a.payload[0] == "category"]
        span = low[group[0].start : min(len(low), group[-1].end + 25)]
        if names:
            similar = bool(_SIMILAR_RE.search(span)) or bool(categories and "(" in span)
            categories = (
                [*categories, *(TECH_BY_NAME[n].categories[0] for n in names)]
                if similar and not categories
                else categories
                if similar
                else []
            )
        name_gaps = [
            low[a.end : b.start]
            for a, b in zip(group, group[1:], strict=False)
            if a.payload[0] == "tech" and b.payload[0] == "tech"
        ]
        match_all = len(names) > 1 and len(name_gaps) == len(names) - 1 and all(_AND_GAP.match(g) for g in name_gaps)
        return TechCheck(
            technologies=tuple(dict.fromkeys(names)),
            categories=tuple(dict.fromkeys(categories)),
            match="all" if match_all else "any",
        )
    if family == "funding":
        wanted = {s for a in group for s in a.payload}
        return FundingCheck(stages=tuple(s for s in FUNDING_STAGES if s in wanted))
    lo_year: int | None = None
    hi_year: int | None = None
    for atom in group:
        a_lo, a_hi = atom.payload
        if a_lo is not None and (lo_year is None or a_lo > lo_year):
            lo_year = a_lo
        if a_hi is not None and (hi_year is None or a_hi < hi_year):
            hi_year = a_hi
    return FoundedCheck(min_year=lo_year, max_year=hi_year)


def _combine(kind: Literal["any_of", "all_of"], checks: list[Check]) -> Check:
    flat: list[Check] = []
    for check in checks:
        if check.kind == kind:
            flat.extend(check.checks)
        elif check not in flat:
            flat.append(check)
    if len(flat) == 1:
        return flat[0]
    return AnyOf(checks=tuple(flat)) if kind == "any_of" else AllOf(checks=tuple(flat))


def parse_check(text: str, *, reference_year: int = REFERENCE_YEAR) -> Check | None:
    """Return the structured check ``text`` expresses, or None when it has no recognisable structure.

    Families are read in a fixed order (founding year, funding, numbers, places, tools, industries),
    each consuming its words so one phrase is never read twice. Negations ("not", "no", "excluding",
    "non-", "... excluded") flip the run of same-family facts they govern; "or" between facts of
    different families makes alternatives, anything else means all of them. Pure and cached.

    Args:
        text: One criterion clause as the sales leader wrote it.
        reference_year: Year that relative ages ("at least 5 years old") are resolved against; the
            result is stored with the segment version, so grading stays deterministic.

    Returns:
        The check tree, or None: the criterion is then graded by keywords (offline) or by the LLM.
    """
    return _parse(text, reference_year)


@lru_cache(maxsize=4096)
def _parse(text: str, reference_year: int) -> Check | None:
    work = _Text(text)
    atoms = [
        *_extract_founded(work, reference_year),
        *_extract_funding(work),
        *_extract_ranges(work),
        *_extract_geo(work),
        *_extract_tech(work),
        *_extract_industries(work),
    ]
    if not atoms:
        return None
    atoms.sort(key=lambda a: a.start)
    _apply_negations(work, atoms)
    low = work.low
    # Consecutive atoms of one family and polarity form a group; "or" between groups splits alternatives.
    groups: list[list[_Atom]] = []
    for atom in atoms:
        if groups and groups[-1][-1].family == atom.family and groups[-1][-1].negated == atom.negated:
            groups[-1].append(atom)
        else:
            groups.append([atom])
    alternatives: list[list[Check]] = [[]]
    for index, group in enumerate(groups):
        leaf: Check = _build_leaf(group[0].family, group, low)
        if group[0].negated:
            leaf = NotCheck(check=leaf)
        if index and _OR_GAP.search(low[groups[index - 1][-1].end : group[0].start]):
            alternatives.append([])
        alternatives[-1].append(leaf)
    return _combine("any_of", [_combine("all_of", alt) for alt in alternatives])
