"""One mapped row to a validated :class:`~icp.domain.CompanyProfile`: numbers, lists, text and bounds.

Numbers are read as people write them ("1,250", "$12.5M", "1.2k", "51-200", "1.2E+09"); in a file
whose decimal mark is a comma ("1.250" is 1250, "12,5" is 12.5). Every value is bounded (see
:mod:`icp.importing._limits`) and every problem is a ``ValueError`` whose message is the row's reason.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from icp.domain import CompanyProfile
from icp.importing._limits import (
    MAX_EMPLOYEES,
    MAX_LIST_ITEMS,
    MAX_NUMBER_CHARS,
    MAX_REVENUE,
    MIN_FOUNDED_YEAR,
    max_founded_year,
)
from icp.importing._text import clean_text

LIST_FIELDS = ("tags", "technologies")

_SCALE = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
_NUMBER = re.compile(r"^\$?(\d+(?:[.,]\d+)*)(?:e([+-]?\d{1,4}))?([a-z]+)?\+?$")
_THOUSANDS_POINT = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")  # 1.250.000,50
_THOUSANDS_COMMA = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")  # 1,250,000.50
_SINGLE_MARK = re.compile(r"\d+[.,]\d+")
_THOUSANDS_COMMA_ONLY = re.compile(r"\d{1,3}(?:,\d{3})+")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}…{text[-6:]} ({len(text):,} characters)"


def _digits_to_float(digits: str, decimal_comma: bool) -> float | None:
    """'1,250' / '1.250' / '12,5' as a float under the file's convention, or None if it fits neither."""
    own, other = (_THOUSANDS_POINT, _THOUSANDS_COMMA) if decimal_comma else (_THOUSANDS_COMMA, _THOUSANDS_POINT)
    thousands, decimal = (".", ",") if decimal_comma else (",", ".")
    if own.fullmatch(digits):
        return float(digits.replace(thousands, "").replace(decimal, "."))
    if digits.isdigit() or _SINGLE_MARK.fullmatch(digits):
        # One mark that cannot be a thousands separator here ("1.5", or "1,5" with a decimal comma).
        return float(digits.replace(",", "."))
    if other.fullmatch(digits) and (digits.count(decimal) >= 2 or thousands in digits):
        # The other convention, unambiguously: "1.250.000" in a comma-decimal file or "1,250.50".
        mark, point = (",", ".") if decimal_comma else (".", ",")
        return float(digits.replace(mark, "").replace(point, "."))
    return None


