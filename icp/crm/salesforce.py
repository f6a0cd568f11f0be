"""Salesforce behind :class:`~icp.crm.CrmProvider`, over the maintained ``simple-salesforce`` client.

Reads Accounts and Opportunities with SOQL ordered by ``(LastModifiedDate, Id)``; writes the ``ICP_*__c``
fields with sObject Collections (200 records a request, ``allOrNone=false``) or, above
``bulk_threshold`` accounts, one Bulk API 2.0 ingest job; creates prospecting tasks as Task records found
again by ``ICP_Task_Id__c`` so a rerun never duplicates one. How icp logs in is described in
:mod:`icp.crm._salesforce_connect`.

Cursors are keysets, not query locators. Within one run pages follow Salesforce's ``nextRecordsUrl``, but
a locator lives about 15 minutes and dies with its session, so the cursor handed out after each page is
the ``(LastModifiedDate, Id)`` of its last record: a new process resumes with
``WHERE LastModifiedDate > t OR (LastModifiedDate = t AND Id > id)``, which is valid for as long as the
records exist, and a locator that expires mid-run is replaced the same way.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential
from tenacity.wait import WaitBaseT

from icp.crm._provider import (
    AccountFields,
    CheckResult,
    CrmError,
    CrmTask,
    FieldSpec,
    Page,
    ProviderName,
    WriteResult,
)

try:
    import requests
    from simple_salesforce import Salesforce
    from simple_salesforce.bulk2 import SFBulk2Handler
    from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession, SalesforceOperationError
except ImportError as exc:  # the optional `crm` extra is not installed
    raise CrmError(
        "Salesforce support is not installed.",
        hint="Install it with: `pip install -e '.[crm]'` (or `pip install 'icp[crm]'`).",
    ) from exc
from icp.crm._salesforce_connect import (
    PERMISSIONS_HINT,
    SalesforceApiError,
    SalesforceSession,
    TransportError,
    login_for,
    translate,
)
from icp.crm._salesforce_records import (
    ACCOUNT_FIELDS,
    COLLECTION_SIZE,
    DEAL_FIELDS,
    ICP_FIELDS,
    SALESFORCE_ID,
    IcpField,
    account_values,
    chunks,
    decode_cursor,
    encode_cursor,
    flat_record,
    keyset_soql,
    record_errors,
    soql_string,
    task_record,
)
from icp.settings import Settings

__all__ = ["ACCOUNT_FIELDS", "DEAL_FIELDS", "ICP_FIELDS", "SalesforceCrm"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
PERMISSION_SET = "ICP_Integration"  # grants the integration user Read and Edit on the fields icp creates


class SalesforceCrm:
    """One Salesforce org. Build it with :meth:`from_settings`; nothing is sent until the first call.

    Args:
        connect: logs in and returns a ready ``simple_salesforce.Salesforce``.
        host: the instance host, for messages.
        page_size: records per query page asked for (Salesforce serves 200 to 2,000).
        bulk_threshold: above this many accounts a push uses one Bulk API 2.0 job instead of Collections.
        attempts: tries per request for retryable failures (503, the concurrent-request limit, no answer).
        wait: tenacity wait between tries (exponential by default; tests pass ``wait_none()``).
        bulk_poll_s: first pause before polling a bulk job.
        can_login_again: ``connect`` logs in with credentials, so an expired session is renewed once.
    """

    name: ProviderName = "salesforce"

    def __init__(
        self,
        connect: Callable[[], Salesforce],
        *,
        host: str = "Salesforce",
        page_size: int = 2000,
        bulk_threshold: int = 2000,
        attempts: int = 5,
        wait: WaitBaseT | None = None,
        bulk_poll_s: int = 2,
        can_login_again: bool = False,
    ) -> None:
        self._connect = connect
        self._sf: Salesforce | None = None
        self.host = host
        self.page_size = page_size
        self.bulk_threshold = bulk_threshold
        self.attempts = max(attempts, 1)
        self.wait = wait if wait is not None else wait_exponential(multiplier=0.5, max=30)
        self.bulk_poll_s = bulk_poll_s
        self.can_login_again = can_login_again

    @classmethod
    def from_settings(cls, settings: Settings, *, wait: WaitBaseT | None = None) -> SalesforceCrm:
        """The org configured by ``ICP_SALESFORCE_*``; raises CrmError when it is not configured."""
        ca_bundle = str(settings.salesforce_ca_bundle) if settings.salesforce_ca_bundle else None
        session = SalesforceSession(timeout_s=settings.request_timeout_s, ca_bundle=ca_bundle)
        connect = login_for(settings, session)
        host = (settings.salesforce_instance_url or "").split("://")[-1].split("/")[0].rpartition("@")[2]
        if not host and settings.salesforce_domain:
            host = f"{settings.salesforce_domain}.salesforce.com"
        return cls(
            connect,
            host=host or "Salesforce",
            attempts=settings.max_retries + 1,
            wait=wait,
            can_login_again=settings.salesforce_access_token is None,
        )

    # -- calling Salesforce --------------------------------------------------------------------------

    def _client(self) -> Salesforce:
        if self._sf is None:
            self._sf = self._retrying(lambda: self._translated(self._connect), resend_safe=True)
        return self._sf

    def _translated(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (SalesforceError, SalesforceOperationError, requests.RequestException) as exc:
            raise translate(exc, self.host) from None

    def _retrying(self, fn: Callable[[], T], *, resend_safe: bool) -> T:
        def retryable(exc: BaseException) -> bool:
            if not isinstance(exc, CrmError) or not exc.retryable:
                return False
            return resend_safe or not isinstance(exc, TransportError)

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts), wait=self.wait, retry=retry_if_exception(retryable), reraise=True
        )
        return retrying(fn)

    def _call(self, fn: Callable[[Salesforce], T], *, resend_safe: bool = True) -> T:
        """Run ``fn`` with the client: retryable failures are retried, an expired session logs in again once."""

        def attempt() -> T:
            client = self._client()
            try:
                return fn(client)
            except SalesforceExpiredSession as exc:
                if not self.can_login_again:
                    raise translate(exc, self.host) from None
                self._sf = None  # a fresh login, then one more try
                try:
                    return fn(self._client())
                except (SalesforceError, SalesforceOperationError, requests.RequestException) as again:
                    raise translate(again, self.host) from None
            except (SalesforceError, SalesforceOperationError, requests.RequestException) as exc:
                raise translate(exc, self.host) from None

        return self._retrying(attempt, resend_safe=resend_safe)

    def _query(self, soql: str, *, all_rows: bool = False) -> dict[str, Any]:
        headers = {"Sforce-Query-Options": f"batchSize={self.page_size}"} if self.page_size != 2000 else {}
        result: dict[str, Any] = self._call(lambda sf: sf.query(soql, include_deleted=all_rows, headers=headers))
        return result

    def _query_records(self, soql: str, *, all_rows: bool = False) -> list[dict[str, Any]]:
        result = self._query(soql, all_rows=all_rows)
        records = list(result.get("records") or [])
        while not result.get("done", True) and result.get("nextRecordsUrl"):
            url = str(result["nextRecordsUrl"])
            result = self._call(lambda sf, url=url: sf.query_more(url, identifier_is_url=True))  # type: ignore[misc]
            records.extend(result.get("records") or [])
        return records

    # -- reading -------------------------------------------------------------------------------------

    def companies(self, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        """Accounts modified after ``since``, oldest first, only the fields icp maps."""
        return self._read("Account", ACCOUNT_FIELDS, since, cursor)

    def deals(self, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        """Opportunities modified after ``since``, with ``crm_account_id``."""
        return self._read("Opportunity", DEAL_FIELDS, since, cursor)

    def _read(self, sobject: str, fields: Sequence[str], since: datetime | None, cursor: str | None) -> Iterator[Page]:
        after = decode_cursor(cursor) if cursor else None
        result = self._query(keyset_soql(sobject, fields, since, after))
        while True:
            records = [flat_record(r) for r in result.get("records") or []]
            more = not result.get("done", True) and bool(result.get("nextRecordsUrl"))
            if records:
                after = (records[-1]["modified_at"], str(records[-1]["crm_id"]))
            if not more:
                yield Page(records, None)
                return
            yield Page(records, encode_cursor(after) if after else None)
            url = str(result["nextRecordsUrl"])
            try:
                result = self._call(lambda sf, url=url: sf.query_more(url, identifier_is_url=True))  # type: ignore[misc]
            except SalesforceApiError as exc:
                if exc.code != "INVALID_QUERY_LOCATOR":
                    raise
                logger.info("Salesforce query locator expired; going on from the last record read")
                result = self._query(keyset_soql(sobject, fields, since, after))

    # -- fields --------------------------------------------------------------------------------------

    def fields(self) -> list[FieldSpec]:
        """The ICP_*__c fields, with their Salesforce type as one creates them in Setup > Object Manager."""
        return [FieldSpec(name=f.spec_name, label=f.label, kind=f.kind) for f in ICP_FIELDS]

    def _existing(self) -> dict[str, set[str]]:
        return {
            sobject: {str(f["name"]) for f in self._describe(sobject).get("fields", [])}
            for sobject in ("Account", "Task")
        }

    def _describe(self, sobject: str) -> dict[str, Any]:
        return cast(dict[str, Any], self._call(lambda sf: sf.restful(f"sobjects/{sobject}/describe")))

    def missing_fields(self) -> list[IcpField]:
        """The ICP fields that Account or Task lacks (or that this user cannot see)."""
        existing = self._existing()
        return [f for f in ICP_FIELDS if f.name not in existing[f.sobject]]

    def ensure_fields(self, *, create: bool) -> list[str]:
        """Names of missing fields; with ``create``, creates them with the Tooling API first.

        Salesforce gives a field created through the API no field-level security, so the user that created it
        cannot see it yet: icp then grants Read and Edit on its fields through a permission set,
        ``ICP_Integration``, assigned to that user. Without "Customize Application" (or the right to manage
        permission sets) Salesforce refuses, and the fields stay missing: ``fields()`` gives their metadata to
        create by hand.
        """
        missing = self.missing_fields()
        if not create or not missing:
            return [f.spec_name for f in missing]
        present: list[IcpField] = []  # created now, or there already but hidden from this user
        for spec in missing:
            body = spec.tooling_body()
            try:
                self._call(
                    lambda sf, body=body: sf.toolingexecute("sobjects/CustomField/", method="POST", data=body),  # type: ignore[misc]
                    resend_safe=False,
                )
            except SalesforceApiError as exc:
                if exc.code != "DUPLICATE_DEVELOPER_NAME":
                    if exc.status == 403 or exc.code.startswith("INSUFFICIENT_ACCESS"):
                        logger.warning("Salesforce refused to create %s: %s", spec.full_name, exc.message)
                        break
                    raise
            present.append(spec)
        still = self.missing_fields()
        hidden = [f for f in present if f in still]
        if hidden:
            self._grant_field_access(hidden)
            still = self.missing_fields()
        return [f.spec_name for f in still]

    def _grant_field_access(self, specs: Sequence[IcpField]) -> None:
        """Read and Edit on these fields for this user, through the ``ICP_Integration`` permission set."""
        try:
            found = self._query_records(f"SELECT Id FROM PermissionSet WHERE Name = {soql_string(PERMISSION_SET)}")
            if found:
                permission_set = str(found[0]["Id"])
            else:
                record = {"attributes": {"type": "PermissionSet"}, "Name": PERMISSION_SET, "Label": "icp integration"}
                [answer] = self._collection("POST", [{**record, "Description": "Lets icp read and write its fields."}])
                if not answer.get("success"):
                    logger.warning("Salesforce refused the permission set: %s", record_errors(answer.get("errors")))
                    return
                permission_set = str(answer["id"])
            grants = [
                {
                    "attributes": {"type": "FieldPermissions"},
                    "ParentId": permission_set,
                    "SobjectType": spec.sobject,
                    "Field": f"{spec.sobject}.{spec.name}",
                    "PermissionsRead": True,
                    "PermissionsEdit": True,
                }
                for spec in specs
            ]
            self._collection("POST", grants)  # a grant made before answers DUPLICATE_VALUE: fine
            me = cast(dict[str, Any], self._call(lambda sf: sf.oauth2("userinfo")) or {})
            assignment = {"attributes": {"type": "PermissionSetAssignment"}, "PermissionSetId": permission_set}
            self._collection("POST", [{**assignment, "AssigneeId": me.get("user_id")}])
        except CrmError as exc:
            logger.warning("Could not grant field access through a permission set: %s", exc.message)

    # -- writing -------------------------------------------------------------------------------------

    def write_accounts(self, accounts: Sequence[AccountFields]) -> WriteResult:
        """Write the ICP fields: Collections of 200, or one Bulk API 2.0 job above ``bulk_threshold``."""
        unique = list({a.crm_id: a for a in accounts}.values())
        if len(unique) > self.bulk_threshold:
            return self._write_bulk(unique)
        result = WriteResult()
        for chunk in chunks(unique, COLLECTION_SIZE):
            records = [{"attributes": {"type": "Account"}, "id": a.crm_id, **account_values(a)} for a in chunk]
            answers = self._collection("PATCH", records)
            for account, answer in zip(chunk, answers, strict=False):
                if answer.get("success"):
                    result.written.append(account.crm_id)
                else:
                    result.failed.append((account.crm_id, record_errors(answer.get("errors"))))
        return result

    def _collection(self, method: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body = json.dumps({"allOrNone": False, "records": records})
        answers = self._call(
            lambda sf: sf.restful("composite/sobjects", method=method, data=body), resend_safe=method != "POST"
        )
        return cast(list[dict[str, Any]], answers)

    def _write_bulk(self, accounts: Sequence[AccountFields]) -> WriteResult:
        rows = []
        for account in accounts:
            values = account_values(account)
            rows.append({"Id": account.crm_id, **{k: "#N/A" if v is None else str(v) for k, v in values.items()}})
        jobs = self._call(lambda sf: cast(SFBulk2Handler, sf.bulk2).Account.update(records=rows, wait=self.bulk_poll_s))
        failed: dict[str, str] = {}
        for job in jobs:
            if int(job.get("numberRecordsFailed") or 0) == 0:
                continue
            job_id = str(job["job_id"])

            def failed_rows(sf: Salesforce, job_id: str = job_id) -> str:
                return cast(SFBulk2Handler, sf.bulk2).Account.get_failed_records(job_id)

            text = self._call(failed_rows)
            for row in csv.DictReader(io.StringIO(text)):
                code, _, rest = (row.get("sf__Error") or "").partition(":")
                failed[row.get("Id") or row.get("sf__Id") or ""] = f"{code}: {rest.rsplit(':--', 1)[0]}".strip(": ")
        return WriteResult(
            written=[a.crm_id for a in accounts if a.crm_id not in failed],
            failed=[(a.crm_id, failed[a.crm_id]) for a in accounts if a.crm_id in failed],
        )

    def write_tasks(self, tasks: Sequence[CrmTask], known: dict[str, str]) -> WriteResult:
        """Create each task once: known ones are skipped, ones found by ``ICP_Task_Id__c`` are linked."""
        pending = list({t.external_id: t for t in tasks if t.external_id not in known}.values())
        task_ids: dict[str, str] = {}
        for chunk in chunks(pending, 100):
            wanted = ", ".join(soql_string(t.external_id) for t in chunk)
            soql = f"SELECT Id, ICP_Task_Id__c FROM Task WHERE ICP_Task_Id__c IN ({wanted})"
            for row in self._query_records(soql, all_rows=True):
                task_ids[str(row["ICP_Task_Id__c"])] = str(row["Id"])
        to_create = [t for t in pending if t.external_id not in task_ids]
        owners = self._users_by_email({t.owner_email for t in to_create if t.owner_email})
        result = WriteResult(task_ids=task_ids)
        for chunk in chunks(to_create, COLLECTION_SIZE):
            records = [task_record(t, owners) for t in chunk]
            for task, answer in zip(chunk, self._collection("POST", records), strict=False):
                if answer.get("success") and answer.get("id"):
                    result.written.append(task.external_id)
                    task_ids[task.external_id] = str(answer["id"])
                else:
                    result.failed.append((task.external_id, record_errors(answer.get("errors"))))
        return result

    def _users_by_email(self, emails: set[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        ordered = sorted(emails)
        for chunk in chunks(ordered, 100):
            wanted = ", ".join(soql_string(e) for e in chunk)
            soql = f"SELECT Id, Email FROM User WHERE IsActive = true AND Email IN ({wanted})"
            for row in self._query_records(soql):
                found.setdefault(str(row["Email"]).lower(), str(row["Id"]))
        return found

    def completed_tasks(self, task_ids: Sequence[str]) -> set[str]:
        """Of these Task ids, the ones closed in Salesforce (``IsClosed``, e.g. Status Completed)."""
        valid = sorted({i for i in task_ids if SALESFORCE_ID.match(i)})
        done: set[str] = set()
        for chunk in chunks(valid, 200):
            wanted = ", ".join(soql_string(i) for i in chunk)
            soql = f"SELECT Id, IsClosed, Status FROM Task WHERE Id IN ({wanted})"
            for row in self._query_records(soql, all_rows=True):
                if row.get("IsClosed") or row.get("Status") == "Completed":
                    done.add(str(row["Id"]))
        return done

    # -- check ---------------------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Log in, read the API allowance left and what this user may do on Account, Opportunity and Task."""
        granted: list[str] = []
        problems: list[str] = []
        try:
            limits: dict[str, Any] = self._call(lambda sf: sf.limits())
        except CrmError as exc:
            return CheckResult("salesforce", ok=False, account=self.host, problems=[_said(exc)])
        daily = limits.get("DailyApiRequests") or {}
        if daily:
            remaining, cap = int(daily.get("Remaining", 0)), int(daily.get("Max", 0))
            granted.append(f"API requests left today: {remaining:,} of {cap:,}")
            if remaining <= 0:
                problems.append(
                    "The org's daily API request limit is used up: pulls and pushes fail until Salesforce frees "
                    "some (a rolling 24 hours)."
                )
        needs = {"Account": ("read", "edit"), "Opportunity": ("read",), "Task": ("read", "create"), "User": ("read",)}
        fields_seen: dict[str, set[str]] = {}
        for sobject, needed in needs.items():
            try:
                described = self._describe(sobject)
            except SalesforceApiError as exc:
                if exc.status == 404 or exc.code == "INVALID_TYPE":
                    problems.append(f"{sobject}: this user cannot read it. {PERMISSIONS_HINT}")
                else:
                    problems.append(f"{sobject}: {_said(exc)}")
                continue
            fields_seen[sobject] = {str(f["name"]) for f in described.get("fields", [])}
            has = [
                p
                for p, flag in (("read", "queryable"), ("create", "createable"), ("edit", "updateable"))
                if described.get(flag)
            ]
            granted.append(f"{sobject}: {', '.join(has) or 'no access'}")
            lacking = [p for p in needed if p not in has]
            if lacking:
                problems.append(f"{sobject}: no {' or '.join(lacking)} permission. {PERMISSIONS_HINT}")
        customize = self._may_customize()
        if customize is not None:
            granted.append(f"Customize Application: {'yes' if customize else 'no'}")
        missing = [f.spec_name for f in ICP_FIELDS if f.sobject in fields_seen and f.name not in fields_seen[f.sobject]]
        if missing:
            how = (
                "with icp crm push salesforce --create-fields or "
                if customize is not False
                else "(this user lacks 'Customize Application', so an admin must create them) "
            )
            problems.append(
                f"Fields icp writes are missing or hidden: {', '.join(missing)}. Create them {how}by hand as "
                "icp crm push salesforce --dry-run lists them, and make them visible and editable for the "
                "integration user."
            )
        return CheckResult("salesforce", ok=not problems, account=self._who(), granted=granted, problems=problems)

    def _who(self) -> str:
        """The instance host, with the org id and username when Salesforce tells them."""
        try:
            me = cast(dict[str, Any], self._call(lambda sf: sf.oauth2("userinfo")) or {})
        except CrmError:
            return self.host
        org, user = me.get("organization_id"), me.get("preferred_username")
        details = ", ".join(str(x) for x in (f"org {org}" if org else "", user or "") if x)
        return f"{self.host} ({details})" if details else self.host

    def _may_customize(self) -> bool | None:
        """Whether this user has "Customize Application" (None when Salesforce does not say)."""
        try:
            rows = self._query_records("SELECT PermissionsCustomizeApplication FROM UserPermissionAccess")
        except CrmError:
            return None
        return bool(rows[0].get("PermissionsCustomizeApplication")) if rows else None


def _said(exc: CrmError) -> str:
    return f"{exc.message} {exc.hint}".strip()
