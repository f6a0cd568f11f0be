"""Reading company files: CSV, JSON and JSONL, with CRM header mapping and row-level errors.

- Headers from common CRM exports ("Company name", "Company Domain Name", "Number of Employees",
  "Country/Region", ...) map onto the canonical fields; unknown columns are ignored and listed.
- Numbers are read as people write them ("1,250", "$12.5M", "1.2k", "51-200").
- A file that cannot be parsed at all is refused whole with :class:`~icp.errors.InputError`; a bad row
  becomes a :class:`RowError` with its row number and reason.

Nothing here touches the database; :mod:`icp.companies` stores what this reads.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from icp.domain import CompanyProfile
from icp.errors import InputError

FileFormat = Literal["csv", "json", "jsonl"]

# Canonical field -> header spellings seen in CRM exports (HubSpot, Salesforce, Apollo, LinkedIn...).
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

LIST_FIELDS = ("tags", "technologies")


def map_header(header: str) -> str | None:
    """The canonical field a column header means, or None when it is not one the product reads."""
    return _ALIAS_INDEX.get(re.sub(r"[^a-z0-9]", "", header.lower()))


class RowError(BaseModel):
    """Why one input row was rejected."""

    row: int = Field(description="Row number as a spreadsheet shows it (header is row 1) or JSON item/line number.")
    reason: str
    name: str | None = None
    domain: str | None = None


class ParsedRows(BaseModel):
    """Rows read from a file before validation, with the header mapping used."""

    rows: list[tuple[int, dict[str, Any]]]
    mapping: dict[str, str]
    ignored_columns: list[str]


def detect_format(filename: str) -> FileFormat:
    """Choose the parser from the file extension."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix == ".json":
        return "json"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise InputError(f"Cannot tell the format of {filename!r}: use a .csv, .json or .jsonl file.")


