"""Company import (CSV, JSON, JSONL) with CRM header mapping and row-level errors; company queries.

Import rules:

- Headers from common CRM exports ("Company name", "Company Domain Name", "Number of Employees",
  "Country/Region", ...) map onto the canonical fields; unknown columns are ignored and listed.
- Companies are upserted by normalised domain (``https://www.Acme.com/`` is ``acme.com``); a row
  without a domain takes it from its website.
- Every bad row is reported with its row number and reason. By default the good rows land; with
  ``all_or_nothing=True`` nothing lands when any row is bad.
- A file that cannot be parsed at all is refused whole with :class:`~icp.errors.InputError`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, insert, or_
from sqlalchemy import update as sa_update
from sqlmodel import Session, col, select

from icp.domain import CompanyProfile, Signal, normalize_domain
from icp.errors import InputError, NotFoundError
from icp.store.tables import Company, utcnow
from icp.store.tables import Signal as SignalRow

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


class ImportReport(BaseModel):
    """The outcome of an import; ``rejected`` rows are listed in ``errors``."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = Field(default_factory=list)
    mapping: dict[str, str] = Field(default_factory=dict, description="Source header -> canonical field.")
    ignored_columns: list[str] = Field(default_factory=list)
    committed: bool = True

    @property
    def total(self) -> int:
        """Rows read."""
        return self.created + self.updated + self.unchanged + self.rejected


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


def _clean_str(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split()) if not isinstance(value, str) or "\n" not in value else value.strip()
    return text or None


def profile_from_mapped(row: Mapping[str, Any]) -> CompanyProfile:
    """Validate one mapped row into a CompanyProfile; raises ValueError with a readable reason."""
    if "__invalid__" in row:
        raise ValueError(f"not a company object: {row['__invalid__']!r}")
    name = _clean_str(row.get("name"))
    domain_raw = _clean_str(row.get("domain"))
    website = _clean_str(row.get("website"))
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
        data[field] = _clean_str(row.get(field))
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


def _profile_columns(profile: CompanyProfile) -> dict[str, Any]:
    data = profile.model_dump()
    data["tags"] = list(profile.tags)
    data["technologies"] = list(profile.technologies)
    data["content_hash"] = profile.content_hash()
    return data


