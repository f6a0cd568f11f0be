"""Storing deals as outcomes: matched to companies by domain, then by name; upserted by deal id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from icp.domain import normalize_domain
from icp.importing import RowError
from icp.outcomes._deals import Deal
from icp.store.tables import Company, Outcome, utcnow
from icp.team.audit import record_import
from icp.team.roles import LOCAL_OPERATOR, Actor, Permission, require


class OutcomeImportReport(BaseModel):
    """What an outcomes import did; rows that could not be read or matched are in ``errors``."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    won: int = 0
    lost: int = 0
    open: int = 0
    errors: list[RowError] = Field(default_factory=list)
    unknown_stages: dict[str, int] = Field(
        default_factory=dict, description="Stages counted as open because they are not known closed stages."
    )
    mapping: dict[str, str] = Field(default_factory=dict)
    ignored_columns: list[str] = Field(default_factory=list)
    committed: bool = True

    @property
    def total(self) -> int:
        """Rows read."""
        return self.created + self.updated + self.unchanged + self.rejected


def _company_index(session: Session) -> tuple[dict[str, int], dict[str, list[int]]]:
    by_domain: dict[str, int] = {}
    by_name: dict[str, list[int]] = defaultdict(list)
    for company_id, domain, name in session.exec(select(Company.id, Company.domain, Company.name)):
        assert company_id is not None
        by_domain[domain] = company_id
        by_name[" ".join(name.casefold().split())].append(company_id)
    return by_domain, by_name


def _match(deal: Deal, by_domain: dict[str, int], by_name: dict[str, list[int]]) -> int | str:
    """The company id, or why the deal matches no company (exactly one)."""
    if deal.domain:
        found = by_domain.get(normalize_domain(deal.domain))
        if found is not None:
            return found
    if deal.company:
        ids = by_name.get(" ".join(deal.company.casefold().split()), [])
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            return f"{len(ids)} companies are named {deal.company!r}; give the company's domain"
    if not deal.domain and not deal.company:
        return "no company domain or name to match the deal to"
    named = " or ".join(repr(v) for v in (deal.domain, deal.company) if v)
    return f"no company matches {named}; import the company first (icp companies import)"


_FIELDS = ("name", "stage", "result", "amount", "created_on", "closed_on", "company_id")


def store_deals(
    session: Session,
    deals: Sequence[tuple[int, Deal]],
    *,
    source: str,
    report: OutcomeImportReport | None = None,
    all_or_nothing: bool = False,
    actor: Actor = LOCAL_OPERATOR,
) -> OutcomeImportReport:
    """Upsert deals by id as outcomes of the companies they match; unmatched rows become row errors. Commits.

    ``actor`` must be allowed to import outcomes; the import is recorded in the audit trail with ``source``.
    """
    require(actor, Permission.IMPORT_OUTCOMES)
    report = report or OutcomeImportReport()
    by_domain, by_name = _company_index(session)
    existing = (
        {
            o.deal_id: o
            for o in session.exec(select(Outcome).where(col(Outcome.deal_id).in_([d.deal_id for _, d in deals])))
        }
        if deals
        else {}
    )
    seen: set[str] = set()
    for row, deal in deals:
        matched = _match(deal, by_domain, by_name)
        if isinstance(matched, str):
            report.rejected += 1
            report.errors.append(RowError(row=row, reason=matched, name=deal.name or None, domain=deal.domain))
            continue
        if deal.deal_id in seen:
            report.rejected += 1
            report.errors.append(RowError(row=row, reason=f"deal id {deal.deal_id!r} appears twice in the file"))
            continue
        seen.add(deal.deal_id)
        if deal.stage_unknown:
            report.unknown_stages[deal.stage] = report.unknown_stages.get(deal.stage, 0) + 1
        setattr(report, deal.result, getattr(report, deal.result) + 1)
        values: dict[str, object] = {
            "name": deal.name,
            "stage": deal.stage,
            "result": deal.result,
            "amount": deal.amount,
            "created_on": deal.created,
            "closed_on": deal.closed_on if deal.result != "open" else None,
            "company_id": matched,
        }
        row_obj = existing.get(deal.deal_id)
        if row_obj is None:
            session.add(Outcome.model_validate({"deal_id": deal.deal_id, "source": source, **values}))
            report.created += 1
        elif any(getattr(row_obj, f) != values[f] for f in _FIELDS):
            for field, value in values.items():
                setattr(row_obj, field, value)
            row_obj.source, row_obj.updated_at = source, utcnow()
            session.add(row_obj)
            report.updated += 1
        else:
            report.unchanged += 1
    if all_or_nothing and report.errors:
        session.rollback()
        report.committed = False
        report.created = report.updated = report.unchanged = 0
        return report
    record_import(session, actor=actor, what="outcomes", object_type="outcome", source=source, report=report)
    session.commit()
    return report


class OutcomeInfo(BaseModel):
    """A stored outcome as listed."""

    deal_id: str
    name: str
    domain: str
    company_name: str
    stage: str
    result: str
    amount: float | None
    created_on: date | None
    closed_on: date | None


def list_outcomes(session: Session, *, result: str | None = None, limit: int | None = 200) -> list[OutcomeInfo]:
    """Stored outcomes, newest deal first."""
    stmt = (
        select(Outcome, Company)
        .join(Company, col(Company.id) == col(Outcome.company_id))
        .order_by(col(Outcome.created_on).desc(), col(Outcome.id).desc())
    )
    if result:
        stmt = stmt.where(Outcome.result == result)
    if limit:
        stmt = stmt.limit(limit)
    return [
        OutcomeInfo(
            deal_id=o.deal_id,
            name=o.name,
            domain=c.domain,
            company_name=c.name,
            stage=o.stage,
            result=o.result,
            amount=o.amount,
            created_on=o.created_on,
            closed_on=o.closed_on,
        )
        for o, c in session.exec(stmt)
    ]
