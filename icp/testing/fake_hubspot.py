"""A fake HubSpot: a real HTTP server on 127.0.0.1 speaking the endpoints icp's HubSpot adapter uses.

It answers with HubSpot's JSON shapes — search results with ``paging.next.after`` (at most 200 a page
and 10,000 a query), batch answers with ``status``/``results``/``errors`` and 207 Multi-Status for
partial failures, 401 ``INVALID_AUTHENTICATION``, 403 ``MISSING_SCOPES`` naming the scope, 409 for a
property that exists, and 429 ``RATE_LIMIT`` bodies with ``Retry-After`` and ``X-HubSpot-RateLimit-*``
headers — so ``hubspot-api-client`` runs unpatched against it.

The test-control surface (``seed_companies``, ``seed_deals``, ``rate_limit_next``, ``hang_after_pages``,
``complete_task``, ``touch_company``, ``writes``, ``account_values``, ``tasks``) is shared with the fake
Salesforce, so one end-to-end test runs against either.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

from icp.testing._hubspot_shapes import (
    ALL_SCOPES,
    COMPANY_DEFAULTS,
    EPOCH,
    TASK_DEFAULTS,
    TIERS,
    HubSpotHandler,
    Record,
    error_body,
    iso,
    property_shape,
)
from icp.testing._serving import serve_in_background, shut_down


class FakeHubSpot:
    """A scriptable HubSpot on ``127.0.0.1`` (an ephemeral port). Use as a context manager."""

    def __init__(
        self, *, token: str = "pat-na1-fake-token", scopes: Sequence[str] = ALL_SCOPES, portal_id: int = 424242
    ):
        self.token = token
        self.scopes = list(scopes)
        self.portal_id = portal_id
        self.retry_after = "1"
        self.writes: list[tuple[str, str]] = []
        self.page_requests: list[tuple[str, str, str | None]] = []  # (object, after, since) of every search page
        self._lock = threading.RLock()
        self._ids = itertools.count(1001)
        self._clock = EPOCH
        self._objects: dict[str, dict[str, Record]] = {"companies": {}, "deals": {}, "tasks": {}}
        self._properties: dict[str, dict[str, dict[str, Any]]] = {
            "companies": {n: property_shape(n) for n in COMPANY_DEFAULTS},
            "tasks": {n: property_shape(n, "task") for n in TASK_DEFAULTS},
        }
        self._properties["companies"]["hs_ideal_customer_profile"] = property_shape(
            "hs_ideal_customer_profile",
            kind="enumeration",
            label="Ideal Customer Profile Tier",
            options=[
                {"label": f"Tier {i}", "value": t, "displayOrder": i, "hidden": False} for i, t in enumerate(TIERS, 1)
            ],
        )
        self._groups: set[str] = {"companyinformation"}
        self.owners: dict[str, str] = {}
        self._rate_limited = 0
        self._rate_policy = "TEN_SECONDLY_ROLLING"
        self._hang_after: int | None = None
        self._release = threading.Event()
        self.hanging = threading.Event()  # set while a page request is held by hang_after_pages
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), HubSpotHandler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give the client (ICP_HUBSPOT_BASE_URL)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeHubSpot:
        self._thread = serve_in_background(self._server, "fake-hubspot")
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        shut_down(self._server, self._thread)

    # -- test control ------------------------------------------------------------------------------

    def _tick(self) -> datetime:
        self._clock += timedelta(seconds=1)
        return self._clock

    def seed_companies(self, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """Add companies from canonical rows (domain, name, industry, employees, country, description)."""
        names = {"employees": "numberofemployees", "revenue": "annualrevenue"}
        ids = []
        with self._lock:
            for row in rows:
                ident = str(next(self._ids))
                props = {names.get(k, k): (None if v is None else str(v)) for k, v in row.items()}
                self._objects["companies"][ident] = Record(ident, props, self._tick())
                ids.append(ident)
        return ids

    def seed_deals(self, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """Add deals from canonical rows (name, result, amount, create_date, close_date, account_crm_id)."""
        stage = {"won": "closedwon", "lost": "closedlost", "open": "appointmentscheduled"}
        ids = []
        with self._lock:
            for row in rows:
                ident = str(next(self._ids))
                result = str(row.get("result") or "open")
                props = {
                    "dealname": row.get("name"),
                    "dealstage": stage[result],
                    "amount": None if row.get("amount") is None else str(row["amount"]),
                    "createdate": f"{row['create_date']}T00:00:00.000Z" if row.get("create_date") else None,
                    "closedate": f"{row['close_date']}T00:00:00.000Z" if row.get("close_date") else None,
                    "hs_is_closed_won": "true" if result == "won" else "false",
                    "hs_is_closed": "false" if result == "open" else "true",
                }
                record = Record(ident, props, self._tick())
                if row.get("account_crm_id"):
                    record.companies.append(str(row["account_crm_id"]))
                self._objects["deals"][ident] = record
                ids.append(ident)
        return ids

    def add_owner(self, email: str) -> str:
        """A HubSpot user who can own tasks; returns its owner id."""
        with self._lock:
            self.owners[email.casefold()] = str(next(self._ids))
            return self.owners[email.casefold()]

    def rate_limit_next(self, n: int = 1, *, policy: str = "TEN_SECONDLY_ROLLING") -> None:
        """The next ``n`` API requests get HubSpot's 429 (policy TEN_SECONDLY_ROLLING or DAILY)."""
        with self._lock:
            self._rate_limited, self._rate_policy = n, policy

    def hang_after_pages(self, n: int) -> None:
        """After ``n`` more search pages, the next page request blocks until :meth:`release` (or shutdown)."""
        with self._lock:
            self._hang_after = n
            self._release.clear()

    def release(self) -> None:
        """Let a hung page request answer."""
        with self._lock:
            self._hang_after = None
        self._release.set()

    def complete_task(self, crm_task_id: str) -> None:
        """A rep marks the task completed in HubSpot."""
        with self._lock:
            task = self._objects["tasks"][crm_task_id]
            task.properties["hs_task_status"] = "COMPLETED"
            task.modified = self._tick()

    def touch_company(self, crm_id: str, **fields: Any) -> None:
        """Change a company (canonical names: employees, industry, ...) and bump its last-modified time."""
        names = {"employees": "numberofemployees", "revenue": "annualrevenue"}
        with self._lock:
            record = self._objects["companies"][crm_id]
            record.properties.update({names.get(k, k): (None if v is None else str(v)) for k, v in fields.items()})
            record.modified = self._tick()

    def account_values(self, crm_id: str) -> dict[str, Any]:
        """What icp wrote on a company: the tier property and every ``icp_*`` property."""
        with self._lock:
            props = self._objects["companies"][crm_id].properties
            return {k: v for k, v in props.items() if k.startswith("icp_") or k == "hs_ideal_customer_profile"}

    def tasks(self) -> list[dict[str, Any]]:
        """Every task icp created: ``id``, ``external_id`` (icp-task-<id>), ``account_crm_id``, ``status``, and
        HubSpot's own ``properties`` and associated ``companies``."""
        with self._lock:
            return [
                {
                    "id": t.id,
                    "external_id": t.properties.get("icp_task_id"),
                    "account_crm_id": t.companies[0] if t.companies else None,
                    "status": t.properties.get("hs_task_status"),
                    "properties": dict(t.properties),
                    "companies": list(t.companies),
                }
                for t in self._objects["tasks"].values()
            ]

    def property_names(self, object_type: str) -> set[str]:
        """The properties HubSpot has for companies or tasks (icp's are added on the first push)."""
        with self._lock:
            return set(self._properties[object_type])

    # -- the API -----------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, auth: str
    ) -> tuple[int, dict[str, str], Any]:
        if path == "/oauth/v2/private-apps/get/access-token-info":
            if not isinstance(body, dict) or body.get("tokenKey") != self.token:
                return 401, {}, error_body("INVALID_AUTHENTICATION", "The access token is invalid or expired.")
            return 200, {}, {"userId": 7, "hubId": self.portal_id, "appId": 99, "scopes": list(self.scopes)}
        if auth != f"Bearer {self.token}":
            return (
                401,
                {},
                error_body(
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
                    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                ),
            )
        with self._lock:
            if self._rate_limited > 0:
                self._rate_limited -= 1
                return self._rate_limit_answer()
        route = _ROUTES.get((method, path.rstrip("/")))
        if route is None:
            return 404, {}, error_body("OBJECT_NOT_FOUND", f"No route for {method} {path}")
        scope, handler, writes = route
        if scope not in self.scopes:
            return (
                403,
                {},
                error_body(
                    "MISSING_SCOPES",
                    "This app hasn't been granted all required scopes to make this call. Read more about required "
                    "scopes here: https://developers.hubspot.com/scopes.",
                    errors=[
                        {
                            "message": "One or more of the following scopes are required.",
                            "context": {"requiredGranularScopes": [scope]},
                        }
                    ],
                    links={"scopes": "https://developers.hubspot.com/scopes"},
                ),
            )
        if writes:
            with self._lock:
                self.writes.append((method, path))
        answer: tuple[int, dict[str, str], Any] = handler(self, path, query, body)
        return answer

    def _rate_limit_answer(self) -> tuple[int, dict[str, str], Any]:
        daily = self._rate_policy == "DAILY"
        headers = {
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": "190",
            "X-HubSpot-RateLimit-Remaining": "0",
            "X-HubSpot-RateLimit-Daily": "1000000",
            "X-HubSpot-RateLimit-Daily-Remaining": "0" if daily else "999000",
        }
        if not daily:
            headers["Retry-After"] = self.retry_after
        body = {
            "status": "error",
            "message": f"You have reached your {self._rate_policy.lower()} limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": "fake-correlation-id",
            "policyName": self._rate_policy,
            "groupName": "publicapi:private-app:424242",
        }
        return 429, headers, body

    def _wait_if_hung(self) -> None:
        with self._lock:
            if self._hang_after is None:
                return
            if self._hang_after > 0:
                self._hang_after -= 1
                return
        self.hanging.set()
        self._release.wait()
        self.hanging.clear()

    def _search(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, dict[str, str], Any]:
        object_type = path.split("/")[4]
        limit = int(body.get("limit") or 10)
        after = int(body.get("after") or 0)
        if limit > 200:
            return 400, {}, error_body("VALIDATION_ERROR", "limit must be at most 200")
        if after + limit > 10_000:
            return 400, {}, error_body("VALIDATION_ERROR", "The search API returns at most 10,000 results per query.")
        filters = [f for group in body.get("filterGroups") or [] for f in group.get("filters") or []]
        since = next((f.get("value") for f in filters if f.get("propertyName") == "hs_lastmodifieddate"), None)
        if object_type in ("companies", "deals") and limit > 1:
            self._wait_if_hung()
            with self._lock:
                self.page_requests.append((object_type, str(after), since))
        with self._lock:
            records = sorted(self._objects[object_type].values(), key=lambda r: (r.modified, int(r.id)))
            for f in filters:
                name, operator = f.get("propertyName"), f.get("operator")
                if name == "hs_lastmodifieddate" and operator in ("GT", "GTE"):
                    bound = datetime.fromtimestamp(int(f["value"]) / 1000, tz=UTC)
                    records = [r for r in records if r.modified > bound or (operator == "GTE" and r.modified == bound)]
                elif operator == "IN":
                    values = {str(v) for v in f.get("values") or []}
                    records = [r for r in records if str(r.properties.get(name)) in values]
                elif operator == "EQ":
                    records = [r for r in records if str(r.properties.get(name)) == str(f.get("value"))]
            page = records[after : after + limit]
            answer: dict[str, Any] = {"total": len(records), "results": [r.shape(body.get("properties")) for r in page]}
            if after + limit < len(records):
                nxt = str(after + limit)
                answer["paging"] = {"next": {"after": nxt, "link": f"?after={nxt}"}}
        return 200, {}, answer

    def _associations(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, dict[str, str], Any]:
        results, errors = [], []
        with self._lock:
            for item in body.get("inputs") or []:
                deal = self._objects["deals"].get(str(item.get("id")))
                if deal is None or not deal.companies:
                    errors.append(
                        {
                            "status": "error",
                            "category": "OBJECT_NOT_FOUND",
                            "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                            "message": f"No company is associated with deal {item.get('id')}.",
                            "context": {"fromObjectId": [str(item.get("id"))]},
                        }
                    )
                    continue
                to = [
                    {
                        "toObjectId": int(c),
                        "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 5, "label": "Primary"}],
                    }
                    for c in deal.companies
                ]
                results.append({"from": {"id": deal.id}, "to": to})
        return self._batch_answer(results, errors, created=False)

    @staticmethod
    def _batch_answer(results: list[Any], errors: list[Any], *, created: bool) -> tuple[int, dict[str, str], Any]:
        now = iso(datetime.now(UTC))
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        if errors:
            answer.update(numErrors=len(errors), errors=errors)
            return 207, {}, answer
        return (201 if created else 200), {}, answer

    def _get_properties(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, dict[str, str], Any]:
        object_type = path.rstrip("/").split("/")[-1]
        with self._lock:
            return 200, {}, {"results": list(self._properties.get(object_type, {}).values())}

    def _create_property(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, dict[str, str], Any]:
        object_type = path.rstrip("/").split("/")[-1]
        with self._lock:
            name = str(body.get("name"))
            if name in self._properties[object_type]:
                return 409, {}, error_body("OBJECT_ALREADY_EXISTS", f"Property named '{name}' already exists.")
            group = body.get("groupName")
            if object_type == "companies" and group not in self._groups:
                return 400, {}, error_body("VALIDATION_ERROR", f"Property group '{group}' does not exist.")
            self._properties[object_type][name] = property_shape(name, **{k: v for k, v in body.items() if k != "name"})
            return 201, {}, self._properties[object_type][name]

    def _create_group(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            name = str(body.get("name"))
            if name in self._groups:
                return 409, {}, error_body("OBJECT_ALREADY_EXISTS", f"Group named '{name}' already exists.")
            self._groups.add(name)
            return 201, {}, {"name": name, "label": body.get("label", name), "displayOrder": -1, "archived": False}

    def _update_companies(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, dict[str, str], Any]:
        inputs = body.get("inputs") or []
        if len(inputs) > 100:
            return 400, {}, error_body("VALIDATION_ERROR", "A batch may hold at most 100 inputs.")
        with self._lock:
            known = self._properties["companies"]
            for item in inputs:
                for name, value in (item.get("properties") or {}).items():
                    if name not in known:
                        return 400, {}, error_body("VALIDATION_ERROR", f'Property "{name}" does not exist')
                    if name == "hs_ideal_customer_profile" and value not in ("", *TIERS):
                        return 400, {}, error_body("VALIDATION_ERROR", f"{value!r} is not a valid option")
            results, missing = [], []
            for item in inputs:
                record = self._objects["companies"].get(str(item.get("id")))
                if record is None:
                    missing.append(str(item.get("id")))
                    continue
                record.properties.update(item.get("properties") or {})
                record.modified = self._tick()
                results.append(record.shape(list(item.get("properties") or {})))
        errors = (
            [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some COMPANY objects, they may be deleted or not exist.",
                    "context": {"ids": missing},
                }
            ]
            if missing
            else []
        )
        return self._batch_answer(results, errors, created=False)

    def _owners(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, dict[str, str], Any]:
        email = (query.get("email") or [""])[0].casefold()
        with self._lock:
            found = [(e, i) for e, i in self.owners.items() if not email or e == email]
        now = iso(EPOCH)
        results = [
            {
                "id": i,
                "email": e,
                "firstName": "",
                "lastName": "",
                "userId": int(i),
                "createdAt": now,
                "updatedAt": now,
                "archived": False,
                "teams": [],
            }
            for e, i in found
        ]
        return 200, {}, {"results": results}

    def _create_tasks(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, dict[str, str], Any]:
        results = []
        with self._lock:
            known = self._properties["tasks"]
            for item in body.get("inputs") or []:
                props = item.get("properties") or {}
                unknown = [n for n in props if n not in known]
                if unknown:
                    return 400, {}, error_body("VALIDATION_ERROR", f'Property "{unknown[0]}" does not exist')
                companies = []
                for association in item.get("associations") or []:
                    types = [t.get("associationTypeId") for t in association.get("types") or []]
                    target = str((association.get("to") or {}).get("id"))
                    if 192 not in types or target not in self._objects["companies"]:
                        return (
                            400,
                            {},
                            error_body("VALIDATION_ERROR", f"Cannot associate the task with company {target}"),
                        )
                    companies.append(target)
                ident = str(next(self._ids))
                record = Record(ident, dict(props), self._tick())
                record.companies = companies
                self._objects["tasks"][ident] = record
                results.append(record.shape(None))
        return self._batch_answer(results, [], created=True)

    def _read_tasks(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, dict[str, str], Any]:
        results, missing = [], []
        with self._lock:
            for item in body.get("inputs") or []:
                record = self._objects["tasks"].get(str(item.get("id")))
                if record is None:
                    missing.append(str(item.get("id")))
                else:
                    results.append(record.shape(body.get("properties")))
        errors = [
            {"status": "error", "category": "OBJECT_NOT_FOUND", "message": "Not found", "context": {"ids": missing}}
        ]
        return self._batch_answer(results, errors if missing else [], created=False)


