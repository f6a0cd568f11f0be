"""The CRM round trip: read accounts and deals from HubSpot or Salesforce, write tiers, scores and tasks back.

- :func:`connect` builds the adapter for a CRM from the settings (optional extra ``crm``).
- :func:`pull` reads companies (through the file-import mapping and validation), deals (into the outcomes
  store) and task completions, page by page with a stored cursor so a stopped pull resumes.
- :func:`push` writes the latest cycle's tier, score, primary segment, status and reason on every linked
  account that changed, and open prospecting tasks as CRM tasks, once each.
- :func:`push_after_cycle` is what a finished cycle calls when ``ICP_CRM_PUSH_AFTER_CYCLE`` names a CRM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from icp.crm._connect import connect
from icp.crm._provider import (
    PROVIDERS,
    AccountFields,
    CheckResult,
    CrmError,
    CrmProvider,
    CrmTask,
    FieldSpec,
    Page,
    ProviderName,
    WriteResult,
)
from icp.crm._pull import PullReport, complete_from_crm, last_pull, pull
from icp.crm._push import AccountChange, PushReport, fingerprint, push
from icp.crm._state import CrmStatus, CrmSyncError, crm_status, external_id, sync_states

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from icp.settings import Settings

__all__ = [
    "PROVIDERS",
    "AccountChange",
    "AccountFields",
    "CheckResult",
    "CrmError",
    "CrmProvider",
    "CrmStatus",
    "CrmSyncError",
    "CrmTask",
    "FieldSpec",
    "Page",
    "ProviderName",
    "PullReport",
    "PushReport",
    "WriteResult",
    "complete_from_crm",
    "connect",
    "crm_status",
    "external_id",
    "fingerprint",
    "last_pull",
    "pull",
    "push",
    "push_after_cycle",
    "sync_states",
]


def push_after_cycle(engine: Engine, settings: Settings) -> PushReport | None:
    """Push to the CRM named by ``ICP_CRM_PUSH_AFTER_CYCLE`` (None when unset): for workers and `icp cycle run`.

    Raises :class:`~icp.errors.ICPError` when the push fails; a caller running cycles reports it and goes on.
    """
    from sqlmodel import Session

    name = settings.crm_push_after_cycle
    if not name:
        return None
    provider = connect(name, settings)
    with Session(engine) as session:
        return push(session, provider, actor="icp (push after cycle)")