def parse_amount(value: Any, field: str, *, decimal_comma: bool = False) -> float | None:
    """A non-negative finite number from a cell or JSON value; None for an empty one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{field}: {_show(value)} is not a number")
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) <= MAX_NUMBER_CHARS:
        number = float(value)  # the common case: plain digits
    elif isinstance(value, int):
        number = float(value) if abs(value) < 10**300 else math.inf
    elif isinstance(value, float):
        number = value
    else:
        text = value.strip().lower().replace("usd", "").replace("us$", "$").replace(" ", "").replace("\u00a0", "")
        if len(text) > MAX_NUMBER_CHARS:
            if re.fullmatch(r"\$?[\d.,]+", text):
                raise ValueError(f"{field}: a {len(text):,}-digit number is out of range")
            raise ValueError(f"{field}: {_show(value)} is not a number")
        range_parts = re.split(r"(?:-|–|—|to)", text)
        if len(range_parts) == 2 and all(range_parts):
            # A range such as "201-500" (LinkedIn size bands): use its midpoint.
            low, high = (parse_amount(p, field, decimal_comma=decimal_comma) for p in range_parts)
            if low is None or high is None:
                raise ValueError(f"{field}: {_show(value)} is not a number")
            return (low + high) / 2
        match = _NUMBER.match(text)
        parsed = _digits_to_float(match.group(1), decimal_comma) if match else None
        if match is None or parsed is None or (match.group(3) and match.group(3) not in _SCALE):
            raise ValueError(f"{field}: {_show(value)} is not a number")
        _, exponent, suffix = match.groups()
        number = parsed * (float(f"1e{exponent}") if exponent else 1.0) * (_SCALE[suffix] if suffix else 1.0)
    if math.isnan(number):
        raise ValueError(f"{field}: {_show(value)} is not a number")
    if number < 0:
        raise ValueError(f"{field}: {_show(value)} is negative")
    if math.isinf(number):
        raise ValueError(f"{field}: {_show(value)} is out of range")
    return number


def _bounded(value: Any, field: str, low: float, high: float, *, decimal_comma: bool) -> float | None:
    try:
        number = parse_amount(value, field, decimal_comma=decimal_comma)
    except ValueError as exc:
        if str(exc).endswith("out of range"):
            raise ValueError(f"{exc} (allowed: {low:,.0f} to {high:,.0f})") from None
        raise
    if number is not None and not low <= number <= high:
        raise ValueError(f"{field}: {_show(value)} is out of range (allowed: {low:,.0f} to {high:,.0f})")
    return number


def _parse_list(value: Any, field: str, notes: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST_ITEMS:
            raise ValueError(f"{field} has {len(value):,} items; the limit is {MAX_LIST_ITEMS:,}")
        items = [clean_text(_scalar_text(v, field), field, notes).strip() for v in value]
    else:
        text = clean_text(_scalar_text(value, field), field, notes).strip()
        if text.startswith("["):
            try:
                decoded = json.loads(text)
            except (ValueError, RecursionError):
                decoded = None
            if isinstance(decoded, list) and all(isinstance(v, (str, int, float)) for v in decoded):
                return _parse_list(decoded, field, notes)
        items = [part.strip() for part in re.split(r"[;|\n]", text)]
        if len(items) > MAX_LIST_ITEMS:
            raise ValueError(f"{field} has {len(items):,} items; the limit is {MAX_LIST_ITEMS:,}")
    seen: dict[str, str] = {}
    for item in items:
        if item and item.casefold() not in seen:
            seen[item.casefold()] = item
    return list(seen.values())


def _scalar_text(value: Any, field: str) -> str:
    if isinstance(value, (dict, list, tuple)):
        raise ValueError(f"{field}: expected text, got a JSON {'object' if isinstance(value, dict) else 'list'}")
    return value if isinstance(value, str) else str(value)


def clean_str(value: Any) -> str | None:
    """A cell as text with runs of whitespace collapsed; None for an empty cell."""
    if value is None:
        return None
    text = " ".join(str(value).split()) if not isinstance(value, str) or "\n" not in value else value.strip()
    return text or None


def _text_field(row: Mapping[str, Any], field: str, notes: list[str]) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    return clean_str(clean_text(_scalar_text(value, field), field, notes, keep_controls=field == "domain"))


def read_company(row: Mapping[str, Any], *, decimal_comma: bool = False) -> tuple[CompanyProfile, list[str]]:
    """Validate one mapped row into a CompanyProfile, with notes worth a warning.

    Raises ValueError whose message is the row's reason (every problem found, joined by '; ').
    """
    if "__invalid__" in row:
        raise ValueError(f"not a company object: {_show(row['__invalid__'])}")
    if "__error__" in row:
        raise ValueError(str(row["__error__"]))
    notes: list[str] = []
    problems: list[str] = []
    failed: set[str] = set()
    data: dict[str, Any] = {}
    for field in ("name", "domain", "website", "industry", "country", "region", "city", "funding_stage"):
        try:
            data[field] = _text_field(row, field, notes)
        except ValueError as exc:
            problems.append(str(exc))
            failed.add(field)
            data[field] = None
    try:
        description = row.get("description")
        data["description"] = (
            clean_text(_scalar_text(description, "description"), "description", notes).strip() or None
            if description is not None
            else None
        )
    except ValueError as exc:
        problems.append(str(exc))
    name, domain_raw, website = data["name"], data["domain"], data["website"]
    if not domain_raw and website:
        domain_raw = website
    if not name and not domain_raw and not problems:
        raise ValueError("missing company name and domain")
    if not name and "name" not in failed:
        problems.append("missing company name")
    if not domain_raw and not failed & {"domain", "website"}:
        problems.append("missing domain (and no website to take it from)")
    if domain_raw and "@" in domain_raw and "://" not in domain_raw:
        notes.append(f"domain: took the domain from the e-mail address {domain_raw!r}")
    data["domain"] = domain_raw
    for field in LIST_FIELDS:
        try:
            data[field] = tuple(_parse_list(row.get(field), field, notes))
        except ValueError as exc:
            problems.append(str(exc))
    bounds = {
        "employees": (0, MAX_EMPLOYEES),
        "revenue": (0, MAX_REVENUE),
        "founded_year": (MIN_FOUNDED_YEAR, max_founded_year()),
    }
    for field, (low, high) in bounds.items():
        value = row.get(field)
        # A count cannot be fractional: "1,250" employees is 1250 even where the decimal mark is a comma.
        comma = decimal_comma and not (
            field != "revenue" and isinstance(value, str) and _THOUSANDS_COMMA_ONLY.fullmatch(value.strip())
        )
        try:
            number = _bounded(value, field, low, high, decimal_comma=comma)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        data[field] = number if number is None or field == "revenue" else int(round(number))
    if problems:
        raise ValueError("; ".join(problems))
    try:
        return CompanyProfile.model_validate(data), notes
    except ValidationError as exc:
        reasons = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            reasons.append(f"{field}: {err['msg'].removeprefix('Value error, ')}")
        raise ValueError("; ".join(reasons)) from exc


def profile_from_mapped(row: Mapping[str, Any], *, decimal_comma: bool = False) -> CompanyProfile:
    """Validate one mapped row into a CompanyProfile; raises ValueError with a readable reason."""
    return read_company(row, decimal_comma=decimal_comma)[0]
