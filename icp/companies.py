"""Companies in the store: upsert from imported rows, signals, and queries.

Import rules:

- Companies are upserted by normalised domain (``https://www.Acme.com/`` is ``acme.com``); a row
  without a domain takes it from its website.
- Every bad row is reported with its row number and reason. By default the good rows land; with
  ``all_or_nothing=True`` nothing lands when any row is bad.

Reading files (CSV, JSON, JSONL) and mapping CRM headers is :mod:`icp.importing`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, insert, or_
from sqlalchemy import update as sa_update
from sqlmodel import Session, col, select

from icp.domain import CompanyProfile, Signal, normalize_domain
from icp.errors import InputError, NotFoundError
from icp.importing import (
    FileFormat,
    ParsedRows,
    ParsedSignals,
    RowError,
    RowWarning,
    parse_rows,
    parse_signal_rows,
    read_company,
    read_signal_list,
    read_signal_row,
)
from icp.store.tables import Company, utcnow
from icp.store.tables import Signal as SignalRow
from icp.team.audit import record, record_import
from icp.team.roles import LOCAL_OPERATOR, Actor, Permission, require


class ImportReport(BaseModel):
    """The outcome of an import; ``rejected`` rows are listed in ``errors``."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = Field(default_factory=list)
    warnings: list[RowWarning] = Field(default_factory=list, description="Worth checking; did not stop a row.")
    mapping: dict[str, str] = Field(default_factory=dict, description="Source header -> canonical field.")
    ignored_columns: list[str] = Field(default_factory=list)
    committed: bool = True

    @property
    def total(self) -> int:
        """Rows read."""
        return self.created + self.updated + self.unchanged + self.rejected

    @property
    def landed(self) -> int:
        """Rows now in the store as the file has them (created, updated or already unchanged)."""
        return self.created + self.updated + self.unchanged if self.committed else 0


class SignalImportReport(BaseModel):
    """The outcome of a signals import; ``rejected`` rows are listed in ``errors``."""

    imported: int = 0
    rejected: int = 0
    errors: list[RowError] = Field(default_factory=list)
    warnings: list[RowWarning] = Field(default_factory=list)
    ignored_columns: list[str] = Field(default_factory=list)
    committed: bool = True


