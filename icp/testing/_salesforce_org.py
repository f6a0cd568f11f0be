"""The data and rules of the fake Salesforce org: records, fields, queries, writes and bulk jobs.

Every method returns ``(status, body)`` or raises :class:`ApiError` carrying Salesforce's error array
(``[{"message", "errorCode", "fields"}]``); :mod:`icp.testing._salesforce_web` turns both into HTTP.
"""

from __future__ import annotations

import enum
import itertools
import threading
from collections import deque
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icp.testing._salesforce_api import ApiError, record_error
from icp.testing._salesforce_bulk import BulkIngest
from icp.testing._salesforce_soql import SoqlError, parse_query

ID_PREFIX = {
    "Account": "001",
    "Opportunity": "006",
    "Task": "00T",
    "User": "005",
    "Job": "750",
    "PermissionSet": "0PS",
    "FieldPermissions": "01k",
    "PermissionSetAssignment": "0Pa",
}
USER_ID = "005000000000001AAA"  # the user every session of the fake belongs to
_STAMPS = {"CreatedDate": "datetime", "LastModifiedDate": "datetime", "IsDeleted": "boolean"}
_SETUP_OBJECTS = ("PermissionSet", "FieldPermissions", "PermissionSetAssignment")
BASE_FIELDS: dict[str, dict[str, str]] = {
    "Account": {
        "Id": "id",
        "Name": "string",
        "Website": "url",
        "Industry": "picklist",
        "NumberOfEmployees": "int",
        "AnnualRevenue": "currency",
        "BillingCountry": "string",
        "BillingState": "string",
        "BillingCity": "string",
        "Description": "textarea",
        "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
        "IsDeleted": "boolean",
    },
    "Opportunity": {
        "Id": "id",
        "Name": "string",
        "StageName": "picklist",
        "IsWon": "boolean",
        "IsClosed": "boolean",
        "Amount": "currency",
        "CloseDate": "date",
        "CreatedDate": "datetime",
        "AccountId": "reference",
        "LastModifiedDate": "datetime",
        "IsDeleted": "boolean",
    },
    "Task": {
        "Id": "id",
        "Subject": "combobox",
        "Description": "textarea",
        "ActivityDate": "date",
        "OwnerId": "reference",
        "WhatId": "reference",
        "Status": "picklist",
        "Priority": "picklist",
        "IsClosed": "boolean",
        "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
        "IsDeleted": "boolean",
    },
    "UserPermissionAccess": {
        "Id": "id",
        "PermissionsApiEnabled": "boolean",
        "PermissionsCustomizeApplication": "boolean",
    },
    "PermissionSet": {"Id": "id", "Name": "string", "Label": "string", "Description": "textarea", **_STAMPS},
    "FieldPermissions": {
        "Id": "id",
        "ParentId": "reference",
        "SobjectType": "picklist",
        "Field": "picklist",
        "PermissionsRead": "boolean",
        "PermissionsEdit": "boolean",
        **_STAMPS,
    },
    "PermissionSetAssignment": {"Id": "id", "AssigneeId": "reference", "PermissionSetId": "reference", **_STAMPS},
    "User": {
        "Id": "id",
        "Name": "string",
        "Email": "email",
        "Username": "string",
        "IsActive": "boolean",
        "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
        "IsDeleted": "boolean",
    },
}
# The fields icp writes, as the adapter creates them (Tooling API type -> describe type).
ICP_FIELDS: dict[str, dict[str, str]] = {
    "Account": {
        "ICP_Tier__c": "picklist",
        "ICP_Fit_Score__c": "double",
        "ICP_Segment__c": "string",
        "ICP_Status__c": "string",
        "ICP_Reason__c": "string",
        "ICP_Cycle_Date__c": "date",
    },
    "Task": {"ICP_Task_Id__c": "string"},
}
_METADATA_TYPES = {"Picklist": "picklist", "Number": "double", "Text": "string", "Date": "date"}
_READ_ONLY_FIELDS = {"Id", "CreatedDate", "LastModifiedDate", "IsDeleted", "IsClosed", "IsWon"}
MAX_COLLECTION = 200


class SfFailure(enum.Enum):
    """A scripted retryable failure of the next REST request."""

    CONCURRENCY = "concurrency"
    UNAVAILABLE = "unavailable"


