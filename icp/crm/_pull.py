"""``pull``: companies, deals and task completions from a CRM into icp, page by page, resumable.

Companies go through the same header mapping and validation as a file import
(:func:`icp.importing.map_columns`, :func:`icp.importing.read_company`) and are upserted by domain like
one; a record that does not validate is a row error with its number in the pull and its CRM id. Deals go
into the outcomes store (:func:`icp.outcomes.store_deals`), matched to a company through the CRM account
link first, then by domain and name. Tasks icp wrote that are completed in the CRM are completed in icp,
recorded as done by ``crm:<provider>``.

Each page is stored with the cursor after it in one commit, so a pull killed half-way loses at most the
page it was reading, and the next pull resumes from the stored cursor instead of starting over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from icp.companies import ImportReport, upsert_companies
from icp.crm._provider import CrmError, CrmProvider, Page
from icp.crm._state import CrmSyncError, account_links, link_accounts, sync_state, task_links
from icp.domain import CompanyProfile
from icp.importing import RowError, RowWarning, clean_str, map_columns, map_header, read_company
from icp.outcomes import Deal, OutcomeImportReport, map_deal_header, read_deal, store_deals
from icp.store.tables import Company, CrmSyncState, ProspectingTask, utcnow
from icp.team import audit
from icp.team.roles import LOCAL_OPERATOR, Actor, Permission, require

ADAPTER_KEYS = ("crm_id", "modified_at", "crm_account_id")
# Read along with every record, but not company data icp maps.
_NOT_REPORTED = (*ADAPTER_KEYS, "createdate", "CreatedDate", "LastModifiedDate", "SystemModstamp", "Id")

Progress = Callable[[str, int, int], None]
"""Called after each stored page with (object, pages so far, records so far)."""


class PullReport(BaseModel):
    """What a pull read and stored."""

    provider: str
    dry_run: bool = False
    companies: ImportReport = Field(default_factory=ImportReport)
    deals: OutcomeImportReport = Field(default_factory=OutcomeImportReport)
    company_pages: int = 0
    deal_pages: int = 0
    resumed: list[str] = Field(default_factory=list, description="Objects whose pull resumed from a stored cursor.")
    accounts_linked: int = Field(default=0, description="CRM accounts newly linked to icp companies.")
    tasks_completed: int = Field(default=0, description="icp tasks completed because they are completed in the CRM.")


def _keys(records: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for record in records:
        seen.update(dict.fromkeys(record))
    return list(seen)


def _pages(
    session: Session,
    state: CrmSyncState,
    read: Callable[[datetime | None, str | None], Iterator[Page]],
    report: PullReport,
    *,
    dry_run: bool,
    full: bool = False,
) -> Iterator[tuple[Page, int]]:
    """The pages of one pull with the row number of each page's first record; keeps the state's cursor."""
    resuming = state.cursor is not None and not full
    since = state.cursor_since if resuming else (None if full else state.watermark)
    if resuming:
        report.resumed.append(state.object)
    first_row = state.records + 1 if resuming else 1
    if not dry_run:
        if not resuming:
            state.cursor_since, state.pending_watermark, state.pages, state.records = since, since, 0, 0
        state.status, state.error = "running", ""
        session.add(state)
        session.commit()
    try:
        for page in read(since, state.cursor if resuming else None):
            yield page, first_row
            first_row += len(page.records)
            if dry_run:
                continue
            newest = max((r["modified_at"] for r in page.records if r.get("modified_at")), default=None)
            if newest is not None and (state.pending_watermark is None or newest > state.pending_watermark):
                state.pending_watermark = newest
            state.pages += 1
            state.records += len(page.records)
            state.cursor = page.cursor
            if page.cursor is None:
                state.watermark, state.cursor_since, state.status = state.pending_watermark, None, "completed"
                state.pulled_at = utcnow()
            session.add(state)
            session.commit()  # the page and the cursor after it, together
    except CrmError as exc:
        if not dry_run:
            session.rollback()
            state.status, state.error = "failed", exc.message[:500]
            session.add(state)
            session.commit()
        raise CrmSyncError.of(exc) from None


def _page_mapping(
    page: Page, mapper: Callable[[str], str | None], report: ImportReport | OutcomeImportReport
) -> dict[str, str]:
    """The page's CRM fields mapped to icp fields like a file's headers; the report gathers them over pages."""
    mapping, ignored = map_columns(_keys(page.records), mapper, unlisted=_NOT_REPORTED)
    report.ignored_columns.extend(column for column in ignored if column not in report.ignored_columns)
    report.mapping.update(mapping)
    return mapping


def _store_companies(
    session: Session, provider: str, page: Page, first_row: int, report: PullReport, *, dry_run: bool
) -> None:
    mapping = _page_mapping(page, map_header, report.companies)
    chosen: dict[str, tuple[CompanyProfile, str]] = {}
    for row, record in enumerate(page.records, start=first_row):
        mapped = {field: record[source] for source, field in mapping.items() if source in record}
        try:
            profile, notes = read_company(mapped)
        except ValueError as exc:
            report.companies.errors.append(
                RowError(
                    row=row,
                    reason=f"{provider} company {record.get('crm_id')}: {exc}",
                    name=clean_str(mapped.get("name")),
                    domain=clean_str(mapped.get("domain")),
                )
            )
            report.companies.rejected += 1
            continue
        report.companies.warnings.extend(RowWarning(row=row, message=n) for n in notes)
        chosen[str(record["crm_id"])] = (profile, profile.domain)
    by_domain = {profile.domain: profile for profile, _ in chosen.values()}  # the later record of a domain wins
    upsert_companies(session, list(by_domain.values()), report.companies)
    if dry_run:
        session.rollback()  # counted as an import would, stored nothing
        return
    session.flush()
    ids = dict(session.exec(select(Company.domain, Company.id).where(col(Company.domain).in_(list(by_domain)))).all())
    pairs = [(crm_id, ids[domain]) for crm_id, (_, domain) in chosen.items() if ids.get(domain) is not None]
    report.accounts_linked += link_accounts(session, provider, pairs)  # type: ignore[arg-type]


def _store_deals(
    session: Session, provider: str, page: Page, first_row: int, report: PullReport, *, dry_run: bool
) -> None:
    mapping = _page_mapping(page, map_deal_header, report.deals)
    links = account_links(
        session, provider, (str(r["crm_account_id"]) for r in page.records if r.get("crm_account_id"))
    )
    domains: Mapping[int | None, str] = (
        dict(
            session.exec(
                select(Company.id, Company.domain).where(
                    col(Company.id).in_([link.company_id for link in links.values()])
                )
            ).all()
        )
        if links
        else {}
    )
    deals: list[tuple[int, Deal]] = []
    for row, record in enumerate(page.records, start=first_row):
        mapped: dict[str, Any] = {field: record[source] for source, field in mapping.items() if source in record}
        mapped["deal_id"] = str(record["crm_id"])
        link = links.get(str(record.get("crm_account_id")))
        if link is not None and link.company_id in domains:
            mapped["domain"] = domains[link.company_id]  # the CRM's own association decides the company
        try:
            deals.append((row, read_deal(mapped, None, decimal_comma=False)))
        except ValueError as exc:
            report.deals.errors.append(
                RowError(
                    row=row, reason=f"{provider} deal {record['crm_id']}: {exc}", name=clean_str(mapped.get("name"))
                )
            )
            report.deals.rejected += 1
    if dry_run:
        for _, deal in deals:
            setattr(report.deals, deal.result, getattr(report.deals, deal.result) + 1)
        return
    store_deals(session, deals, source=f"crm:{provider}", report=report.deals)


def complete_from_crm(session: Session, provider: CrmProvider, *, dry_run: bool = False) -> int:
    """Complete in icp the open tasks icp wrote that are completed in the CRM; returns how many. Commits."""
    links = task_links(session, provider.name, open_only=True)
    if not links:
        return 0
    try:
        done = provider.completed_tasks([link.crm_task_id for link in links.values()])
    except CrmError as exc:
        raise CrmSyncError.of(exc) from None
    completed = 0
    now = utcnow()
    for task_id, link in links.items():
        if link.crm_task_id not in done:
            continue
        completed += 1
        if dry_run:
            continue
        task = session.get(ProspectingTask, task_id)
        if task is not None and task.status != "done":
            task.status, task.completed_at, task.completed_by = "done", now, f"crm:{provider.name}"
            session.add(task)
            audit.record(
                session,
                actor=f"crm:{provider.name}",
                action="task.done",
                object_type="task",
                object_id=task_id,
                summary=f"Task {task_id} completed in {provider.name} (CRM task {link.crm_task_id})",
                before={"status": "open"},
                after={"status": "done"},
            )
        link.completed_at = now
        session.add(link)
    if not dry_run:
        session.commit()
    return completed


def pull(
    session: Session,
    provider: CrmProvider,
    *,
    dry_run: bool = False,
    full: bool = False,
    progress: Progress | None = None,
    actor: Actor | str = LOCAL_OPERATOR,
) -> PullReport:
    """Read companies, then deals, then task completions from the CRM (see the module docstring).

    A dry run reads everything and counts what would be created, updated or rejected, storing nothing
    (not even the cursor). ``full`` reads every record again, ignoring the last pull's watermark and any
    cursor to resume from. Raises :class:`CrmSyncError` when the CRM fails after the retries allowed;
    the pages stored until then stay, and the next pull resumes after them.
    """
    if isinstance(actor, Actor):
        require(actor, Permission.IMPORT_DATA)
    report = PullReport(provider=provider.name, dry_run=dry_run)
    state = sync_state(session, provider.name, "companies", store=not dry_run)
    for page, first_row in _pages(session, state, provider.companies, report, dry_run=dry_run, full=full):
        _store_companies(session, provider.name, page, first_row, report, dry_run=dry_run)
        report.company_pages += 1
        if progress:
            progress("companies", report.company_pages, first_row + len(page.records) - 1)
    state = sync_state(session, provider.name, "deals", store=not dry_run)
    for page, first_row in _pages(session, state, provider.deals, report, dry_run=dry_run, full=full):
        _store_deals(session, provider.name, page, first_row, report, dry_run=dry_run)
        report.deal_pages += 1
        if progress:
            progress("deals", report.deal_pages, first_row + len(page.records) - 1)
    report.tasks_completed = complete_from_crm(session, provider, dry_run=dry_run)
    report.deals.errors.sort(key=lambda e: e.row)
    if not dry_run:
        c, d = report.companies, report.deals
        audit.record(
            session,
            actor=actor,
            action="crm.pull",
            object_type="crm",
            object_id=provider.name,
            summary=f"Pulled from {provider.name}: companies {c.created} new, {c.updated} updated, {c.rejected} "
            f"rejected; deals {d.created} new, {d.updated} updated, {d.rejected} rejected; "
            f"{report.tasks_completed} tasks completed in the CRM",
        )
        session.commit()
    return report


def last_pull(session: Session, provider: str) -> datetime | None:
    """When the provider's companies were last pulled to the end."""
    state = session.get(CrmSyncState, (provider, "companies"))
    if state is None or state.pulled_at is None:
        return None
    return state.pulled_at.astimezone(UTC)
