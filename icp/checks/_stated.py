"""Headcount and revenue a company's description states about itself ("a team of 35", "crossed $40M ARR").

CRM exports often leave employees and revenue empty while the description says them. Only phrasings
about the company itself count: "a team of 35 people", "we employ 120 engineers", "our 80 employees",
"a 12-person startup", "$40M ARR", "revenue of €5M". Figures about others ("helps HR teams manage
10,000 employees", "serves 900 customers") do not match. A qualifier widens the figure into a range
("about 200" is 160–240, "over 500" is 500 or more, "crossed $40M" is $40M–$60M), and a check decides
only when the whole range is
inside or outside its bounds. A field, when present, always wins over prose; amounts in € or £ are
read as dollars, as in criteria.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import NamedTuple

_NUMBER = r"(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
_MULTIPLIER = r"(?:\s?(?P<mult>k|mm|mn|m|bn|b|million|billion|thousand)(?![a-z0-9]))?"
_QUALIFIER = (
    r"(?:(?P<qual>about|around|roughly|approximately|approx\.|close to|some|nearly|almost|"
    r"over|more than|above|upwards of|crossed|passed|surpassed|exceeded|topped|reached|hit|"
    r"under|fewer than|less than|below)\s+)?"
)
_PLUS = r"(?P<plus>\+)?"
_PEOPLE = r"(?:people|employees|staff|team members|engineers|teammates|colleagues|ftes?)"

_HEADCOUNT: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.I)
    for p in (
        rf"\b(?:team|staff|headcount|workforce) of {_QUALIFIER}{_NUMBER}{_PLUS}(?:\s+{_PEOPLE})?\b",
        rf"\b(?:we|it|the company|they) (?:have|has|employ|employs|are|is) {_QUALIFIER}{_NUMBER}{_PLUS}\s+{_PEOPLE}\b",
        rf"\b(?:our|its|their) {_QUALIFIER}{_NUMBER}{_PLUS}\s+{_PEOPLE}\b",
        rf"\bemploy(?:s|ing)? {_QUALIFIER}{_NUMBER}{_PLUS}\s+{_PEOPLE}\b",
        rf"\b{_NUMBER}{_PLUS}[- ](?:person|people|employee|strong) (?:team|company|startup|business|firm)\b",
    )
)
_REVENUE_NOUN = r"(?:arr|annual recurring revenue|annual revenue|revenues?|turnover|annual sales|in sales)"
_REVENUE: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.I)
    for p in (
        # "$40M ARR", "over €5 million in revenue"; a bare number needs a multiplier ("40M ARR")
        rf"(?<![\w.]){_QUALIFIER}(?P<cur>[$€£])\s?{_NUMBER}{_MULTIPLIER}{_PLUS}\s+(?:in\s+)?{_REVENUE_NOUN}\b",
        rf"(?<![\w.$€£]){_QUALIFIER}{_NUMBER}\s?(?P<mult>k|mm|mn|m|bn|b|million|billion)(?![a-z0-9]){_PLUS}"
        rf"\s+(?:in\s+)?{_REVENUE_NOUN}\b",
        rf"\b(?:arr|revenues?|annual revenue|turnover|sales) of {_QUALIFIER}"
        rf"(?P<cur>[$€£])\s?{_NUMBER}{_MULTIPLIER}{_PLUS}",
    )
)
_MULTIPLIERS = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "million": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9,
}  # fmt: skip
_APPROXIMATE = frozenset({"about", "around", "roughly", "approximately", "approx.", "close to", "some"})
_AT_MOST = frozenset({"nearly", "almost", "under", "fewer than", "less than", "below"})
_AT_LEAST = frozenset({"over", "more than", "above", "upwards of"})
# A milestone is news when it was just passed: "crossed $40M ARR" is $40M to $60M, not any amount above.
_MILESTONE = frozenset({"crossed", "passed", "surpassed", "exceeded", "topped", "reached", "hit"})


class Stated(NamedTuple):
    """A figure the description states: the range it allows, and the sentence that says it."""

    low: float
    high: float  # math.inf when open-ended ("over 500", "50+")
    quote: str


def _range(match: re.Match[str]) -> tuple[float, float]:
    value = float(match["num"].replace(",", "") + (match["dec"] or ""))
    mult = match.groupdict().get("mult")
    if mult:
        value *= _MULTIPLIERS[mult.lower()]
    groups = match.groupdict()
    qualifier = (groups.get("qual") or "").lower()
    if groups.get("plus") or qualifier in _AT_LEAST:
        return value, math.inf
    if qualifier in _MILESTONE:
        return value, value * 1.5
    if qualifier in _AT_MOST:
        return 0.0, value
    if qualifier in _APPROXIMATE:
        return value * 0.8, value * 1.2
    return value, value


# Words every phrasing needs: one cheap search spares the full patterns for most descriptions.
_HEADCOUNT_WORD = re.compile(r"people|employ|staff|team|engineer|colleague|fte|person|strong")
_REVENUE_WORD = re.compile(r"arr\b|annual recurring|revenue|turnover|sales")


def stated_figure(
    field: str, description: str, quote: Callable[[str, int, int], str], lower: str | None = None
) -> Stated | None:
    """The first headcount (``field="employees"``) or revenue the description states, or None.

    ``quote(text, start, end)`` turns the match into evidence (the sentence it stands in); ``lower`` is
    ``description.lower()`` when the caller has it.
    """
    headcount = field == "employees"
    if not (_HEADCOUNT_WORD if headcount else _REVENUE_WORD).search(lower or description.lower()):
        return None
    for pattern in _HEADCOUNT if headcount else _REVENUE:
        match = pattern.search(description)
        if match is not None:
            low, high = _range(match)
            return Stated(low, high, quote(description, match.start(), match.end()))
    return None
