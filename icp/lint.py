"""Lint a segment's text before it grades thousands of accounts: vague, unobservable, contradictory, repeated.

A segment that says "big companies that could use our product" grades every account ``unknown``; one
that requires both "under 100 employees" and "at least 500 employees" has no members at all. Both are
cheap to catch while the sales leader is still typing, and each finding says how to rephrase.
"""

from __future__ import annotations

import re
from itertools import combinations
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from icp.checks import (
    AllOf,
    Check,
    FoundedCheck,
    FundingCheck,
    GeoCheck,
    IndustryCheck,
    NotCheck,
    RangeCheck,
    TechCheck,
    describe_check,
    leaf_checks,
)
from icp.criteria import Criterion, compile_segment
from icp.domain import CriterionKind
from icp.evaluators.offline import criterion_keywords

Severity = Literal["error", "warning", "info"]


class LintFinding(BaseModel):
    """One problem with a segment's text, and how to fix it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    criterion_id: str | None = Field(description="R1.., N1..; None for the segment as a whole.")
    severity: Severity = Field(description="error: the segment cannot work as written; warning: grades will suffer.")
    code: str = Field(description="Stable identifier, e.g. 'vague' or 'contradiction'.")
    message: str
    suggestion: str = Field(description="A concrete rephrasing or next step.")


_VAGUE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), suggestion)
    for pattern, suggestion in (
        (
            r"\b(?:could|would|might|may|likely to)\s+(?:use|benefit|need|want|buy|like)\b|"
            r"\bneeds? (?:our|a|the) (?:product|solution|tool)\b|\bgood fit\b|\binterested in\b",
            "Describe the observable traits of companies that buy today: industry, size, location, tech stack or "
            "funding stage (e.g. 'B2B SaaS', '200–2,000 employees', 'uses Salesforce').",
        ),
        (
            r"\b(?:big|large|huge|small|smaller|mid-?sized?|medium[- ]sized?|sizable|sizeable|"
            r"enterprise[- ](?:grade|level|sized))\b|\bbig ones\b",
            "State a headcount or revenue range, e.g. '1,000+ employees' or 'over $100M revenue'.",
        ),
        (
            r"\b(?:fast[- ]growing|high[- ]growth|hyper[- ]?growth|growing|scaling|scale[- ]?ups?)\b",
            "Use an observable proxy for growth: 'Series B or later', 'founded after 2018' or a headcount range.",
        ),
        (
            r"\b(?:innovative|modern|cutting[- ]edge|forward[- ]thinking|tech[- ]savvy|digital[- ]first|"
            r"progressive|disruptive|sophisticated)\b",
            "Name the technology or practice, e.g. 'uses Snowflake', 'on AWS' or 'product-led growth'.",
        ),
        (
            r"\b(?:good|great|quality|right|ideal|serious|successful|solid|reputable|leading|top|best|"
            r"well[- ]funded|well[- ]known|established|mature|healthy)\b",
            "Replace the judgement with facts a record can show: industry, size, location, funding stage or "
            "technologies.",
        ),
    )
)
_DIGITS = re.compile(r"\d")
# "10 AEs", "30+ countries", "500 customers": a count of something other than headcount or revenue.
_COUNT = re.compile(
    r"\d[\d,.]*\s*(?:k\b)?\+?\s+(?!(?:employees?|people|staff|ftes?|years?|months?|or|and|to|in|of)\b)"
    r"(?P<noun>[A-Za-z][A-Za-z-]*)"
)
_YEAR_ONLY = re.compile(r"^\D*(?:1[6-9]|2[01])\d\d\D*$")
_NORMALISE = re.compile(r"[^a-z0-9$+]+")


def lint_segment(requirements: str, nice_to_haves: str = "") -> list[LintFinding]:
    """Every finding for a segment's Requirements and Nice to Haves, in criterion order.

    Uses the same compiler as grading, so "no structured check" here means exactly what the offline
    evaluator will see.

    Args:
        requirements: The Requirements text (bullets, lines, ``;`` or sentences).
        nice_to_haves: The Nice to Haves text.

    Returns:
        Findings in criterion order (segment-wide ones first); empty when the segment is clean.
    """
    segment = compile_segment("lint", requirements or "", nice_to_haves or "")
    findings: list[LintFinding] = []
    if not segment.requirements:
        findings.append(
            LintFinding(
                criterion_id=None,
                severity="error",
                code="empty-requirements",
                message="The segment has no requirements, so every company would be a member.",
                suggestion="Add at least one observable requirement, e.g. '200–2,000 employees' or "
                "'HQ in North America'.",
            )
        )
    for criterion in segment.criteria:
        findings.extend(_lint_criterion(criterion))
    findings.extend(_duplicates(segment.criteria))
    findings.extend(_contradictions(_distinct(segment.requirements), _distinct(segment.nice_to_haves)))
    order = {c.id: i for i, c in enumerate(segment.criteria)}
    findings.sort(key=lambda f: -1 if f.criterion_id is None else order.get(f.criterion_id, len(order)))
    return _capped(findings)


MAX_FINDINGS_PER_CODE = 20
"""Findings of one kind shown in full; the rest are counted in one summary finding (a pasted list of
1,000 similar lines would otherwise bury the form in warnings)."""


def _capped(findings: list[LintFinding]) -> list[LintFinding]:
    shown: list[LintFinding] = []
    counts: dict[str, int] = {}
    first: dict[str, LintFinding] = {}
    for finding in findings:
        counts[finding.code] = counts.get(finding.code, 0) + 1
        first.setdefault(finding.code, finding)
        if counts[finding.code] <= MAX_FINDINGS_PER_CODE:
            shown.append(finding)
    for code, count in counts.items():
        if count > MAX_FINDINGS_PER_CODE:
            hidden = count - MAX_FINDINGS_PER_CODE
            shown.append(
                LintFinding(
                    criterion_id=None,
                    severity=first[code].severity,
                    code=code,
                    message=f"{hidden} more '{code}' findings like the ones above are not shown.",
                    suggestion=first[code].suggestion,
                )
            )
    return shown


def _distinct(criteria: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
    """The first criterion of each distinct check: only checks can contradict, and repeats are reported as
    duplicates, so comparing each distinct check once finds every contradiction there is."""
    seen: set[Check] = set()
    kept: list[Criterion] = []
    for criterion in criteria:
        if criterion.check is not None and criterion.check not in seen:
            seen.add(criterion.check)
            kept.append(criterion)
    return tuple(kept)


def _lint_criterion(criterion: Criterion) -> list[LintFinding]:
    text = criterion.text
    concepts, stems = criterion_keywords(text)
    for pattern, suggestion in _VAGUE:
        m = pattern.search(text)
        if m is None or (criterion.check is None and concepts):
            continue  # "Growing sales headcount (hiring SDRs)" names an observable signal after all
        if criterion.check is None:
            return [
                LintFinding(
                    criterion_id=criterion.id,
                    severity="warning",
                    code="vague",
                    message=f"{criterion.id} '{text}' is vague ('{m.group()}'): no field can confirm it, so it will "
                    "mostly grade unknown.",
                    suggestion=suggestion,
                )
            ]
        return [
            LintFinding(
                criterion_id=criterion.id,
                severity="info",
                code="vague-qualifier",
                message=f"{criterion.id}: '{m.group()}' is not checked; only '{describe_check(criterion.check)}' is.",
                suggestion=suggestion,
            )
        ]
    if criterion.check is not None:
        return _currency(criterion, criterion.check) + _north_america(criterion, criterion.check)
    count = _COUNT.search(text)
    if count is not None:
        return [
            LintFinding(
                criterion_id=criterion.id,
                severity="warning",
                code="unobservable-count",
                message=f"{criterion.id} '{text}' counts {count['noun']}, which no company field records; offline it "
                "is unknown unless the description says so.",
                suggestion="Keep it for the LLM evaluator, or add an observable proxy such as '200+ employees' or "
                "'Series B or later'.",
            )
        ]
    if _DIGITS.search(text) and not _YEAR_ONLY.match(text):
        return [
            LintFinding(
                criterion_id=criterion.id,
                severity="warning",
                code="ambiguous-number",
                message=f"{criterion.id} '{text}' has a number but does not say what it counts.",
                suggestion="Name the unit: '200–2,000 employees', 'over $10M revenue', 'founded after 2015'.",
            )
        ]
    if not concepts and not stems:
        return [
            LintFinding(
                criterion_id=criterion.id,
                severity="warning",
                code="unobservable",
                message=f"{criterion.id} '{text}' names nothing a company record can show; it will always grade "
                "unknown offline.",
                suggestion="Rephrase as an observable fact: industry, headcount, revenue, location, funding stage, "
                "founding year or a technology (e.g. 'uses HubSpot').",
            )
        ]
    return [
        LintFinding(
            criterion_id=criterion.id,
            severity="info",
            code="text-only",
            message=f"{criterion.id} '{text}' has no structured check; offline it is matched only by keywords in "
            "the description and tags, so expect many unknowns.",
            suggestion="If it can be said as a fact (industry, size, location, stage, founding year, technology), "
            "say it that way; otherwise leave it to the LLM evaluator.",
        )
    ]


_OTHER_CURRENCY = re.compile(r"[€£¥]|\b(?:eur|euros?|gbp|pounds?|chf|sek|nok|dkk|jpy|inr|cad|aud)\b", re.I)


def _currency(criterion: Criterion, check: Check) -> list[LintFinding]:
    """Revenue bounds in another currency are compared as dollars: company revenue carries no currency."""
    m = _OTHER_CURRENCY.search(criterion.text)
    if m is None or not any(isinstance(c, RangeCheck) and c.field == "revenue" for c in leaf_checks(check)):
        return []
    return [
        LintFinding(
            criterion_id=criterion.id,
            severity="info",
            code="currency",
            message=f"{criterion.id} '{criterion.text}': amounts in '{m.group()}' are compared as US dollars, because "
            "company revenue is recorded without a currency.",
            suggestion="If the exchange rate matters at this bound, write the amount in dollars.",
        )
    ]


def _north_america(criterion: Criterion, check: Check) -> list[LintFinding]:
    """ "North America" includes Mexico; sales teams often mean the US and Canada only."""
    if not any(isinstance(c, GeoCheck) and "North America" in c.places for c in leaf_checks(check)):
        return []
    return [
        LintFinding(
            criterion_id=criterion.id,
            severity="info",
            code="region-scope",
            message=f"{criterion.id}: 'North America' includes Mexico as well as the US and Canada.",
            suggestion="If you mean the US and Canada only, write 'Headquartered in the US or Canada'.",
        )
    ]


def _key(text: str) -> str:
    return _NORMALISE.sub(" ", text.lower()).strip()


def _duplicates(criteria: tuple[Criterion, ...]) -> list[LintFinding]:
    """Each criterion that repeats an earlier one (same words, or the same check), against the first of them.

    One pass with two lookups, so a long list costs as many comparisons as it has lines.
    """
    findings: list[LintFinding] = []
    by_text: dict[str, Criterion] = {}
    by_check: dict[Check, Criterion] = {}
    for later in criteria:
        key = _key(later.text)
        earlier_text = by_text.setdefault(key, later)
        earlier_check = by_check.setdefault(later.check, later) if later.check is not None else later
        earlier = earlier_text if earlier_text is not later else earlier_check
        if earlier is later:
            continue
        same_text = earlier_text is not later
        if earlier.kind is CriterionKind.REQUIREMENT and later.kind is CriterionKind.NICE_TO_HAVE:
            message = (
                f"{later.id} '{later.text}' is already required by {earlier.id}; as a nice-to-have it adds nothing."
            )
            suggestion = f"Delete {later.id}, or make it stricter than {earlier.id}."
        else:
            how = "repeats" if same_text else "checks the same thing as"
            message = f"{later.id} '{later.text}' {how} {earlier.id} '{earlier.text}'."
            suggestion = f"Delete {later.id}; repeated criteria double-count in the score."
        findings.append(
            LintFinding(
                criterion_id=later.id, severity="warning", code="duplicate", message=message, suggestion=suggestion
            )
        )
    return findings


def _parts(check: Check | None) -> list[Check]:
    if check is None:
        return []
    if isinstance(check, AllOf):
        return [p for c in check.checks for p in _parts(c)]
    return [check]


def _contradictions(requirements: tuple[Criterion, ...], nice: tuple[Criterion, ...]) -> list[LintFinding]:
    findings: list[LintFinding] = []
    for a, b in combinations(requirements, 2):
        reason = _conflict_between(a, b)
        if reason:
            findings.append(
                LintFinding(
                    criterion_id=b.id,
                    severity="error",
                    code="contradiction",
                    message=f"{a.id} '{a.text}' and {b.id} '{b.text}' cannot both hold ({reason}): the segment can "
                    "have no members.",
                    suggestion=f"Loosen one of them, or move {b.id} to the Nice to Haves, or split this into two "
                    "segments.",
                )
            )
    for requirement in requirements:
        for wish in nice:
            reason = _conflict_between(requirement, wish)
            if reason:
                findings.append(
                    LintFinding(
                        criterion_id=wish.id,
                        severity="warning",
                        code="unreachable-nice-to-have",
                        message=f"{wish.id} '{wish.text}' can never be met by a member, because {requirement.id} "
                        f"'{requirement.text}' rules it out ({reason}).",
                        suggestion=f"Delete {wish.id} or change it so a member of the segment can meet it.",
                    )
                )
    return findings


def _conflict_between(a: Criterion, b: Criterion) -> str | None:
    for x in _parts(a.check):
        for y in _parts(b.check):
            reason = _conflict(x, y) or _conflict(y, x)
            if reason:
                return reason
    return None


def _conflict(x: Check, y: Check) -> str | None:
    """Why checks ``x`` and ``y`` can never both be met, or None (only the clear-cut cases)."""
    if isinstance(x, RangeCheck) and isinstance(y, RangeCheck) and x.field == y.field:
        if _range_disjoint(x, y):
            return f"{describe_check(x)} vs {describe_check(y)}"
        return None
    if isinstance(x, GeoCheck) and isinstance(y, GeoCheck):
        return None if _geo_overlap(x, y) else f"{describe_check(x)} vs {describe_check(y)}"
    if isinstance(x, FundingCheck) and isinstance(y, FundingCheck):
        return None if set(x.stages) & set(y.stages) else f"{describe_check(x)} vs {describe_check(y)}"
    if isinstance(x, FoundedCheck) and isinstance(y, FoundedCheck):
        lo = max(v for v in (x.min_year, y.min_year, -(10**6)) if v is not None)
        hi = min(v for v in (x.max_year, y.max_year, 10**6) if v is not None)
        return f"{describe_check(x)} vs {describe_check(y)}" if lo > hi else None
    if isinstance(y, NotCheck):
        inner = y.check
        if x == inner:
            return f"one requires what the other excludes: {describe_check(x)}"
        if isinstance(x, GeoCheck) and isinstance(inner, GeoCheck) and _geo_within(x, inner):
            return f"{describe_check(x)} lies inside the excluded {describe_check(inner)}"
        if (
            isinstance(x, IndustryCheck)
            and isinstance(inner, IndustryCheck)
            and x.match == "any"
            and inner.match == "any"
            and set(x.industries) <= set(inner.industries)
        ):
            return f"{describe_check(x)} is excluded"
        if (
            isinstance(x, TechCheck)
            and isinstance(inner, TechCheck)
            and not x.categories
            and not inner.categories
            and x.match == "any"
            and inner.match == "any"
            and set(x.technologies) <= set(inner.technologies)
        ):
            return f"{describe_check(x)} is excluded"
    return None


def _range_disjoint(x: RangeCheck, y: RangeCheck) -> bool:
    lows = [(r.minimum, r.min_inclusive) for r in (x, y) if r.minimum is not None]
    highs = [(r.maximum, r.max_inclusive) for r in (x, y) if r.maximum is not None]
    if not lows or not highs:
        return False
    lo, lo_inc = max(lows, key=lambda v: (v[0], not v[1]))
    hi, hi_inc = min(highs, key=lambda v: (v[0], v[1]))
    assert lo is not None and hi is not None
    if x.field == "employees":
        # Headcounts are whole numbers: "more than 99" and "under 101" still meet at 100.
        lo_int = lo if lo_inc else lo + 1
        hi_int = hi if hi_inc else hi - 1
        return lo_int > hi_int
    return lo > hi or (lo == hi and not (lo_inc and hi_inc))


def _geo_overlap(x: GeoCheck, y: GeoCheck) -> bool:
    if set(x.countries) & set(y.countries) or set(x.subdivisions) & set(y.subdivisions):
        return True
    return any(s.split("-")[0] in y.countries for s in x.subdivisions) or any(
        s.split("-")[0] in x.countries for s in y.subdivisions
    )


def _geo_within(x: GeoCheck, excluded: GeoCheck) -> bool:
    countries_inside = set(x.countries) <= set(excluded.countries)
    subdivisions_inside = all(
        s in excluded.subdivisions or s.split("-")[0] in excluded.countries for s in x.subdivisions
    )
    return bool(x.countries or x.subdivisions) and countries_inside and subdivisions_inside
