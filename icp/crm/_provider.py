"""What every CRM adapter provides. The sync engine (pull, push, dry run, cursors) speaks only this.

An adapter wraps one provider's maintained client (hubspot-api-client, simple-salesforce) and turns its
objects into plain records and its failures into :class:`CrmError`. It keeps no state between calls
beyond its client: cursors, links between CRM ids and icp rows, and what was last written live in the
store and are handed back in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol

ProviderName = Literal["hubspot", "salesforce"]
PROVIDERS: tuple[ProviderName, ...] = ("hubspot", "salesforce")


class CrmError(Exception):
    """A failure a user can act on. The message is readable and already free of secrets.

    ``retryable`` says whether trying the same call later may succeed (rate limits, 5xx, timeouts);
    authentication, permission and validation failures are not retryable.
    """

    def __init__(self, message: str, *, hint: str = "", retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.retryable = retryable


@dataclass(frozen=True)
class CheckResult:
    """What ``icp crm check`` reports: who we are connected as and what is missing."""

    provider: ProviderName
    ok: bool
    account: str = ""  # portal id, org id or instance host: never a secret
    granted: list[str] = field(default_factory=list)  # scopes or object permissions seen
    problems: list[str] = field(default_factory=list)  # each names the cause and what to do


@dataclass(frozen=True)
class Page:
    """One page of records read from the CRM.

    Every record is a flat mapping of the provider's own field names to values (``numberofemployees``
    on HubSpot, ``NumberOfEmployees`` on Salesforce) plus three keys the adapter always sets:

    - ``crm_id``: the record's id in the CRM;
    - ``modified_at``: its last-modified time (an aware ``datetime``);
    - for deals only, ``crm_account_id``: the id of the associated company/account, or ``None``.

    ``cursor`` is opaque: handing it back to the same call resumes after this page. It is ``None`` on
    the last page.
    """

    records: list[dict[str, Any]]
    cursor: str | None


@dataclass(frozen=True)
class AccountFields:
    """What icp writes on one CRM account after a cycle."""

    crm_id: str
    tier: str | None  # "T1", "T2", "T3"; None when the account is in no segment
    score: float | None
    segment: str  # the primary segment's name; "" when none
    status: str  # "qualified", "unverified" or "" (not a member)
    reason: str  # one line, plain text
    cycle_date: date


@dataclass(frozen=True)
class CrmTask:
    """A prospecting task as a CRM task on the account. ``external_id`` makes writing it idempotent."""

    external_id: str  # "icp-task-<id>", stable across runs
    crm_account_id: str
    subject: str
    body: str
    due: date | None
    owner_email: str | None  # mapped to a CRM user by e-mail; unknown e-mails leave the task unassigned


@dataclass(frozen=True)
class FieldSpec:
    """One property/field icp writes, as the user would create it in the CRM's settings."""

    name: str  # "icp_fit_score", "ICP_Fit_Score__c", or the native "hs_ideal_customer_profile"
    label: str
    kind: str  # the provider's type: "number", "string", "enumeration", "date", "Number(5,1)", "Text(255)", ...
    native: bool = False  # the CRM already has it (never created by icp)


@dataclass(frozen=True)
class WriteResult:
    """What a batch write did. Failures are per record; a batch never fails as a whole for one record."""

    written: list[str] = field(default_factory=list)  # crm ids (accounts) or external ids (tasks)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (id, readable reason)
    task_ids: dict[str, str] = field(default_factory=dict)  # external id -> CRM task id, for tasks


class CrmProvider(Protocol):
    """One CRM, behind its maintained client."""

    name: ProviderName

    def check(self) -> CheckResult:
        """Cheap calls that tell whether the credentials work and what they may read and write."""
        ...

    def companies(self, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        """Companies/accounts modified after ``since`` (all when None), oldest first, paged.

        Only the fields icp maps are requested. Rate limits are waited out inside (honouring the
        provider's headers); a page that still fails raises :class:`CrmError`.
        """
        ...

    def deals(self, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        """Deals/opportunities modified after ``since``, with their account id, paged like companies."""
        ...

    def fields(self) -> list[FieldSpec]:
        """The account fields icp writes, for ``icp crm push --dry-run`` and the README."""
        ...

    def ensure_fields(self, *, create: bool) -> list[str]:
        """Names of the fields icp writes that the CRM lacks; with ``create``, creates them first
        (and returns what is still missing, e.g. for lack of permission)."""
        ...

    def write_accounts(self, accounts: Sequence[AccountFields]) -> WriteResult:
        """Write the fields on each account through the provider's batch endpoint."""
        ...

    def write_tasks(self, tasks: Sequence[CrmTask], known: dict[str, str]) -> WriteResult:
        """Create each task once. ``known`` maps external ids to CRM task ids already created; a task
        found in the CRM by its external id is not created again."""
        ...

    def completed_tasks(self, task_ids: Sequence[str]) -> set[str]:
        """Of these CRM task ids, the ones completed in the CRM."""
        ...
