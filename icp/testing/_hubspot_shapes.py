"""HubSpot's JSON shapes for the fake HubSpot: records, properties, errors, and the HTTP request handler."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from icp.testing.fake_hubspot import FakeHubSpot

ALL_SCOPES = (
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.deals.read",
    "crm.schemas.companies.write",
    "crm.objects.owners.read",
    "tasks",
)
COMPANY_DEFAULTS = (
    "name",
    "domain",
    "website",
    "industry",
    "numberofemployees",
    "annualrevenue",
    "country",
    "state",
    "city",
    "description",
    "founded_year",
    "hs_lastmodifieddate",
    "createdate",
    "hs_object_id",
    "hs_ideal_customer_profile",
)
TASK_DEFAULTS = (
    "hs_timestamp",
    "hs_task_subject",
    "hs_task_body",
    "hs_task_status",
    "hs_task_type",
    "hubspot_owner_id",
)
TIERS = ("tier_1", "tier_2", "tier_3")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error_body(category: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": "fake-correlation-id",
        "category": category,
        **extra,
    }


def property_shape(name: str, group: str = "companyinformation", kind: str = "string", **extra: Any) -> dict[str, Any]:
    now = iso(EPOCH)
    return {
        "name": name,
        "label": name.replace("_", " ").title(),
        "type": kind,
        "fieldType": "text",
        "groupName": group,
        "description": "",
        "options": [],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": False,
        "hidden": False,
        "formField": False,
        "createdAt": now,
        "updatedAt": now,
        "modificationMetadata": {"archivable": True, "readOnlyDefinition": True, "readOnlyValue": False},
        **extra,
    }


class Record:
    def __init__(self, ident: str, properties: dict[str, Any], created: datetime) -> None:
        self.id = ident
        self.properties = properties
        self.created = created
        self.modified = created
        self.companies: list[str] = []

    def shape(self, wanted: Sequence[str] | None) -> dict[str, Any]:
        props = dict(self.properties, hs_object_id=self.id, hs_lastmodifieddate=iso(self.modified))
        props.setdefault("createdate", iso(self.created))
        if wanted is not None:
            props = {k: props.get(k) for k in [*wanted, "hs_object_id", "hs_lastmodifieddate", "createdate"]}
        return {
            "id": self.id,
            "properties": props,
            "createdAt": iso(self.created),
            "updatedAt": iso(self.modified),
            "archived": False,
        }


class HubSpotHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeHubSpot/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self, method: str) -> None:
        fake: FakeHubSpot = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers: dict[str, str] = {}
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            status, answer = 400, error_body("VALIDATION_ERROR", "Invalid input JSON")
        else:
            parts = urlsplit(self.path)
            status, headers, answer = fake.handle(
                method, parts.path, parse_qs(parts.query), body, self.headers.get("Authorization", "")
            )
        data = json.dumps(answer, default=lambda v: v.isoformat() if isinstance(v, date) else str(v)).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client went away (a killed pull)
            return

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")
