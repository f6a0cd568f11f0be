"""A fake Salesforce org: a real HTTPS server on 127.0.0.1 for tests of the Salesforce adapter.

simple-salesforce always builds ``https://`` URLs from the instance host, so the fake speaks TLS with a
certificate from a throw-away authority (``trustme``); the client trusts it through
``ICP_SALESFORCE_CA_BUNDLE=fake.ca_bundle``. It answers only what the adapter uses, with Salesforce's
JSON shapes:

- ``POST /services/oauth2/token`` (client credentials) and ``POST /services/Soap/u/<v>`` (username,
  password + security token) issue session ids; every REST call needs ``Authorization: Bearer <id>``;
- ``GET /services/data/v<v>/limits``; ``GET .../sobjects/<Object>/describe``;
- ``GET .../query?q=`` and ``.../queryAll?q=`` (the SOQL subset of :mod:`icp.testing._salesforce_soql`),
  paged by ``nextRecordsUrl`` (``Sforce-Query-Options: batchSize=n`` honoured);
- ``GET /services/oauth2/userinfo`` (the session's user and org);
- ``POST|PATCH .../composite/sobjects`` (sObject Collections, 200 records at most, per-record results) on
  Account, Task, and the PermissionSet, FieldPermissions and PermissionSetAssignment that grant field access;
- ``POST .../tooling/sobjects/CustomField`` (creates a custom field when the user may customise);
- Bulk API 2.0 ingest: ``POST .../jobs/ingest``, ``PUT .../jobs/ingest/<id>/batches`` (CSV),
  ``PATCH .../jobs/ingest/<id>``, ``GET .../jobs/ingest/<id>`` and its ``failedResults``/``successfulResults``.

Failures: ``rate_limit_next`` (the concurrent-request limit or a 503), ``exhaust_daily_limit``
(``REQUEST_LIMIT_EXCEEDED`` TotalRequests), ``hang_after_pages``, ``expire_query_locators``, unknown
fields (``INVALID_FIELD``), fields created without field-level security (``field_security``), deleted
accounts and validation rules (per-record errors), an org without "Customize Application", read-only
objects, and ``not_salesforce`` (every path answers a 404 HTML page).
"""

from __future__ import annotations

import ssl
import tempfile
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from socket import socket
from typing import Any

from icp.testing._salesforce_org import Org, SfFailure
from icp.testing._salesforce_web import FakeSalesforceHandler
from icp.testing._serving import serve_in_background, shut_down

__all__ = ["FakeSalesforce", "SfFailure"]


_CANONICAL = {
    "name": "Name",
    "domain": "Website",
    "industry": "Industry",
    "employees": "NumberOfEmployees",
    "revenue": "AnnualRevenue",
    "country": "BillingCountry",
    "state": "BillingState",
    "city": "BillingCity",
    "description": "Description",
}


class _TlsServer(ThreadingHTTPServer):
    """A threading HTTP server that does each TLS handshake on the request's own thread."""

    def __init__(self, context: ssl.SSLContext, fake: FakeSalesforce) -> None:
        super().__init__(("127.0.0.1", 0), FakeSalesforceHandler)
        self.context = context
        self.fake = fake

    def finish_request(self, request: Any, client_address: Any) -> None:
        assert isinstance(request, socket)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]
        finally:
            tls.close()


