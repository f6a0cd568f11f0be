"""Column headers from CRM exports (HubSpot, Salesforce, Apollo, LinkedIn...) mapped onto canonical fields."""

from __future__ import annotations

import re

# Canonical field -> header spellings seen in CRM exports.
# Compared after lower-casing and dropping everything but letters and digits.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "company name", "company", "account name", "organization", "organization name", "account"),
    "domain": ("domain", "company domain name", "company domain", "domain name", "primary domain", "email domain"),
    "website": ("website", "website url", "company website", "url", "web site", "homepage"),
    "industry": ("industry", "industry type", "vertical", "sector", "primary industry"),
    "employees": (
        "employees",
        "number of employees",
        "employee count",
        "employees count",
        "headcount",
        "company size",
        "num employees",
        "no of employees",
        "size",
    ),
    "revenue": ("revenue", "annual revenue", "arr", "annual recurring revenue", "revenue usd", "estimated revenue"),
    "country": ("country", "country region", "billing country", "hq country", "headquarters country"),
    "region": ("region", "state", "state region", "state province", "province", "billing state", "hq state"),
    "city": ("city", "billing city", "hq city", "headquarters city"),
    "description": ("description", "about", "company description", "about us", "summary", "overview"),
    "tags": ("tags", "keywords", "labels", "segments tags"),
    "technologies": ("technologies", "tech stack", "technology", "technographics", "tools", "installed technologies"),
    "funding_stage": (
        "funding stage",
        "funding",
        "latest funding stage",
        "last funding type",
        "stage",
        "funding round",
    ),
    "founded_year": ("founded year", "year founded", "founded", "founding year"),
}
_ALIAS_INDEX = {
    re.sub(r"[^a-z0-9]", "", alias): field for field, aliases in HEADER_ALIASES.items() for alias in aliases
}
_ALIAS_INDEX.update({re.sub(r"[^a-z0-9]", "", field): field for field in HEADER_ALIASES})


def map_header(header: str) -> str | None:
    """The canonical field a column header means, or None when it is not one the product reads."""
    if len(header) > 200:  # no alias is anywhere near this long; skip the work for hostile headers
        return None
    return _ALIAS_INDEX.get(re.sub(r"[^a-z0-9]", "", header.lower()))