def _decode(data: bytes, source: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{source} is not a text file (could not decode it as UTF-8). Nothing was imported.")


def _map_keys(keys: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    taken: set[str] = set()
    for key in keys:
        field = map_header(key)
        if field is None or field in taken:
            ignored.append(key)
        else:
            mapping[key] = field
            taken.add(field)
    return mapping, ignored


def parse_rows(data: bytes, filename: str, fmt: FileFormat | None = None) -> ParsedRows:
    """Read raw rows and map headers. Raises :class:`InputError` when the file cannot be parsed at all."""
    fmt = fmt or detect_format(filename)
    text = _decode(data, filename)
    if not text.strip():
        raise InputError(f"{filename} is empty. Nothing was imported.")
    raw: list[tuple[int, Mapping[str, Any]]] = []
    if fmt == "csv":
        sample = text[:4096]
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        headers = reader.fieldnames or []
        if not headers or all(map_header(h) is None for h in headers):
            raise InputError(
                f"{filename} has no recognisable header row (got {', '.join(headers[:8]) or 'nothing'}). "
                "Expected columns such as 'Company name', 'Company Domain Name' or name, domain, employees."
            )
        try:
            for row in reader:
                extra = row.pop(None, None)
                if extra:
                    row["__extra__"] = extra
                raw.append((reader.line_num, row))
        except csv.Error as exc:
            raise InputError(f"{filename} is not valid CSV near line {reader.line_num}: {exc}.") from exc
    elif fmt == "json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{filename} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
                "Nothing was imported."
            ) from exc
        if isinstance(doc, dict) and isinstance(doc.get("companies"), list):
            doc = doc["companies"]
        if not isinstance(doc, list):
            raise InputError(f"{filename} must hold a JSON list of company objects (or {{'companies': [...]}}).")
        raw = [(i, item if isinstance(item, Mapping) else {"__invalid__": item}) for i, item in enumerate(doc, 1)]
    else:
        parsed_any = False
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raw.append((number, {"__invalid__": f"not valid JSON ({exc.msg})"}))
                continue
            parsed_any = True
            raw.append((number, item if isinstance(item, Mapping) else {"__invalid__": item}))
        if not parsed_any:
            raise InputError(f"{filename} has no valid JSON lines. Nothing was imported.")
    keys: list[str] = []
    for _, item in raw:
        for key in item:
            if key not in keys and not key.startswith("__"):
                keys.append(key)
    mapping, ignored = _map_keys(keys)
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, item in raw:
        mapped: dict[str, Any] = {mapping[k]: v for k, v in item.items() if k in mapping}
        for special in ("__invalid__", "__extra__"):
            if special in item:
                mapped[special] = item[special]
        if "signals" in item:
            mapped["signals"] = item["signals"]
        rows.append((number, mapped))
    return ParsedRows(rows=rows, mapping=mapping, ignored_columns=[c for c in ignored if c != "signals"])


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
_NUMBER = re.compile(r"^\$?\s*(\d+(?:[.,]\d+)*)\s*([a-z]+)?\+?$")


def _parse_amount(value: Any, field: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{field}: {value!r} is not a number")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"{field}: {value} is negative")
        return float(value)
    text = str(value).strip().lower().replace("usd", "").replace("us$", "$").strip()
    range_parts = re.split(r"\s*(?:-|–|—|to)\s*", text)
    if len(range_parts) == 2 and all(range_parts):
        # A range such as "201-500" (LinkedIn size bands): use its midpoint.
        low, high = (_parse_amount(p, field) for p in range_parts)
        if low is None or high is None:
            raise ValueError(f"{field}: {value!r} is not a number")
        return (low + high) / 2
    match = _NUMBER.match(text.replace(" ", ""))
    if not match:
        raise ValueError(f"{field}: {value!r} is not a number")
    digits, suffix = match.groups()
    if suffix and suffix not in _SCALE:
        raise ValueError(f"{field}: {value!r} is not a number")
    if "," in digits and "." not in digits and re.fullmatch(r"\d{1,3}(,\d{3})+", digits) is None:
        digits = digits.replace(",", ".")  # "1,5" written with a decimal comma
    number = float(digits.replace(",", ""))
    return number * (_SCALE[suffix] if suffix else 1.0)


def _parse_int(value: Any, field: str) -> int | None:
    amount = _parse_amount(value, field)
    return None if amount is None else int(round(amount))


def _parse_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        text = str(value).strip()
        if text.startswith("["):
            try:
                decoded = json.loads(text)
            except json.JSONDecodeError:
                decoded = None
            if isinstance(decoded, list):
                return _parse_list(decoded)
        items = [part.strip() for part in re.split(r"[;|\n]", text)]
    seen: list[str] = []
    for item in items:
        if item and item.casefold() not in {s.casefold() for s in seen}:
            seen.append(item)
    return seen


def clean_str(value: Any) -> str | None:
    """A cell as text with runs of whitespace collapsed; None for an empty cell."""
    if value is None:
        return None
    text = " ".join(str(value).split()) if not isinstance(value, str) or "\n" not in value else value.strip()
    return text or None


def profile_from_mapped(row: Mapping[str, Any]) -> CompanyProfile:
    """Validate one mapped row into a CompanyProfile; raises ValueError with a readable reason."""
    if "__invalid__" in row:
        raise ValueError(f"not a company object: {row['__invalid__']!r}")
    name = clean_str(row.get("name"))
    domain_raw = clean_str(row.get("domain"))
    website = clean_str(row.get("website"))
    if not domain_raw and website:
        domain_raw = website
    problems: list[str] = []
    if not name and not domain_raw:
        raise ValueError("missing company name and domain")
    if not name:
        problems.append("missing company name")
    if not domain_raw:
        problems.append("missing domain (and no website to take it from)")
    data: dict[str, Any] = {"name": name, "domain": domain_raw, "website": website}
    for field in ("industry", "country", "region", "city", "funding_stage"):
        data[field] = clean_str(row.get(field))
    description = row.get("description")
    data["description"] = str(description).strip() or None if description is not None else None
    for field in LIST_FIELDS:
        data[field] = tuple(_parse_list(row.get(field)))
    for field, parser in (("employees", _parse_int), ("revenue", _parse_amount), ("founded_year", _parse_int)):
        try:
            data[field] = parser(row.get(field), field)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError("; ".join(problems))
    try:
        return CompanyProfile.model_validate(data)
    except ValidationError as exc:
        reasons = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            reasons.append(f"{field}: {err['msg'].removeprefix('Value error, ')}")
        raise ValueError("; ".join(reasons)) from exc
