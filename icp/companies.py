"""Companies in the store: upsert from imported rows, signals, and queries.

Import rules:

- Companies are upserted by normalised domain (``https://www.Acme.com/`` is ``acme.com``); a row
  without a domain takes it from its website.
- Every bad row is reported with its row number and reason. By default the good rows land; with
  ``all_or_nothing=True`` nothing lands when any row is bad.

Reading files (CSV, JSON, JSONL) and mapping CRM headers is :mod:`icp.importing`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, insert, or_
from sqlalchemy import update as sa_update
from sqlmodel import Session, col, select

from icp.domain import CompanyProfile, Signal, normalize_domain
from icp.errors import InputError, NotFoundError
from icp.importing import FileFormat, ParsedRows, RowError, clean_str, parse_rows, profile_from_mapped
from icp.store.tables import Company, utcnow
from icp.store.tables import Signal as SignalRow


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
                    row=number, reason=str(exc), name=clean_str(row.get("name")), domain=clean_str(row.get("domain"))
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
