"""What icp remembers about a CRM between runs: how far each pull got, and which CRM record is which icp row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from icp.crm._provider import CrmError
from icp.errors import RuntimeFailure
from icp.store.tables import CrmAccount, CrmSyncState, CrmTaskLink

TASK_PREFIX = "icp-task-"


class CrmSyncError(RuntimeFailure):
    """The CRM refused or failed a call; the message says why and what to do. Pulls resume where they stopped."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        self.hint = hint
        super().__init__(f"{message} {hint}".strip())

    @classmethod
    def of(cls, exc: CrmError) -> CrmSyncError:
        """The CRM adapter's error as the library's error."""
        return cls(exc.message, hint=exc.hint)


def sync_state(session: Session, provider: str, obj: str, *, store: bool = True) -> CrmSyncState:
    """The sync state of one provider and object (a new, empty one the first time, added to the session
    unless ``store`` is false, as in a dry run)."""
    state = session.get(CrmSyncState, (provider, obj))
    if state is None:
        state = CrmSyncState.model_validate({"provider": provider, "object": obj})
        if store:
            session.add(state)
    return state


def sync_states(session: Session, provider: str) -> list[CrmSyncState]:
    """Every stored sync state of a provider."""
    return list(session.exec(select(CrmSyncState).where(CrmSyncState.provider == provider)))


def account_links(session: Session, provider: str, crm_ids: Iterable[str] | None = None) -> dict[str, CrmAccount]:
    """Links of a provider's accounts by CRM id (all of them, or those of ``crm_ids``)."""
    stmt = select(CrmAccount).where(CrmAccount.provider == provider)
    if crm_ids is not None:
        wanted = sorted(set(crm_ids))
        if not wanted:
            return {}
        found: dict[str, CrmAccount] = {}
        for start in range(0, len(wanted), 500):
            chunk = stmt.where(col(CrmAccount.crm_id).in_(wanted[start : start + 500]))
            found.update({link.crm_id: link for link in session.exec(chunk)})
        return found
    return {link.crm_id: link for link in session.exec(stmt.order_by(col(CrmAccount.id)))}


def link_accounts(session: Session, provider: str, pairs: Iterable[tuple[str, int]]) -> int:
    """Link CRM ids to company ids (new links, or a CRM record now matching another company). Does not commit."""
    pairs = list(pairs)
    existing = account_links(session, provider, (crm_id for crm_id, _ in pairs))
    created = 0
    for crm_id, company_id in pairs:
        link = existing.get(crm_id)
        if link is None:
            link = CrmAccount.model_validate({"provider": provider, "crm_id": crm_id, "company_id": company_id})
            existing[crm_id] = link
            created += 1
        elif link.company_id != company_id:
            link.company_id, link.fingerprint, link.written = company_id, None, {}
        session.add(link)
    return created


def task_links(session: Session, provider: str, *, open_only: bool = False) -> dict[int, CrmTaskLink]:
    """Prospecting tasks written to the CRM, by icp task id."""
    stmt = select(CrmTaskLink).where(CrmTaskLink.provider == provider)
    if open_only:
        stmt = stmt.where(col(CrmTaskLink.completed_at).is_(None))
    return {link.task_id: link for link in session.exec(stmt)}


def external_id(task_id: int) -> str:
    """The id a prospecting task carries in the CRM (``icp-task-<id>``)."""
    return f"{TASK_PREFIX}{task_id}"


def task_id_of(external: str) -> int | None:
    """The icp task id in an external id, or None when it is not one of icp's."""
    if not external.startswith(TASK_PREFIX) or not external[len(TASK_PREFIX) :].isdigit():
        return None
    return int(external[len(TASK_PREFIX) :])


class CrmStatus(BaseModel):
    """Where the round trip with one CRM stands: its pulls, linked accounts and tasks written."""

    provider: str
    pulls: list[dict[str, Any]] = Field(description="Per object: status, last finished pull, watermark, progress.")
    accounts_linked: int
    accounts_written: int
    tasks_written: int
    tasks_completed_in_crm: int


def crm_status(session: Session, provider: str) -> CrmStatus:
    """The sync states, link and task counts of a provider (for ``icp crm status``)."""
    pulls = [
        {
            "object": state.object,
            "status": state.status or "never",
            "pulled_at": state.pulled_at,
            "watermark": state.watermark,
            "in_progress": state.cursor is not None,
            "pages": state.pages,
            "records": state.records,
            "error": state.error,
        }
        for state in sync_states(session, provider)
    ]
    counted = select(func.count()).select_from(CrmAccount).where(CrmAccount.provider == provider)
    tasks = select(func.count()).select_from(CrmTaskLink).where(CrmTaskLink.provider == provider)
    return CrmStatus(
        provider=provider,
        pulls=pulls,
        accounts_linked=session.exec(counted).one(),
        accounts_written=session.exec(counted.where(col(CrmAccount.fingerprint).is_not(None))).one(),
        tasks_written=session.exec(tasks).one(),
        tasks_completed_in_crm=session.exec(tasks.where(col(CrmTaskLink.completed_at).is_not(None))).one(),
    )