def _brief(value: Any) -> str | None:
    """A name or domain as echoed in a row error: short, one line, no control characters."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = "".join(ch for ch in str(value)[:200] if ch.isprintable())
    text = " ".join(text.split())
    return (text if len(text) <= 120 else text[:119] + "…") or None


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"File not found: {path}") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} is a folder; give a .csv, .json or .jsonl file.") from exc
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror or exc}. Nothing was imported.") from exc


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


def import_rows(
    session: Session,
    parsed: ParsedRows,
    *,
    all_or_nothing: bool = False,
    actor: Actor = LOCAL_OPERATOR,
    source: str = "",
) -> ImportReport:
    """Validate mapped rows and upsert the good ones (or none, with ``all_or_nothing``).

    ``source`` (a file name) is what the audit trail says was imported.
    """
    require(actor, Permission.IMPORT_DATA)
    report = ImportReport(
        mapping=parsed.mapping, ignored_columns=parsed.ignored_columns, warnings=list(parsed.warnings)
    )
    good: list[CompanyProfile] = []
    signals: dict[str, list[Signal]] = {}
    first_seen: dict[str, int] = {}
    now = datetime.now(UTC)
    for number, row in parsed.rows:
        try:
            profile, notes = read_company(row, decimal_comma=parsed.decimal_comma)
            row_signals = read_signal_list(row.get("signals"), now=now)
        except ValueError as exc:
            report.errors.append(
                RowError(row=number, reason=str(exc), name=_brief(row.get("name")), domain=_brief(row.get("domain")))
            )
            continue
        if profile.domain in first_seen:
            report.errors.append(
                RowError(
                    row=number,
                    reason=f"duplicate domain {profile.domain} (first seen on row {first_seen[profile.domain]})",
                    name=_brief(profile.name),
                    domain=profile.domain,
                )
            )
            continue
        report.warnings.extend(RowWarning(row=number, message=note) for note in notes)
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
    record_import(session, actor=actor, what="companies", object_type="company", source=source, report=report)
    session.commit()
    return report


def import_companies(
    session: Session,
    path: Path | str,
    *,
    all_or_nothing: bool = False,
    fmt: FileFormat | None = None,
    actor: Actor = LOCAL_OPERATOR,
) -> ImportReport:
    """Import a CSV, JSON or JSONL file of companies. See the module docstring for the rules."""
    path = Path(path)
    return import_rows(
        session,
        parse_rows(_read_file(path), path.name, fmt),
        all_or_nothing=all_or_nothing,
        actor=actor,
        source=path.name,
    )


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


def import_signal_rows(
    session: Session,
    parsed: ParsedSignals,
    *,
    all_or_nothing: bool = False,
    actor: Actor = LOCAL_OPERATOR,
    source: str = "",
) -> SignalImportReport:
    """Validate signal rows, match them to stored companies and add the good ones (or none)."""
    require(actor, Permission.IMPORT_DATA)
    report = SignalImportReport(ignored_columns=parsed.ignored_columns, warnings=list(parsed.warnings))
    good: list[tuple[int, str, Signal]] = []
    now = datetime.now(UTC)
    for number, row in parsed.rows:
        try:
            domain, signal, notes = read_signal_row(row, now=now, decimal_comma=parsed.decimal_comma)
        except ValueError as exc:
            report.errors.append(RowError(row=number, reason=str(exc), domain=_brief(row.get("domain"))))
            continue
        report.warnings.extend(RowWarning(row=number, message=note) for note in notes)
        good.append((number, domain, signal))
    known = _existing_by_domain(session, {domain for _, domain, _ in good})
    by_domain: dict[str, list[Signal]] = {}
    for number, domain, signal in good:
        if domain not in known:
            report.errors.append(
                RowError(
                    row=number,
                    reason=f"no company with domain {domain}; import the company first (icp companies import FILE)",
                    domain=domain,
                )
            )
            continue
        by_domain.setdefault(domain, []).append(signal)
    report.errors.sort(key=lambda e: e.row)
    report.rejected = len(report.errors)
    if all_or_nothing and report.errors:
        report.committed = False
        return report
    report.imported = add_signals(session, by_domain)
    record(
        session,
        actor=actor,
        action="import.signals",
        object_type="signal",
        summary=f"imported signals{f' from {source}' if source else ''}: {report.imported} added, "
        f"{report.rejected} rejected",
        after={"source": source, "imported": report.imported, "rejected": report.rejected},
    )
    session.commit()
    return report


def import_signals(
    session: Session,
    path: Path | str,
    *,
    all_or_nothing: bool = False,
    fmt: FileFormat | None = None,
    actor: Actor = LOCAL_OPERATOR,
) -> SignalImportReport:
    """Import signals from JSONL, a JSON list or CSV: domain, type, topic, strength, observed_at or days_ago.

    Same contract as companies: every bad row (including an unknown domain) is reported with its row
    number and reason and the good rows land; with ``all_or_nothing`` nothing lands when any row is bad.
    Raises InputError when the file cannot be read at all (missing, binary, empty, not JSON).
    """
    path = Path(path)
    parsed = parse_signal_rows(_read_file(path), path.name, fmt)
    return import_signal_rows(session, parsed, all_or_nothing=all_or_nothing, actor=actor, source=path.name)


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
    """Companies by name; ``search`` matches name, domain or industry (case-insensitive substring).

    Domains are stored in their IDNA form, so a search for ``münchen.de`` also looks for ``xn--mnchen-3ya.de``.
    """
    stmt = select(Company)
    if search:
        like = f"%{search.strip().lower()}%"
        matches = [
            func.lower(Company.name).like(like),
            func.lower(Company.domain).like(like),
            func.lower(func.coalesce(Company.industry, "")).like(like),
        ]
        if not search.isascii():
            matches.append(col(Company.domain).like(f"%{normalize_domain(search)}%"))
        stmt = stmt.where(or_(*matches))
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
