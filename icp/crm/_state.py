"""What icp remembers about a CRM between runs: how far each pull got, and which CRM record is which icp row."""

from __future__ import annotations

from collections.abc import Iterable

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
