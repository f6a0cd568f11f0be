"""What the Salesforce adapter sends and reads: the fields, SOQL, cursors and record shapes. No I/O."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from icp.crm._provider import AccountFields, CrmError, CrmTask

T = TypeVar("T")

ACCOUNT_FIELDS = (
    "Id",
    "Name",
    "Website",
    "Industry",
    "NumberOfEmployees",
    "AnnualRevenue",
    "BillingCountry",
    "BillingState",
    "BillingCity",
    "Description",
    "LastModifiedDate",
)
DEAL_FIELDS = (
    "Id",
    "Name",
    "StageName",
    "IsWon",
    "IsClosed",
    "Amount",
    "CloseDate",
    "CreatedDate",
    "AccountId",
    "LastModifiedDate",
)
COLLECTION_SIZE = 200  # sObject Collections' limit per request
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15,18}$")


@dataclass(frozen=True)
class IcpField:
    """A custom field icp writes, with the Tooling API metadata that creates it."""

    sobject: str  # "Account" or "Task"
    name: str
    label: str
    kind: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        """The Tooling API FullName; Task custom fields are defined on Activity (shared with Event)."""
        return f"{'Activity' if self.sobject == 'Task' else self.sobject}.{self.name}"

    def tooling_body(self) -> dict[str, Any]:
        """The Tooling API ``CustomField`` body that creates the field."""
        metadata = {"label": self.label, "description": _HELP, "inlineHelpText": _HELP, **self.metadata}
        return {"FullName": self.full_name, "Metadata": metadata}

    @property
    def spec_name(self) -> str:
        """Account fields by their plain name; the Task field qualified."""
        return self.name if self.sobject == "Account" else f"{self.sobject}.{self.name}"


def _text(length: int) -> dict[str, Any]:
    return {"type": "Text", "length": length}


_TIERS = ("T1", "T2", "T3")
ICP_FIELDS: tuple[IcpField, ...] = (
    IcpField(
        "Account",
        "ICP_Tier__c",
        "ICP Tier",
        "Picklist (restricted): T1, T2, T3",
        {
            "type": "Picklist",
            "valueSet": {
                "restricted": True,
                "valueSetDefinition": {
                    "sorted": False,
                    "value": [{"fullName": t, "label": t, "default": False} for t in _TIERS],
                },
            },
        },
    ),
    IcpField(
        "Account", "ICP_Fit_Score__c", "ICP Fit Score", "Number(5,1)", {"type": "Number", "precision": 5, "scale": 1}
    ),
    IcpField("Account", "ICP_Segment__c", "ICP Segment", "Text(255)", _text(255)),
    IcpField("Account", "ICP_Status__c", "ICP Status", "Text(255)", _text(255)),
    IcpField("Account", "ICP_Reason__c", "ICP Reason", "Text(255)", _text(255)),
    IcpField("Account", "ICP_Cycle_Date__c", "ICP Cycle Date", "Date", {"type": "Date"}),
    IcpField("Task", "ICP_Task_Id__c", "ICP Task Id", "Text(80), on Activity (Task)", _text(80)),
)
_HELP = "Written by icp after each cycle; edits are overwritten on the next push."


def soql_string(value: str) -> str:
    """A SOQL string literal: quotes and backslashes escaped."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{escaped}'"


def soql_datetime(value: datetime) -> str:
    """A SOQL date-time literal in UTC, to the millisecond.

    Salesforce's reference lists whole-second literals only, but its parser takes fractional seconds
    (``WHERE CreatedDate >= 2022-12-01T10:47:53.299852-06:00`` runs); the keyset needs them, because
    LastModifiedDate is stored to the millisecond and a whole second would skip or repeat records.
    """
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_datetime(value: str) -> datetime:
    """Salesforce's ``2026-01-31T10:00:00.000+0000`` as an aware datetime."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def record_errors(errors: Any) -> str:
    """One line from a Collections result's ``errors``: ``CODE: message (fields)``, joined by "; "."""
    parts = []
    for error in errors or []:
        if not isinstance(error, dict):
            continue
        text = f"{error.get('statusCode', '')}: {error.get('message', '')}".strip(": ")
        fields = [str(f) for f in error.get("fields") or []]
        parts.append(f"{text} ({', '.join(fields)})" if fields and not all(f in text for f in fields) else text)
    return " ".join("; ".join(parts).split()) or "Salesforce gave no reason"


def keyset_soql(sobject: str, fields: Sequence[str], since: datetime | None, after: tuple[datetime, str] | None) -> str:
    soql = f"SELECT {', '.join(fields)} FROM {sobject}"
    if after is not None:
        stamp, last_id = soql_datetime(after[0]), soql_string(after[1])
        soql += f" WHERE (LastModifiedDate > {stamp} OR (LastModifiedDate = {stamp} AND Id > {last_id}))"
    elif since is not None:
        soql += f" WHERE LastModifiedDate > {soql_datetime(since)}"
    return soql + " ORDER BY LastModifiedDate, Id"


def encode_cursor(after: tuple[datetime, str]) -> str:
    return json.dumps({"modified": soql_datetime(after[0]), "id": after[1]}, separators=(",", ":"))


_RESTART = "Start the pull again from the beginning."


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        data = json.loads(cursor)
        stamp = datetime.fromisoformat(str(data["modified"]).replace("Z", "+00:00"))
        last_id = str(data["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CrmError("The saved Salesforce pull position is unreadable.", hint=_RESTART) from exc
    if not SALESFORCE_ID.match(last_id) or stamp.tzinfo is None:
        raise CrmError(
            "The saved Salesforce pull position is unreadable.", hint="Start the pull again from the beginning."
        )
    return stamp, last_id


def flat_record(record: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in record.items() if k != "attributes"}
    flat["crm_id"] = str(record["Id"])
    flat["modified_at"] = parse_datetime(str(record["LastModifiedDate"]))
    if "AccountId" in record:
        flat["crm_account_id"] = record["AccountId"] or None
    return flat


def _one_line(text: str, limit: int = 255) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def account_values(account: AccountFields) -> dict[str, Any]:
    return {
        "ICP_Tier__c": account.tier if account.tier in _TIERS else None,
        "ICP_Fit_Score__c": None if account.score is None else round(float(account.score), 1),
        "ICP_Segment__c": _one_line(account.segment) or None,
        "ICP_Status__c": _one_line(account.status) or None,
        "ICP_Reason__c": _one_line(account.reason) or None,
        "ICP_Cycle_Date__c": account.cycle_date.isoformat(),
    }


def task_record(task: CrmTask, owners: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "attributes": {"type": "Task"},
        "WhatId": task.crm_account_id,
        "Subject": _one_line(task.subject),
        "Description": task.body[:32000],
        "Status": "Not Started",
        "Priority": "Normal",
        "ICP_Task_Id__c": task.external_id,
    }
    if task.due is not None:
        record["ActivityDate"] = task.due.isoformat()
    owner = owners.get((task.owner_email or "").lower())
    if owner:
        record["OwnerId"] = owner
    return record
