"""Numbers in criteria: founding years and ages, employee and revenue ranges."""

from __future__ import annotations

import re
from typing import NamedTuple

from icp.checks._models import (
    RangeField,
)
from icp.checks._skim import Skim
from icp.checks._text import _Atom, _Text, ends_with

# --- founded year -------------------------------------------------------------------------------

_YEAR = r"(?:1[6-9]\d\d|2[01]\d\d)"
_FOUNDED_RE = Skim(
    re.compile(
        r"\b(?:founded|established|est\.?|started|incorporated|launched|created|in business since|operating since)\s+"
        r"(?:in\s+)?(?P<op>in or after|in or before|after|since|post-?|later than|from|before|prior to|pre-?|"
        r"earlier than|until|between|no earlier than|no later than)?\s*(?:the\s+)?(?:year\s+)?"
        rf"(?P<y1>{_YEAR})(?P<decade>s)?(?:\s*(?:-|to|and|through|until)\s*(?P<y2>{_YEAR}))?"
        r"(?P<post>\s*(?:or|and) (?:later|after|since|newer|earlier|before|older)\b(?!\s*(?:the\s+)?\d))?"
    )
)
_FOUNDED_MORE = re.compile(
    rf"\s*,?\s*(?:and|but)\s+(?P<op>before|prior to|until|no later than|after|since|no earlier than)\s+(?P<y>{_YEAR})"
)
_FOUNDED_RECENT_RE = Skim(
    re.compile(
        r"\b(?:founded|established|started|launched)\s+(?:in\s+|within\s+)?(?:the\s+)?(?:last|past)\s+(?P<n>\d{1,3})\s+years?"
    )
)
_AGE_QUALIFIER = r"\s+(?:old|in business|of operations?|in operation|of history|of age)"
_AGE_PATTERNS: tuple[tuple[Skim, str], ...] = tuple(
    (Skim(pattern), bound)
    for pattern, bound in (
        (re.compile(rf"\b(?P<op>at least|min(?:imum)?(?: of)?)\s+(?P<n>\d{{1,3}})\+?\s*years?{_AGE_QUALIFIER}"), "min"),
        (re.compile(rf"\b(?P<op>over|more than)\s+(?P<n>\d{{1,3}})\+?\s*years?{_AGE_QUALIFIER}"), "min_excl"),
        (re.compile(rf"\b(?P<n>\d{{1,3}})\s*\+\s*years?{_AGE_QUALIFIER}"), "min"),
        (re.compile(r"\b(?P<n>\d{1,3})\s+years?(?:\s+old)?\s+or\s+(?:older|more)\b"), "min"),
        (re.compile(r"\bolder than\s+(?P<n>\d{1,3})\s+years?\b"), "min_excl"),
        (
            re.compile(r"\bin business (?:for\s+)?(?:at least\s+|over\s+|more than\s+)?(?P<n>\d{1,3})\+?\s+years?\b"),
            "min",
        ),
        (
            re.compile(rf"\b(?:less than|under|younger than)\s+(?P<n>\d{{1,3}})\s+years?(?:{_AGE_QUALIFIER})?"),
            "max_excl",
        ),
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
)


_DIGIT = re.compile(r"\d")


def _extract_founded(text: _Text, reference_year: int) -> list[_Atom]:
    atoms: list[_Atom] = []
    if _DIGIT.search(text.low) is None:  # every founding-year or age phrase has a number in it
        return atoms
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
    if "year" not in text.low:  # the remaining phrases all say "year(s)"
        return atoms
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


# --- employee and revenue ranges ----------------------------------------------------------------

_NUMBER_RE = re.compile(
    r"(?<![\w.$€£])(?P<cur>[$€£]\s?)?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
    r"(?:\s?(?P<mult>k|mm|mn|m|bn|b|million|billion|thousand|mil)(?![a-z0-9]))?(?P<plus>\s?\+)?"
)
# Where a number starts, with the number read from there (group "number"): the class lets the engine
# skip to a digit or currency sign in C instead of trying _NUMBER_RE everywhere, and the look-behind
# holding a look-ahead reads the whole number from that character, all in one scan.
_NUMBER_SCAN = re.compile(rf"[$€£\d](?<=(?=(?P<number>{_NUMBER_RE.pattern})).)")
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
# What an operator before a number (either kind) ends with, right before the spaces ahead of the number:
# nearly every number has none of them before it, and is spared both searches (each tries every
# position of ``before``).
_OP_ENDINGS = (
    *("least", "min", "min.", "minimum", "minimum.", "of", "than", "over", "above", "exceeding", "at", ">", "="),
    *("under", "below", "most", "to", "max", "max.", "maximum", "maximum.", "<", "sub", "-"),
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
# Every operator after a number has one of these words: the words after most numbers have none.
_AFTER_CUE = re.compile(r"or |and |plus|min|at least|max|tops|at most")
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
# Read in place from the previous fact's end (``match(low, pos, endpos)``): that may be far back, and
# copying the text between for every number made a page of numbers quadratic.
_CARRY_GAP = re.compile(r"\s*(?:[a-z]+\s+){0,2}?(?:or|and)\s*$")
_RANGE_GAP = re.compile(r"\s*(?:-|to|and|through)\s*$")  # matched in place, from the first number's end


class _Number(NamedTuple):
    start: int
    end: int
    value: float
    currency: bool
    mult: str | None
    plus: bool


# How ``_Number._make`` builds one, without its length check: a page of figures has a quarter of a
# million numbers, and the keyword constructor is a Python call per number.
_new_number = tuple.__new__


def _numbers(low: str) -> list[_Number]:
    """Every number, as ``_NUMBER_RE.finditer`` reads them: each from the end of the one before."""
    found: list[_Number] = []
    taken = 0
    for m in _NUMBER_SCAN.finditer(low):
        start = m.start()
        if start < taken:
            continue  # "000" after the comma of "2,000", already read
        cur, num, dec, mult, plus = m.group("cur", "num", "dec", "mult", "plus")
        value = float(num.replace(",", "") + (dec or ""))
        if mult:
            value *= _MULTIPLIERS[mult]
        taken = m.end("number")
        found.append(_new_number(_Number, (start, taken, value, bool(cur), mult, bool(plus))))
    return found


def _unit(
    low: str, start: int, end: int, numbers: tuple[_Number, ...], clause: tuple[int, int]
) -> tuple[RangeField, float] | None:
    """Which field a number expression counts, and a factor (MRR -> annual); None when nothing says.

    The nearest unit word wins ("200+ employees and $10M ARR" reads each number with its own word);
    a currency sign always means revenue; a bare number stays unparsed rather than guessed. Only the
    words of its own ``clause`` (start, end) count.
    """
    after = low[end : min(end + 40, clause[1])]
    before = low[max(clause[0], start - 40) : start]
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
        clause = text.clause(first.start)
        before = low[max(clause[0], first.start - 30) : first.start]
        if i + 1 < len(numbers):
            second = numbers[i + 1]
            if _RANGE_GAP.match(low, first.end, second.start) and (
                low[first.end : second.start].strip() != "and" or before.rstrip().endswith("between")
            ):
                lo_value, hi_value = first.value, second.value
                if first.mult is None and second.mult is not None:
                    lo_value *= _MULTIPLIERS[second.mult]
                unit = _unit(low, first.start, second.end, (first, second), clause)
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
        after = low[first.end : min(first.end + 40, clause[1])]
        payload: tuple[float | None, float | None, bool, bool] | None = None
        start = first.start
        ends_like_an_op = before.rstrip().endswith(_OP_ENDINGS)
        cue_after = _AFTER_CUE.search(after) is not None
        if first.plus or (cue_after and _AFTER_LOWER.match(after)):
            payload = (first.value, None, True, True)
        elif ends_like_an_op and (lower_op := _LOWER_OPS.search(before)):
            payload = (first.value, None, lower_op["op"] in _INCLUSIVE_OPS, True)
            start = first.start - (len(before) - lower_op.start())
        elif ends_like_an_op and (upper_op := _UPPER_OPS.search(before)):
            payload = (None, first.value, True, upper_op["op"] in _INCLUSIVE_OPS_UPPER)
            start = first.start - (len(before) - upper_op.start())
        elif cue_after and _AFTER_UPPER.match(after):
            payload = (None, first.value, True, True)
        elif (
            previous is not None
            and ends_with(low, previous[0], first.start, ("or", "and"))
            and _CARRY_GAP.match(low, previous[0], first.start)
        ):
            # "at least 200 employees or $20M in revenue": the operator carries over to the alternative.
            lo_inc, hi_inc, is_lower = previous[1]
            payload = (first.value, None, lo_inc, True) if is_lower else (None, first.value, True, hi_inc)
        if payload is not None:
            unit = _unit(low, first.start, first.end, (first,), clause)
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