class FakeSalesforce(Org):
    """A scriptable Salesforce org on ``https://127.0.0.1:<port>``; use it as a context manager.

    Args:
        page_size: records per query page when the client asks for no batch size (Salesforce: 2,000).
        can_customize: the user has "Customize Application" (Tooling API field creation works).
        icp_fields: the ``ICP_*__c`` fields exist from the start (else the adapter must create them).
        field_security: fields created through the Tooling API stay invisible to the user (describe, queries,
            writes) until a permission set assigned to it grants them (FieldPermissions), as in a real org.
        read_only: objects the user may read but not create or edit (e.g. ``("Task",)``).
        not_salesforce: every request answers a 404 HTML page (an instance URL that is some other site).
        api_version: the REST API version served (``/services/data/v62.0``); other versions answer 404.
    """

    def __init__(
        self,
        *,
        page_size: int = 2000,
        can_customize: bool = True,
        icp_fields: bool = False,
        field_security: bool = False,
        read_only: tuple[str, ...] = (),
        not_salesforce: bool = False,
        api_version: str = "62.0",
    ) -> None:
        super().__init__(
            page_size=page_size,
            can_customize=can_customize,
            icp_fields=icp_fields,
            field_security=field_security,
            read_only=read_only,
            api_version=api_version,
        )
        self.not_salesforce = not_salesforce
        self.token = "00DFAKE0000000001!AQ.fake-session-id"
        self.username = "integration@example.com"
        self.password = "correct-horse"
        self.security_token = "SECTOKEN1"
        self.client_id = "3MVG9fake.connected.app"
        self.client_secret = "fake-consumer-secret"
        self.sessions.add(self.token)
        self._server: _TlsServer | None = None
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._ca_bundle: Path | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeSalesforce:
        """Start serving in a background thread; returns self."""
        if self._server is not None:
            return self
        import trustme  # a test dependency (the dev extra), imported only when a fake starts

        authority = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-salesforce-")
        self._ca_bundle = Path(self._tmp.name) / "ca.pem"
        authority.cert_pem.write_to_path(str(self._ca_bundle))
        self.released.clear()
        self._server = _TlsServer(context, self)
        self._thread = serve_in_background(self._server, "fake-salesforce")
        return self

    def stop(self) -> None:
        """Stop serving, release hanging requests and remove the certificate files."""
        self.release()
        shut_down(self._server, self._thread)
        self._server, self._thread = None, None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> FakeSalesforce:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>``: the instance URL (``ICP_SALESFORCE_INSTANCE_URL``)."""
        if self._server is None:
            raise RuntimeError("FakeSalesforce is not running; use it as a context manager or call start().")
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def ca_bundle(self) -> str:
        """Path of the PEM file of the authority that signed the fake's certificate."""
        if self._ca_bundle is None:
            raise RuntimeError("FakeSalesforce is not running; use it as a context manager or call start().")
        return str(self._ca_bundle)

    def env(self, *, auth: str = "token") -> dict[str, str]:
        """``ICP_SALESFORCE_*`` variables that connect icp to this org.

        ``auth`` is ``token`` (the session id as is), ``client_credentials`` or ``password``.
        """
        values = {"ICP_SALESFORCE_INSTANCE_URL": self.url, "ICP_SALESFORCE_CA_BUNDLE": self.ca_bundle}
        if auth == "token":
            values["ICP_SALESFORCE_ACCESS_TOKEN"] = self.token
        elif auth == "client_credentials":
            values |= {"ICP_SALESFORCE_CLIENT_ID": self.client_id, "ICP_SALESFORCE_CLIENT_SECRET": self.client_secret}
        elif auth == "password":
            values |= {
                "ICP_SALESFORCE_USERNAME": self.username,
                "ICP_SALESFORCE_PASSWORD": self.password,
                "ICP_SALESFORCE_SECURITY_TOKEN": self.security_token,
            }
        else:
            raise ValueError(f"unknown auth {auth!r}: token, client_credentials or password")
        return values

    # -- seeding (canonical rows, as the HubSpot fake takes them) ------------------------------------

    def seed_companies(self, rows: list[dict[str, Any]]) -> list[str]:
        """Create accounts from canonical rows (domain, name, industry, employees, country, description,
        and optionally state, city, revenue); returns their ids. One call shares one LastModifiedDate."""
        stamp = self.clock()
        ids = []
        for row in rows:
            record = {field: row.get(key) for key, field in _CANONICAL.items()}
            record["Name"] = row.get("name") or row.get("domain") or "Unnamed"
            ids.append(self.insert("Account", record, stamp))
        return ids

    def seed_deals(self, rows: list[dict[str, Any]]) -> list[str]:
        """Create opportunities from canonical rows (name, result won/lost/open, amount, create_date,
        close_date, account_crm_id); returns their ids."""
        stamp = self.clock()
        ids = []
        for row in rows:
            result = row.get("result", "open")
            created = _as_date(row.get("create_date")) or stamp.date()
            record = {
                "Name": row.get("name") or "Deal",
                "StageName": {"won": "Closed Won", "lost": "Closed Lost"}.get(result, "Prospecting"),
                "IsWon": result == "won",
                "IsClosed": result in ("won", "lost"),
                "Amount": row.get("amount"),
                "CloseDate": _as_date(row.get("close_date")) or created + timedelta(days=30),
                "CreatedDate": datetime(created.year, created.month, created.day, tzinfo=UTC),
                "AccountId": row.get("account_crm_id"),
            }
            ids.append(self.insert("Opportunity", record, stamp))
        return ids

    def add_user(self, email: str, *, name: str = "", active: bool = True) -> str:
        """A user tasks can be assigned to; returns the user id."""
        record = {"Email": email, "Name": name or email.split("@")[0], "Username": email, "IsActive": active}
        return self.insert("User", record, self.clock())

    def add_owner(self, email: str) -> str:
        """A user who can own tasks (as :meth:`add_user`); returns the user id."""
        return self.add_user(email)

    # -- changes made in the CRM by its users --------------------------------------------------------

    def touch_company(self, crm_id: str, **fields: Any) -> None:
        """Change an account as a user would, bumping its LastModifiedDate. Canonical names (domain, name,
        industry, employees, country, description, state, city, revenue) or Salesforce field names."""
        self.update("Account", crm_id, {_CANONICAL.get(k, k): v for k, v in fields.items()})

    def delete_company(self, crm_id: str) -> None:
        """Delete an account: later writes to it fail with ENTITY_IS_DELETED."""
        with self.lock:
            self.records["Account"][crm_id]["IsDeleted"] = True

    def reject_writes(self, crm_id: str, message: str = "Annual revenue is required for customers.") -> None:
        """A validation rule that fails every edit of this record (FIELD_CUSTOM_VALIDATION_EXCEPTION)."""
        with self.lock:
            self.validation_rules[crm_id] = message

    def complete_task(self, crm_task_id: str) -> None:
        """Mark a task Completed, as a rep would."""
        self.update("Task", crm_task_id, {"Status": "Completed", "IsClosed": True})

    # -- faults --------------------------------------------------------------------------------------

    def rate_limit_next(self, n: int = 1, *, kind: str = "concurrency") -> None:
        """The next ``n`` REST requests fail retryably: ``concurrency`` answers 403 REQUEST_LIMIT_EXCEEDED
        (ConcurrentPerOrgLongTxn, the org's concurrent-request limit), ``unavailable`` 503 SERVER_UNAVAILABLE."""
        if kind not in ("concurrency", "unavailable"):
            raise ValueError("kind is concurrency or unavailable")
        with self.lock:
            self.failures.extend([SfFailure.CONCURRENCY if kind == "concurrency" else SfFailure.UNAVAILABLE] * n)

    def remove_read_access(self, sobject: str) -> None:
        """The user loses Read on an object: its describe answers 404 and queries INVALID_TYPE."""
        with self.lock:
            self.unreadable.add(sobject)

    def exhaust_daily_limit(self, exhausted: bool = True) -> None:
        """Every REST request (but /limits) answers 403 REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."""
        with self.lock:
            self.daily_limit_exhausted = exhausted

    def hang_after_pages(self, n: int) -> None:
        """After ``n`` more query pages (first pages and nextRecordsUrl pages), the next page request blocks
        until :meth:`release` (or :meth:`stop`); ``hanging`` is set once it does. Later requests (a resumed
        pull) are answered."""
        with self.lock:
            self.pages_before_hang = n
            self.released.clear()
            self.hanging.clear()

    def release(self) -> None:
        """Let hanging page requests go on, and stop hanging."""
        with self.lock:
            self.pages_before_hang = None
        self.released.set()

    def expire_query_locators(self) -> None:
        """nextRecordsUrl locators handed out so far answer INVALID_QUERY_LOCATOR (as after 15 minutes)."""
        with self.lock:
            self.locators.clear()

    # -- inspection ----------------------------------------------------------------------------------

    def account_values(self, crm_id: str) -> dict[str, Any]:
        """The ``ICP_*__c`` values on an account, as written (dates as ISO strings)."""
        with self.lock:
            record = self.records["Account"][crm_id]
            return {k: _plain(v) for k, v in record.items() if k.startswith("ICP_")}

    def tasks(self) -> list[dict[str, Any]]:
        """Every task: ``id``, ``external_id`` (ICP_Task_Id__c), ``account_crm_id`` (WhatId), ``status``, and
        all its Salesforce fields by their own names (dates as ISO strings)."""
        with self.lock:
            return [
                {
                    "id": r["Id"],
                    "external_id": r.get("ICP_Task_Id__c"),
                    "account_crm_id": r.get("WhatId"),
                    "status": r.get("Status"),
                    **{k: _plain(v) for k, v in r.items()},
                }
                for r in self.records["Task"].values()
            ]

    def requests_made(self, path_part: str = "") -> int:
        """How many REST requests (reads and writes) had ``path_part`` in their path."""
        with self.lock:
            return sum(1 for _method, path in self.log if path_part in path)


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