def sf_datetime(value: datetime) -> str:
    """Salesforce's date-time format: ``2026-01-31T10:00:00.000+0000``."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def _wire(value: Any) -> Any:
    if isinstance(value, datetime):
        return sf_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class Org(BulkIngest):
    """Records, field definitions, sessions and fault switches, guarded by one lock."""

    def __init__(
        self,
        *,
        page_size: int,
        can_customize: bool,
        icp_fields: bool,
        field_security: bool,
        read_only: tuple[str, ...],
        api_version: str,
    ) -> None:
        self.page_size = page_size
        self.can_customize = can_customize
        self.read_only = set(read_only)
        self.field_security = field_security
        self.hidden: set[tuple[str, str]] = set()  # (object, field) created without field-level security yet
        self.unreadable: set[str] = set()  # objects the user may not read at all
        self.api_version = api_version
        self.lock = threading.RLock()
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in BASE_FIELDS}
        self.fields: dict[str, dict[str, str]] = {name: dict(types) for name, types in BASE_FIELDS.items()}
        self.picklists: dict[str, list[str]] = {}
        if icp_fields:
            for sobject, types in ICP_FIELDS.items():
                self.fields[sobject].update(types)
            self.picklists["ICP_Tier__c"] = ["T1", "T2", "T3"]
        self.sessions: set[str] = set()
        self.failures: deque[SfFailure] = deque()
        self.daily_limit_exhausted = False
        self.daily_max = 15000
        self.api_requests = 0
        self.pages_before_hang: int | None = None
        self.released = threading.Event()
        self.hanging = threading.Event()
        self.locators: dict[str, list[dict[str, Any]]] = {}
        self.validation_rules: dict[str, str] = {}
        self.log: list[tuple[str, str]] = []
        self.writes: list[tuple[str, str]] = []
        self.field_creations: list[str] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._last_stamp = datetime(2000, 1, 1, tzinfo=UTC)

    # -- records -------------------------------------------------------------------------------------

    def clock(self) -> datetime:
        """Now, to the millisecond, strictly later than any stamp handed out before."""
        with self.lock:
            now = datetime.now(UTC)
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            if now <= self._last_stamp:
                now = self._last_stamp + timedelta(milliseconds=1)
            self._last_stamp = now
            return now

    def new_id(self, sobject: str) -> str:
        """An 18-character id with the object's key prefix."""
        return f"{ID_PREFIX[sobject]}{next(self._ids):012d}AAA"

    def insert(self, sobject: str, values: dict[str, Any], stamp: datetime) -> str:
        """Store a new record; returns its id."""
        with self.lock:
            record_id = self.new_id(sobject)
            record = {"Id": record_id, "CreatedDate": stamp, "LastModifiedDate": stamp, "IsDeleted": False}
            if sobject == "Task":
                record |= {"Status": "Not Started", "Priority": "Normal", "IsClosed": False}
            record |= {k: v for k, v in values.items() if v is not None or k not in record}
            self.records[sobject][record_id] = record
            return record_id

    def update(self, sobject: str, record_id: str, values: dict[str, Any]) -> None:
        """Change a record as a user would, bumping LastModifiedDate."""
        with self.lock:
            record = self.records[sobject][record_id]
            record.update(values)
            record["LastModifiedDate"] = self.clock()

    # -- REST ----------------------------------------------------------------------------------------

    def limits(self) -> dict[str, Any]:
        """``/limits``: the daily API request allowance left."""
        remaining = 0 if self.daily_limit_exhausted else max(self.daily_max - self.api_requests, 0)
        return {
            "DailyApiRequests": {"Max": self.daily_max, "Remaining": remaining},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
        }

    def visible(self, sobject: str) -> dict[str, str]:
        """The object's fields this user can see (field-level security)."""
        return {n: k for n, k in self.fields[sobject].items() if (sobject, n) not in self.hidden}

    def describe(self, sobject: str) -> dict[str, Any]:
        """``/sobjects/<Object>/describe``: the object's permissions and fields."""
        if sobject not in self.fields or sobject in self.unreadable:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        writable = sobject not in self.read_only and sobject != "User"
        fields = []
        for name, kind in self.visible(sobject).items():
            editable = writable and name not in _READ_ONLY_FIELDS
            fields.append(
                {
                    "name": name,
                    "label": name.removesuffix("__c").replace("_", " "),
                    "type": kind,
                    "custom": name.endswith("__c"),
                    "createable": editable,
                    "updateable": editable,
                    "nillable": name != "Id",
                    "picklistValues": [{"value": v, "label": v, "active": True} for v in self.picklists.get(name, [])],
                }
            )
        return {
            "name": sobject,
            "label": sobject,
            "queryable": True,
            "createable": writable,
            "updateable": writable,
            "deletable": writable,
            "fields": fields,
        }

    def query(self, soql: str, *, batch_size: int | None, all_rows: bool) -> dict[str, Any]:
        """``/query`` and ``/queryAll``: the first page, with ``nextRecordsUrl`` when more remain."""
        try:
            parsed = parse_query(soql)
        except SoqlError as exc:
            raise ApiError(400, "MALFORMED_QUERY", str(exc)) from exc
        readable = parsed.sobject in self.fields and parsed.sobject not in self.unreadable
        known = self.visible(parsed.sobject) if readable else None
        if known is None:
            raise ApiError(400, "INVALID_TYPE", f"sObject type '{parsed.sobject}' is not supported.")
        for name in [*parsed.fields, *parsed.where_fields, *parsed.order_by]:
            if name not in known:
                raise ApiError(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{name}' on entity '{parsed.sobject}'. If you are attempting to use a custom "
                    "field, be sure to append the '__c' after the custom field name.",
                )
        with self.lock:
            rows = [r for r in self.records[parsed.sobject].values() if all_rows or not r.get("IsDeleted")]
            if parsed.sobject == "UserPermissionAccess":  # the permissions of the user asking
                mine = {"Id": "", "PermissionsApiEnabled": True, "PermissionsCustomizeApplication": self.can_customize}
                rows = [mine]
            rows = [r for r in rows if parsed.where(r)]
        for name in reversed(parsed.order_by):
            rows.sort(key=lambda r, n=name: (r.get(n) is not None, r.get(n)))  # type: ignore[misc]
        if parsed.limit is not None:
            rows = rows[: parsed.limit]
        projected = [self._project(parsed.sobject, r, parsed.fields) for r in rows]
        size = batch_size or self.page_size
        locator = f"01g{next(self._ids):012d}AAA"
        with self.lock:
            self.locators[locator] = projected
        return self._page(locator, 0, size)

    def query_more(self, locator: str, offset: int, size: int) -> dict[str, Any]:
        """The page of a ``nextRecordsUrl``."""
        with self.lock:
            if locator not in self.locators:
                raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(locator, offset, size)

    def _page(self, locator: str, offset: int, size: int) -> dict[str, Any]:
        rows = self.locators[locator]
        page = rows[offset : offset + size]
        done = offset + size >= len(rows)
        body: dict[str, Any] = {"totalSize": len(rows), "done": done, "records": page}
        if done:
            with self.lock:
                self.locators.pop(locator, None)
        else:
            body["nextRecordsUrl"] = f"/services/data/v{self.api_version}/query/{locator}-{offset + size}"
        return body

    def _project(self, sobject: str, record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {
                "type": sobject,
                "url": f"/services/data/v{self.api_version}/sobjects/{sobject}/{record['Id']}",
            }
        }
        for name in fields:
            out[name] = _wire(record.get(name))
        return out

    # -- writes --------------------------------------------------------------------------------------

    def collection(self, method: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        """sObject Collections: POST creates, PATCH updates; one result per record, in order."""
        records = body.get("records") or []
        if len(records) > MAX_COLLECTION:
            raise ApiError(
                400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records in this operation"
            )
        for record in records:
            sobject = (record.get("attributes") or {}).get("type", "")
            if sobject not in self.fields:
                raise ApiError(400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
            for name in record:
                if name not in ("attributes", "id") and name not in self.visible(sobject):
                    raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}")
        with self.lock:
            checked = [self._check(method, record) for record in records]
            if body.get("allOrNone") and any(error for _, error in checked):
                rolled = {
                    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                    "message": "Record rolled back because "
                    "not all records were valid and the request was using AllOrNone header",
                    "fields": [],
                }
                return [{"id": None, "success": False, "errors": [error or rolled]} for _, error in checked]
            results = []
            for record, (values, error) in zip(records, checked, strict=True):
                if error is not None:
                    results.append({"id": record.get("id"), "success": False, "errors": [error]})
                    continue
                sobject = record["attributes"]["type"]
                if method == "POST":
                    record_id = self.insert(sobject, values, self.clock())
                else:
                    record_id = record["id"]
                    self.update(sobject, record_id, values)
                results.append({"id": record_id, "success": True, "errors": []})
            if method == "POST":
                self._apply_grants()
            return results

    def _apply_grants(self) -> None:
        """Field permissions of permission sets assigned to the user make hidden fields visible."""
        assigned = {a["PermissionSetId"] for a in self.records["PermissionSetAssignment"].values()}
        for grant in self.records["FieldPermissions"].values():
            if grant["ParentId"] in assigned and grant.get("PermissionsRead"):
                self.hidden.discard((str(grant["SobjectType"]), str(grant["Field"]).partition(".")[2]))

    def _check(self, method: str, record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The stored values of one record to write, or the per-record error."""
        sobject = record["attributes"]["type"]
        values = {k: self._stored(sobject, k, v) for k, v in record.items() if k not in ("attributes", "id")}
        setup_denied = sobject in _SETUP_OBJECTS and not self.can_customize
        if sobject in self.read_only or sobject == "User" or setup_denied:
            return values, record_error("INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id")
        duplicate = self._duplicate(sobject, values) if method == "POST" else None
        if duplicate:
            return values, record_error("DUPLICATE_VALUE", duplicate)
        if method == "PATCH":
            target = self.records[sobject].get(record.get("id") or "")
            if target is None:
                message = f"{sobject} ID: id value of incorrect type: {record.get('id')}"
                return values, record_error("MALFORMED_ID", message)
            if target.get("IsDeleted"):
                return values, record_error("ENTITY_IS_DELETED", "entity is deleted")
            if record["id"] in self.validation_rules:
                return values, record_error("FIELD_CUSTOM_VALIDATION_EXCEPTION", self.validation_rules[record["id"]])
        for name, value in values.items():
            allowed = self.picklists.get(name)
            if allowed is not None and value is not None and value not in allowed:
                return values, record_error(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{name}: bad value for restricted picklist field: {value}",
                )
            if isinstance(value, str) and len(value) > 255 and self.fields[sobject][name] == "string":
                return values, record_error("STRING_TOO_LONG", f"{name}: data value too large: {value[:20]}...")
        if sobject == "Task" and method == "POST":
            account = self.records["Account"].get(values.get("WhatId") or "")
            if account is None or account.get("IsDeleted"):
                return values, record_error("ENTITY_IS_DELETED", "entity is deleted", ["WhatId"])
            owner = values.get("OwnerId")
            if owner is not None and owner not in self.records["User"]:
                return values, record_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["OwnerId"])
            values["IsClosed"] = values.get("Status") == "Completed"
        return values, None

    def _duplicate(self, sobject: str, values: dict[str, Any]) -> str | None:
        keys = {
            "PermissionSet": ("Name",),
            "FieldPermissions": ("ParentId", "Field"),
            "PermissionSetAssignment": ("AssigneeId", "PermissionSetId"),
        }.get(sobject)
        if keys is None:
            return None
        for existing in self.records[sobject].values():
            if all(existing.get(k) == values.get(k) for k in keys):
                return f"duplicate value found: {', '.join(keys)} duplicates value on record with id: {existing['Id']}"
        return None

    def _stored(self, sobject: str, name: str, value: Any) -> Any:
        kind = self.fields[sobject].get(name)
        if value is None or value == "":
            return None
        if kind == "date":
            return date.fromisoformat(str(value))
        if kind in ("double", "currency"):
            return float(value)
        return value

    def create_field(self, body: dict[str, Any]) -> dict[str, Any]:
        """Tooling API ``CustomField``: ``FullName`` ``Account.X__c`` or ``Activity.X__c`` (Task and Event)."""
        if not self.can_customize:
            raise ApiError(403, "INSUFFICIENT_ACCESS", "insufficient access rights on object id")
        full_name = str(body.get("FullName", ""))
        parent, _, name = full_name.partition(".")
        sobject = {"Account": "Account", "Activity": "Task"}.get(parent)
        if sobject is None or not name.endswith("__c"):
            raise ApiError(400, "FIELD_INTEGRITY_EXCEPTION", f"Cannot create a custom field named {full_name}")
        metadata = body.get("Metadata") or {}
        kind = _METADATA_TYPES.get(str(metadata.get("type")))
        if kind is None or not metadata.get("label"):
            raise ApiError(400, "FIELD_INTEGRITY_EXCEPTION", "A label and a supported type are required")
        if kind == "string" and not metadata.get("length"):
            raise ApiError(400, "FIELD_INTEGRITY_EXCEPTION", "Length: You must enter a value")
        if kind == "double" and (metadata.get("precision") is None or metadata.get("scale") is None):
            raise ApiError(400, "FIELD_INTEGRITY_EXCEPTION", "Precision and Scale: You must enter a value")
        with self.lock:
            if name in self.fields[sobject]:
                raise ApiError(
                    400, "DUPLICATE_DEVELOPER_NAME", f"There is already a field named {name[:-3]} on {parent}."
                )
            self.fields[sobject][name] = kind
            if kind == "picklist":
                values = metadata["valueSet"]["valueSetDefinition"]["value"]
                self.picklists[name] = [str(v["fullName"]) for v in values]
            self.field_creations.append(full_name)
            if self.field_security:
                self.hidden.add((sobject, name))
        return {"id": f"00N{next(self._ids):012d}AAA", "success": True, "errors": [], "warnings": [], "infos": []}