_ROUTES: dict[tuple[str, str], tuple[str, Any, bool]] = {
    ("POST", "/crm/v3/objects/companies/search"): ("crm.objects.companies.read", FakeHubSpot._search, False),
    ("POST", "/crm/v3/objects/deals/search"): ("crm.objects.deals.read", FakeHubSpot._search, False),
    ("POST", "/crm/v3/objects/tasks/search"): ("tasks", FakeHubSpot._search, False),
    ("POST", "/crm/v4/associations/deals/companies/batch/read"): (
        "crm.objects.deals.read",
        FakeHubSpot._associations,
        False,
    ),
    ("GET", "/crm/v3/properties/companies"): ("crm.objects.companies.read", FakeHubSpot._get_properties, False),
    ("GET", "/crm/v3/properties/tasks"): ("tasks", FakeHubSpot._get_properties, False),
    ("POST", "/crm/v3/properties/companies"): ("crm.schemas.companies.write", FakeHubSpot._create_property, True),
    ("POST", "/crm/v3/properties/tasks"): ("tasks", FakeHubSpot._create_property, True),
    ("POST", "/crm/v3/properties/companies/groups"): ("crm.schemas.companies.write", FakeHubSpot._create_group, True),
    ("POST", "/crm/v3/objects/companies/batch/update"): (
        "crm.objects.companies.write",
        FakeHubSpot._update_companies,
        True,
    ),
    ("GET", "/crm/v3/owners"): ("crm.objects.owners.read", FakeHubSpot._owners, False),
    ("POST", "/crm/v3/objects/tasks/batch/create"): ("tasks", FakeHubSpot._create_tasks, True),
    ("POST", "/crm/v3/objects/tasks/batch/read"): ("tasks", FakeHubSpot._read_tasks, False),
}
