"""The check models (a small, hashable tree stored with each compiled segment) and their descriptions."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from icp.checks._vocabulary import FUNDING_LABELS, INDUSTRIES, TECH_CATEGORIES

# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------

RangeField = Literal["employees", "revenue"]


class _CheckBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RangeCheck(_CheckBase):
    """A numeric bound on headcount or revenue ("200–2,000 employees", "over $10M ARR")."""

    kind: Literal["range"] = "range"
    field: RangeField
    minimum: float | None = None
    maximum: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True


class GeoCheck(_CheckBase):
    """Headquarters in one of a set of countries or subdivisions; regions are expanded at parse time.

    Storing the expanded country list (not just "DACH") makes the stored check self-explaining and
    immune to later edits of the region table.
    """

    kind: Literal["geo"] = "geo"
    places: tuple[str, ...] = Field(description="The places as named in the criterion, canonical spelling.")
    countries: tuple[str, ...] = Field(default=(), description="ISO alpha-2 codes that satisfy the check.")
    subdivisions: tuple[str, ...] = Field(default=(), description="'US-CA'-style codes that satisfy the check.")


class IndustryCheck(_CheckBase):
    """Industry or business model, matched against industry, tags and description."""

    kind: Literal["industry"] = "industry"
    industries: tuple[str, ...] = Field(description="Keys of INDUSTRIES.")
    match: Literal["any", "all"] = "any"


class TechCheck(_CheckBase):
    """Technologies in the company's stack; categories stand for "X or similar"."""

    kind: Literal["tech"] = "tech"
    technologies: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    match: Literal["any", "all"] = "any"


class FundingCheck(_CheckBase):
    """Funding stage, as the set of canonical stages that satisfy it ("Series B or later" expanded)."""

    kind: Literal["funding"] = "funding"
    stages: tuple[str, ...]


class FoundedCheck(_CheckBase):
    """Founding year within inclusive bounds; relative ages are resolved against a reference year."""

    kind: Literal["founded"] = "founded"
    min_year: int | None = None
    max_year: int | None = None


class NotCheck(_CheckBase):
    """Exclusion: met <-> not_met; unknown stays unknown (not knowing is not a pass)."""

    kind: Literal["not"] = "not"
    check: Check


class AnyOf(_CheckBase):
    """Alternatives across families ("North America or 500+ employees")."""

    kind: Literal["any_of"] = "any_of"
    checks: tuple[Check, ...]


class AllOf(_CheckBase):
    """Several facts in one clause ("B2B SaaS in the US with 200+ employees")."""

    kind: Literal["all_of"] = "all_of"
    checks: tuple[Check, ...]


Check = Annotated[
    RangeCheck | GeoCheck | IndustryCheck | TechCheck | FundingCheck | FoundedCheck | NotCheck | AnyOf | AllOf,
    Field(discriminator="kind"),
]
for _model in (NotCheck, AnyOf, AllOf):
    _model.model_rebuild()

LeafCheck = RangeCheck | GeoCheck | IndustryCheck | TechCheck | FundingCheck | FoundedCheck


def check_fields(check: Check) -> frozenset[str]:
    """The company fields a check reads; when all are missing the verdict can only be unknown."""
    if isinstance(check, RangeCheck):
        return frozenset({check.field, "description"})  # "a team of 35 people" when the field is empty
    if isinstance(check, GeoCheck):
        return frozenset({"country", "region", "city"})
    if isinstance(check, IndustryCheck):
        return frozenset({"industry", "tags", "description"})
    if isinstance(check, TechCheck):
        return frozenset({"technologies", "description"})
    if isinstance(check, FundingCheck):
        return frozenset({"funding_stage"})
    if isinstance(check, FoundedCheck):
        return frozenset({"founded_year"})
    if isinstance(check, NotCheck):
        return check_fields(check.check)
    return frozenset().union(*(check_fields(c) for c in check.checks))


def leaf_checks(check: Check) -> list[LeafCheck]:
    """Every leaf of a check tree (for lint and explanations)."""
    if isinstance(check, NotCheck):
        return leaf_checks(check.check)
    if isinstance(check, AnyOf | AllOf):
        return [leaf for c in check.checks for leaf in leaf_checks(c)]
    return [check]


# ---------------------------------------------------------------------------------------------
# Describing checks (for explanations, lint messages and summaries)
# ---------------------------------------------------------------------------------------------


def format_amount(field: str, value: float) -> str:
    """``employees`` as a plain count, ``revenue`` as "$12.5M": how an SDR reads them."""
    if field == "revenue":
        for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if value >= divisor:
                return f"${value / divisor:,.1f}".rstrip("0").rstrip(".") + suffix
        return f"${value:,.0f}"
    return f"{value:,.0f}"


def describe_check(check: Check) -> str:
    """A short human phrase for a check: "200–2,000 employees", "HQ in DACH", "not agency"."""
    return _describe(check)


@lru_cache(maxsize=4096)
def _describe(check: Check) -> str:
    if isinstance(check, RangeCheck):
        unit = " employees" if check.field == "employees" else " revenue"
        lo = None if check.minimum is None else format_amount(check.field, check.minimum)
        hi = None if check.maximum is None else format_amount(check.field, check.maximum)
        if lo and hi:
            return f"{lo}–{hi}{unit}"
        if lo:
            return f"{'at least' if check.min_inclusive else 'more than'} {lo}{unit}"
        return f"{'at most' if check.max_inclusive else 'under'} {hi}{unit}"
    if isinstance(check, GeoCheck):
        return "HQ in " + " or ".join(check.places)
    if isinstance(check, IndustryCheck):
        joiner = " and " if check.match == "all" else " or "
        return joiner.join(INDUSTRIES[k].label for k in check.industries)
    if isinstance(check, TechCheck):
        names = [*check.technologies, *(f"a {TECH_CATEGORIES[c][0]}" for c in check.categories)]
        return "uses " + (" and " if check.match == "all" else " or ").join(names)
    if isinstance(check, FundingCheck):
        return "funding " + "/".join(FUNDING_LABELS[s] for s in check.stages)
    if isinstance(check, FoundedCheck):
        if check.min_year is not None and check.max_year is not None:
            if check.min_year == check.max_year:
                return f"founded in {check.min_year}"
            return f"founded {check.min_year}–{check.max_year}"
        if check.min_year is not None:
            return f"founded in or after {check.min_year}"
        return f"founded in or before {check.max_year}"
    if isinstance(check, NotCheck):
        return f"not {describe_check(check.check)}"
    joiner = " or " if isinstance(check, AnyOf) else " and "
    return joiner.join(describe_check(c) for c in check.checks)


# ---------------------------------------------------------------------------------------------