def _existing_by_domain(session: Session, domains: Iterable[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    domain_list = list(domains)
    for start in range(0, len(domain_list), 500):
        chunk = domain_list[start : start + 500]
        stmt = select(Company.domain, Company.id, Company.content_hash).where(col(Company.domain).in_(chunk))
        for domain, company_id, chash in session.exec(stmt):
            assert company_id is not None
            found[domain] = (company_id, chash)
    return found


def upsert_companies(
    session: Session, profiles: Sequence[CompanyProfile], report: ImportReport | None = None
) -> ImportReport:
    """Insert new companies, update changed ones, count unchanged ones. Does not commit."""
    report = report or ImportReport()
    existing = _existing_by_domain(session, (p.domain for p in profiles))
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    for profile in profiles:
        columns = _profile_columns(profile)
        current = existing.get(profile.domain)
        if current is None:
            inserts.append({**columns, "created_at": now, "updated_at": now})
            report.created += 1
        elif current[1] == columns["content_hash"]:
            report.unchanged += 1
        else:
            session.execute(sa_update(Company).where(col(Company.id) == current[0]).values(**columns, updated_at=now))
            report.updated += 1
    for start in range(0, len(inserts), 2000):
        session.execute(Company.__table__.insert(), inserts[start : start + 2000])  # type: ignore[attr-defined]
    return report


def import_rows(session: Session, parsed: ParsedRows, *, all_or_nothing: bool = False) -> ImportReport:
    """Validate mapped rows and upsert the good ones (or none, with ``all_or_nothing``)."""
    report = ImportReport(mapping=parsed.mapping, ignored_columns=parsed.ignored_columns)
    good: list[CompanyProfile] = []
    signals: dict[str, list[Signal]] = {}
    first_seen: dict[str, int] = {}
    for number, row in parsed.rows:
        try:
            profile = profile_from_mapped(row)
            row_signals = _signals_from(row.get("signals"))
        except ValueError as exc:
            report.errors.append(
                RowError(
                    row=number, reason=str(exc), name=_clean_str(row.get("name")), domain=_clean_str(row.get("domain"))
                )
            )
            continue
        if profile.domain in first_seen:
            report.errors.append(
                RowError(
                    row=number,
                    reason=f"duplicate domain {profile.domain} (first seen on row {first_seen[profile.domain]})",
                    name=profile.name,
                    domain=profile.domain,
                )
            )
            continue
        first_seen[profile.domain] = number
        good.append(profile)
        if row_signals:
            signals[profile.domain] = row_signals
    report.rejected = len(report.errors)
    if all_or_nothing and report.errors:
        report.committed = False
        return report
    upsert_companies(session, good, report)
    if signals:
        add_signals(session, signals)
    session.commit()
    return report


def import_companies(
    session: Session, path: Path | str, *, all_or_nothing: bool = False, fmt: FileFormat | None = None
) -> ImportReport:
    """Import a CSV, JSON or JSONL file of companies. See the module docstring for the rules."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"File not found: {path}") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} is a folder; give a .csv, .json or .jsonl file.") from exc
    return import_rows(session, parse_rows(data, path.name, fmt), all_or_nothing=all_or_nothing)


def _signals_from(value: Any) -> list[Signal]:
    if not value:
        return []
    if not isinstance(value, list):
        raise ValueError("signals must be a list of objects with type, topic, strength, observed_at")
    try:
        return [Signal.model_validate(_resolve_days_ago(item)) for item in value]
    except ValidationError as exc:
        raise ValueError(f"signals: {exc.errors()[0]['msg']}") from exc


def _resolve_days_ago(item: Any) -> Any:
    if isinstance(item, Mapping) and "days_ago" in item and "observed_at" not in item:
        data = {k: v for k, v in item.items() if k not in ("days_ago", "domain")}
        data["observed_at"] = datetime.now(UTC) - timedelta(days=float(item["days_ago"]))
        return data
    if isinstance(item, Mapping):
        return {k: v for k, v in item.items() if k != "domain"}
    return item


def add_signals(session: Session, signals_by_domain: Mapping[str, Sequence[Signal]]) -> int:
    """Attach signals to companies by domain; unknown domains raise NotFoundError. Does not commit."""
    ids = {d: cid for d, (cid, _) in _existing_by_domain(session, signals_by_domain).items()}
    missing = sorted(set(signals_by_domain) - set(ids))
    if missing:
        raise NotFoundError(f"No company with domain {', '.join(missing[:5])}; import the companies first.")
    rows = [
        {**signal.model_dump(), "company_id": ids[domain], "created_at": utcnow()}
        for domain, items in signals_by_domain.items()
        for signal in items
    ]
    if rows:
        session.execute(insert(SignalRow), rows)
    return len(rows)


def import_signals(session: Session, path: Path | str) -> int:
    """Import signals from JSONL/JSON objects with domain, type, topic, strength and observed_at or days_ago."""
    path = Path(path)
    parsed: dict[str, list[Signal]] = {}
    text = path.read_text(encoding="utf-8")
    items: list[Any]
    if path.suffix.lower() == ".json":
        items = json.loads(text)
    else:
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping) or not item.get("domain"):
            raise InputError(f"{path.name} item {number}: each signal needs a domain.")
        try:
            signal = Signal.model_validate(_resolve_days_ago(item))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            hint = " (give observed_at, an ISO date, or days_ago)" if "observed_at" in problems else ""
            raise InputError(f"{path.name} item {number}: {problems}{hint}. Nothing was imported.") from exc
        parsed.setdefault(normalize_domain(str(item["domain"])), []).append(signal)
    count = add_signals(session, parsed)
    session.commit()
    return count


def profile_of(row: Company) -> CompanyProfile:
    """The evaluator's view of a stored company (stored rows were validated on the way in)."""
    return CompanyProfile.model_construct(
        name=row.name,
        domain=row.domain,
        website=row.website,
        industry=row.industry,
        employees=row.employees,
        revenue=row.revenue,
        country=row.country,
        region=row.region,
        city=row.city,
        description=row.description,
        tags=tuple(row.tags or ()),
        technologies=tuple(row.technologies or ()),
        funding_stage=row.funding_stage,
        founded_year=row.founded_year,
    )


class CompanyInfo(BaseModel):
    """A company as listed to people and scripts."""

    id: int
    name: str
    domain: str
    industry: str | None
    employees: int | None
    revenue: float | None
    country: str | None
    region: str | None
    city: str | None
    funding_stage: str | None
    founded_year: int | None
    technologies: list[str]
    tags: list[str]
    description: str | None
    updated_at: datetime


def _info(row: Company) -> CompanyInfo:
    return CompanyInfo.model_validate(row, from_attributes=True)


def list_companies(
    session: Session, *, search: str | None = None, limit: int | None = 100, offset: int = 0
) -> list[CompanyInfo]:
    """Companies by name; ``search`` matches name, domain or industry (case-insensitive substring)."""
    stmt = select(Company)
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Company.name).like(like),
                func.lower(Company.domain).like(like),
                func.lower(func.coalesce(Company.industry, "")).like(like),
            )
        )
    stmt = stmt.order_by(func.lower(Company.name)).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_info(row) for row in session.exec(stmt)]


def count_companies(session: Session) -> int:
    """How many companies are stored."""
    return int(session.exec(select(func.count()).select_from(Company)).one())


def get_company(session: Session, domain: str) -> Company:
    """A company by domain (any URL or spelling of it)."""
    row = session.exec(select(Company).where(Company.domain == normalize_domain(domain))).first()
    if row is None:
        raise NotFoundError(f"No company with domain {normalize_domain(domain)!r}. See `icp companies list`.")
    return row


def company_signals(session: Session, company_id: int) -> list[Signal]:
    """A company's signals, newest first."""
    stmt = select(SignalRow).where(SignalRow.company_id == company_id).order_by(col(SignalRow.observed_at).desc())
    return [
        Signal(type=s.type, topic=s.topic, strength=s.strength, observed_at=s.observed_at) for s in session.exec(stmt)
    ]
