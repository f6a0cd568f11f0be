"""HubSpot behind ``hubspot-api-client``: companies and deals by last-modified, the icp properties, tasks.

- Companies and deals are read through the CRM search API, sorted by ``hs_lastmodifieddate`` and
  filtered on it from the previous pull, asking only for the properties icp maps. The search API stops at
  10,000 results per query, so a long pull restarts its query from the last modified time it reached;
  the cursor carries both.
- Deals bring their company through the v4 associations batch read.
- icp writes the native "Ideal Customer Profile Tier" (``hs_ideal_customer_profile``: ``tier_1`` to
  ``tier_3``) and ``icp_*`` properties, created on the first push in an ``icp`` property group, through
  the batch update endpoint (100 companies a request; a 207 reports failures per company).
- Prospecting tasks become HubSpot tasks associated with the company (association type 192) and
  assigned to the owner with the rep's e-mail; the ``icp_task_id`` task property makes creating them
  idempotent (searched before creating).

The client's host comes from ``ICP_HUBSPOT_BASE_URL`` (the generated clients' ``Configuration.host``),
so tests run against a local server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from icp.crm._hubspot_http import SCOPES_HINT, _body, missing_scopes, translate, with_retries
from icp.crm._hubspot_schema import (
    ACCOUNT_FIELDS,
    COMPANY_PROPERTIES,
    DEAL_PROPERTIES,
    GROUP,
    PROPERTY_DEFINITIONS,
    REQUIRED_SCOPES,
    TASK_ID_PROPERTY,
    TASK_PROPERTY,
    account_properties,
    batch_outcome,
    epoch_ms,
    parse_time,
    readable_enum,
    task_input,
)
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

if TYPE_CHECKING:
    from icp.settings import Settings

DEFAULT_BASE_URL = "https://api.hubapi.com"
PAGE_SIZE = 100
BATCH_SIZE = 100
SEARCH_WINDOW = 10_000  # HubSpot's search API returns at most this many results per query
TIMEOUT_S = 30.0


def _api_errors() -> tuple[type[BaseException], ...]:
    from hubspot.crm.associations.v4.exceptions import ApiException as Associations
    from hubspot.crm.companies.exceptions import ApiException as Companies
    from hubspot.crm.deals.exceptions import ApiException as Deals
    from hubspot.crm.objects.exceptions import ApiException as Objects
    from hubspot.crm.owners.exceptions import ApiException as Owners
    from hubspot.crm.properties.exceptions import ApiException as Properties

    return (Associations, Companies, Deals, Objects, Owners, Properties)


class HubSpotCrm:
    """The HubSpot adapter (see the module docstring)."""

    name: ProviderName = "hubspot"
    creates_fields = True  # the icp_* properties are created on the first push, without --create-fields

    def __init__(self, token: str, base_url: str = DEFAULT_BASE_URL, *, timeout_s: float = TIMEOUT_S) -> None:
        import hubspot
        from urllib3.util.retry import Retry

        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout_s
        # Retries are ours (rate-limit aware, see _hubspot_http); urllib3 must not retry on top of them.
        self._client = hubspot.Client.create(
            access_token=token, host=self.base_url, base_url=self.base_url, retry=Retry(total=0, redirect=0)
        )
        self._errors = _api_errors()
        self._owners: dict[str, str | None] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> HubSpotCrm:
        """The adapter for ``ICP_HUBSPOT_TOKEN`` and ``ICP_HUBSPOT_BASE_URL``."""
        from icp.errors import ConfigError

        if settings.hubspot_token is None or not settings.hubspot_token.get_secret_value().strip():
            raise ConfigError(
                "No HubSpot token: set ICP_HUBSPOT_TOKEN to a private app's access token (HubSpot: Settings > "
                "Integrations > Private Apps > Create; scopes are listed in the README under 'CRM round trip')."
            )
        return cls(settings.hubspot_token.get_secret_value().strip(), settings.hubspot_base_url)

    # -- transport ---------------------------------------------------------------------------------

    def _call(self, doing: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """One SDK call with the raw JSON answer, HubSpot's errors translated and rate limits waited out."""
        from urllib3.exceptions import HTTPError

        def once() -> dict[str, Any]:
            try:
                response = method(*args, _preload_content=False, _request_timeout=self._timeout, **kwargs)
            except self._errors as exc:
                status = int(getattr(exc, "status", 0) or 0)
                raise translate(status, getattr(exc, "body", None), getattr(exc, "headers", None), doing) from None
            except HTTPError as exc:
                raise CrmError(
                    f"Cannot reach HubSpot at {self.base_url} while {doing} ({type(exc).__name__}).",
                    hint="Check ICP_HUBSPOT_BASE_URL (default https://api.hubapi.com) and the network.",
                ) from None
            return _body(response.data)

        return with_retries(once)

    # -- reading -----------------------------------------------------------------------------------

    def _search(
        self,
        api: Any,
        what: str,
        properties: Sequence[str],
        since: datetime | None,
        cursor: str | None,
    ) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
        state = json.loads(cursor) if cursor else {"since": epoch_ms(since) if since else None, "after": "0"}
        while True:
            filters = (
                [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": state["since"]}]
                if state["since"]
                else []
            )
            request = {
                "filterGroups": [{"filters": filters}] if filters else [],
                "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                "properties": list(properties),
                "limit": PAGE_SIZE,
                "after": state["after"],
            }
            answer = self._call(f"reading {what}", api.do_search, public_object_search_request=request)
            results = [r for r in answer.get("results") or [] if isinstance(r, dict)]
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
            next_state: dict[str, Any] | None = None
            if after is not None and results:
                if int(after) + PAGE_SIZE <= SEARCH_WINDOW:
                    next_state = {"since": state["since"], "after": str(after)}
                else:  # the query's window is used up: start a new query from the last modified time reached
                    last = parse_time((results[-1].get("properties") or {}).get("hs_lastmodifieddate"))
                    next_state = {"since": epoch_ms(last) if last else state["since"], "after": "0"}
            yield results, json.dumps(next_state) if next_state else None
            if next_state is None:
                return
            state = next_state

    @staticmethod
    def _record(result: dict[str, Any]) -> dict[str, Any]:
        properties = dict(result.get("properties") or {})
        modified = parse_time(properties.pop("hs_lastmodifieddate", None)) or parse_time(result.get("updatedAt"))
        properties.pop("hs_object_id", None)
        record: dict[str, Any] = {k: v for k, v in properties.items() if v not in (None, "")}
        if "industry" in record:
            record["industry"] = readable_enum(record["industry"])
        record["crm_id"] = str(result.get("id"))
        record["modified_at"] = modified or datetime.now(UTC)
        return record

    def companies(self, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        """Companies modified at or after ``since``, oldest first, 100 a page."""
        api = self._client.crm.companies.search_api
        for results, next_cursor in self._search(api, "companies", COMPANY_PROPERTIES, since, cursor):
            yield Page(records=[self._record(r) for r in results], cursor=next_cursor)

    def deals(self, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        """Deals modified at or after ``since`` with their associated company, 100 a page."""
        api = self._client.crm.deals.search_api
        for results, next_cursor in self._search(api, "deals", DEAL_PROPERTIES, since, cursor):
            records = [self._record(r) for r in results]
            companies = self._deal_companies([r["crm_id"] for r in records])
            for record in records:
                record["crm_account_id"] = companies.get(record["crm_id"])
            yield Page(records=records, cursor=next_cursor)

    def _deal_companies(self, deal_ids: Sequence[str]) -> dict[str, str]:
        if not deal_ids:
            return {}
        answer = self._call(
            "reading deal-company associations",
            self._client.crm.associations.v4.batch_api.get_page,
            "deals",
            "companies",
            batch_input_public_fetch_associations_batch_request={"inputs": [{"id": d} for d in deal_ids]},
        )
        found: dict[str, str] = {}
        for result in answer.get("results") or []:
            deal = str((result.get("from") or {}).get("id"))
            targets = result.get("to") or []
            primary = next(
                (t for t in targets if any(a.get("typeId") == 5 for a in t.get("associationTypes") or [])),
                targets[0] if targets else None,
            )
            if primary is not None:
                found[deal] = str(primary.get("toObjectId"))
        return found

    # -- properties --------------------------------------------------------------------------------

    def fields(self) -> list[FieldSpec]:
        """The company properties icp writes (the tier property is HubSpot's own)."""
        return list(ACCOUNT_FIELDS)

    def _property_names(self, object_type: str) -> set[str]:
        answer = self._call(
            f"reading {object_type} properties", self._client.crm.properties.core_api.get_all, object_type
        )
        return {str(p.get("name")) for p in answer.get("results") or []}

    def ensure_fields(self, *, create: bool) -> list[str]:
        """The properties icp writes that HubSpot lacks; with ``create``, creates them first in the icp group."""
        present = self._property_names("companies")
        missing = [f.name for f in ACCOUNT_FIELDS if f.name not in present]
        task_missing = TASK_ID_PROPERTY not in self._property_names("tasks")
        if not create or not (missing or task_missing):
            return missing + ([f"tasks.{TASK_ID_PROPERTY}"] if task_missing else [])
        properties = self._client.crm.properties
        if any(name in PROPERTY_DEFINITIONS for name in missing):
            try:
                self._call(
                    "creating the icp property group",
                    properties.groups_api.create,
                    "companies",
                    property_group_create={"name": GROUP, "label": "icp (Ideal Customer Profile)", "displayOrder": -1},
                )
            except CrmError as exc:
                if "409" not in exc.message and "already exists" not in exc.message.lower():
                    raise
        still: list[str] = []
        for spec in ACCOUNT_FIELDS:
            if spec.name not in missing:
                continue
            if spec.native:  # HubSpot's own property: icp cannot create it (an old portal may lack it)
                still.append(spec.name)
                continue
            body = {"name": spec.name, "label": spec.label, "groupName": GROUP, **PROPERTY_DEFINITIONS[spec.name]}
            self._create_property("companies", body, still)
        if task_missing:
            self._create_property("tasks", TASK_PROPERTY, still, shown=f"tasks.{TASK_ID_PROPERTY}")
        return still

    def _create_property(self, object_type: str, body: dict[str, Any], still: list[str], shown: str = "") -> None:
        try:
            self._call(
                f"creating the {object_type} property {body['name']}",
                self._client.crm.properties.core_api.create,
                object_type,
                property_create=body,
            )
        except CrmError as exc:
            if "409" in exc.message or "already exists" in exc.message.lower():
                return
            if "lacks" in exc.message or "403" in exc.message:
                still.append(shown or body["name"])
                return
            raise

    # -- writing -----------------------------------------------------------------------------------

    def write_accounts(self, accounts: Sequence[AccountFields]) -> WriteResult:
        """Batch-update the icp properties, 100 companies a request; failures are per company."""
        total = WriteResult()
        api = self._client.crm.companies.batch_api
        for start in range(0, len(accounts), BATCH_SIZE):
            chunk = accounts[start : start + BATCH_SIZE]
            ids = [a.crm_id for a in chunk]
            body = {"inputs": [{"id": a.crm_id, "properties": account_properties(a)} for a in chunk]}
            try:
                answer = self._call(
                    "writing icp properties on companies", api.update, batch_input_simple_public_object_batch_input=body
                )
            except CrmError as exc:
                if exc.retryable or "rejected the access token" in exc.message or "lacks" in exc.message:
                    raise
                total.failed.extend((i, exc.message) for i in ids)
                continue
            outcome = batch_outcome(answer, ids, lambda r: str(r.get("id")))
            total.written.extend(outcome.written)
            total.failed.extend(outcome.failed)
        return total

    def _owner_id(self, email: str | None) -> str | None:
        if not email or "@" not in email:
            return None
        key = email.strip().casefold()
        if key not in self._owners:
            answer = self._call(
                "looking up task owners", self._client.crm.owners.owners_api.get_page, email=email.strip(), limit=1
            )
            results = answer.get("results") or []
            self._owners[key] = str(results[0]["id"]) if results else None
        return self._owners[key]

    def _existing_tasks(self, external_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        api = self._client.crm.objects.tasks.search_api
        for start in range(0, len(external_ids), BATCH_SIZE):
            chunk = list(external_ids[start : start + BATCH_SIZE])
            request = {
                "filterGroups": [{"filters": [{"propertyName": TASK_ID_PROPERTY, "operator": "IN", "values": chunk}]}],
                "properties": [TASK_ID_PROPERTY],
                "limit": 200,
                "after": "0",
            }
            answer = self._call(
                "looking for tasks already written", api.do_search, public_object_search_request=request
            )
            for task in answer.get("results") or []:
                external = (task.get("properties") or {}).get(TASK_ID_PROPERTY)
                if external:
                    found[str(external)] = str(task.get("id"))
        return found

    def write_tasks(self, tasks: Sequence[CrmTask], known: dict[str, str]) -> WriteResult:
        """Create each task once, associated with its company and assigned to its owner's HubSpot user."""
        result = WriteResult()
        pending = [t for t in tasks if t.external_id not in known]
        for task in tasks:
            if task.external_id in known:
                result.written.append(task.external_id)
                result.task_ids[task.external_id] = known[task.external_id]
        existing = self._existing_tasks([t.external_id for t in pending])
        result.task_ids.update(existing)
        result.written.extend(e for e in existing)
        pending = [t for t in pending if t.external_id not in existing]
        api = self._client.crm.objects.tasks.batch_api
        for start in range(0, len(pending), BATCH_SIZE):
            chunk = pending[start : start + BATCH_SIZE]
            inputs = [task_input(t, self._owner_id(t.owner_email)) for t in chunk]
            try:
                answer = self._call(
                    "creating tasks",
                    api.create,
                    batch_input_simple_public_object_batch_input_for_create={"inputs": inputs},
                )
            except CrmError as exc:
                if exc.retryable or "rejected the access token" in exc.message or "lacks" in exc.message:
                    raise
                result.failed.extend((t.external_id, exc.message) for t in chunk)
                continue
            outcome = batch_outcome(
                answer,
                [t.external_id for t in chunk],
                lambda r: str((r.get("properties") or {}).get(TASK_ID_PROPERTY)),
            )
            for created in answer.get("results") or []:
                external = (created.get("properties") or {}).get(TASK_ID_PROPERTY)
                if external:
                    result.task_ids[str(external)] = str(created.get("id"))
            result.written.extend(outcome.written)
            result.failed.extend(outcome.failed)
        return result

    def completed_tasks(self, task_ids: Sequence[str]) -> set[str]:
        """Of these HubSpot task ids, those whose ``hs_task_status`` is COMPLETED."""
        done: set[str] = set()
        api = self._client.crm.objects.tasks.batch_api
        for start in range(0, len(task_ids), BATCH_SIZE):
            chunk = task_ids[start : start + BATCH_SIZE]
            answer = self._call(
                "reading task status",
                api.read,
                batch_read_input_simple_public_object_id={
                    "properties": ["hs_task_status"],
                    "inputs": [{"id": i} for i in chunk],
                },
                archived=False,
            )
            for task in answer.get("results") or []:
                if (task.get("properties") or {}).get("hs_task_status") == "COMPLETED":
                    done.add(str(task.get("id")))
        return done

    # -- check -------------------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Whether the token works, which of the scopes icp needs it has, and the portal it belongs to."""
        try:
            self._call(
                "reading companies",
                self._client.crm.companies.search_api.do_search,
                public_object_search_request={"filterGroups": [], "properties": ["name"], "limit": 1, "after": "0"},
            )
        except CrmError as exc:
            if "lacks" not in exc.message:
                return CheckResult(provider="hubspot", ok=False, problems=[_problem(exc)])
        info = self._token_info()
        if info is None:
            return CheckResult(
                provider="hubspot",
                ok=False,
                problems=["HubSpot did not say which scopes the token has; is ICP_HUBSPOT_BASE_URL HubSpot's API?"],
            )
        granted = sorted(str(s) for s in info.get("scopes") or [])
        missing = [s for s in REQUIRED_SCOPES if s not in granted]
        problems = [f"Missing scope {s}. {SCOPES_HINT}" for s in missing]
        return CheckResult(
            provider="hubspot",
            ok=not problems,
            account=f"portal {info.get('hubId')}" if info.get("hubId") is not None else "",
            granted=granted,
            problems=problems,
        )

    def _token_info(self) -> dict[str, Any] | None:
        """HubSpot's own account of a private app token: its portal (hub id) and scopes."""
        from requests import RequestException

        def once() -> dict[str, Any]:
            try:
                response = self._client.api_request(
                    {
                        "method": "POST",
                        "path": "/oauth/v2/private-apps/get/access-token-info",
                        "body": {"tokenKey": self._token},
                    }
                )
            except RequestException:
                raise CrmError(f"Cannot reach HubSpot at {self.base_url}.") from None
            if response.status_code >= 300:
                raise translate(response.status_code, response.content, response.headers, "reading the token's scopes")
            return _body(response.content)

        try:
            return with_retries(once)
        except CrmError:
            return None


def _problem(exc: CrmError) -> str:
    return f"{exc.message} {exc.hint}".strip()


__all__ = ["ACCOUNT_FIELDS", "REQUIRED_SCOPES", "HubSpotCrm", "missing_scopes"]
