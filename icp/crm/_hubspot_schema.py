"""HubSpot's names and shapes for what icp reads and writes: properties, the icp property group, task inputs.

Pure data and functions (no client): the adapter in :mod:`icp.crm.hubspot` sends them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from icp.crm._provider import AccountFields, CrmTask, FieldSpec, WriteResult

COMPANY_PROPERTIES = (
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
)
DEAL_PROPERTIES = (
    "dealname",
    "dealstage",
    "amount",
    "createdate",
    "closedate",
    "hs_is_closed_won",
    "hs_is_closed",
    "hs_lastmodifieddate",
)
TIER_PROPERTY = "hs_ideal_customer_profile"
TASK_ID_PROPERTY = "icp_task_id"
GROUP = "icp"
TASK_TO_COMPANY = 192  # HUBSPOT_DEFINED association type: task -> company
REQUIRED_SCOPES = (
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.deals.read",
    "crm.schemas.companies.write",
    "crm.objects.owners.read",
    "tasks",
)
ACCOUNT_FIELDS = (
    FieldSpec(TIER_PROPERTY, "Ideal Customer Profile Tier", "enumeration", native=True),
    FieldSpec("icp_fit_score", "ICP fit score", "number"),
    FieldSpec("icp_segment", "ICP primary segment", "string"),
    FieldSpec("icp_fit_status", "ICP fit status", "enumeration"),
    FieldSpec("icp_reason", "ICP reason", "string"),
    FieldSpec("icp_cycle_date", "ICP cycle date", "date"),
)
PROPERTY_DEFINITIONS: dict[str, dict[str, Any]] = {
    "icp_fit_score": {"type": "number", "fieldType": "number", "description": "Fit score 0-100 from icp."},
    "icp_segment": {"type": "string", "fieldType": "text", "description": "The account's primary icp segment."},
    "icp_fit_status": {
        "type": "enumeration",
        "fieldType": "select",
        "description": "qualified: every requirement met; unverified: some requirement not yet known.",
        "options": [
            {"label": "Qualified", "value": "qualified", "displayOrder": 0, "hidden": False},
            {"label": "Unverified", "value": "unverified", "displayOrder": 1, "hidden": False},
        ],
    },
    "icp_reason": {"type": "string", "fieldType": "textarea", "description": "Why the account has its tier."},
    "icp_cycle_date": {"type": "date", "fieldType": "date", "description": "The icp cycle that set these values."},
}
TASK_PROPERTY = {
    "name": TASK_ID_PROPERTY,
    "label": "icp task id",
    "type": "string",
    "fieldType": "text",
    "groupName": "task_information",
    "description": "The prospecting task in icp this task was written from (icp-task-<id>).",
}


def epoch_ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def parse_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def readable_enum(value: Any) -> Any:
    """HubSpot's industry values are enumeration ids ("COMPUTER_SOFTWARE"): read them as words."""
    if isinstance(value, str) and value.isupper() and " " not in value:
        return value.replace("_", " ").title()
    return value


def account_properties(account: AccountFields) -> dict[str, str]:
    tier = {"T1": "tier_1", "T2": "tier_2", "T3": "tier_3"}.get(account.tier or "", "")
    return {
        TIER_PROPERTY: tier,
        "icp_fit_score": "" if account.score is None else f"{account.score:.1f}",
        "icp_segment": account.segment,
        "icp_fit_status": account.status,
        "icp_reason": account.reason,
        "icp_cycle_date": account.cycle_date.isoformat(),
    }


def batch_outcome(answer: dict[str, Any], ids: Sequence[str], key: Callable[[dict[str, Any]], str]) -> WriteResult:
    result = WriteResult()
    done = {key(r) for r in answer.get("results") or []}
    reasons: dict[str, str] = {}
    for error in answer.get("errors") or []:
        context = error.get("context") or {}
        named = [str(i) for v in context.values() if isinstance(v, list) for i in v]
        for ident in named:
            reasons[ident] = f"{error.get('category') or 'error'}: {str(error.get('message') or '')[:200]}"
    for ident in ids:
        if ident in done:
            result.written.append(ident)
        else:
            result.failed.append((ident, reasons.get(ident, "HubSpot did not confirm the write")))
    return result


def task_input(task: CrmTask, owner: str | None) -> dict[str, Any]:
    due = task.due or date.today()
    properties: dict[str, str] = {
        "hs_timestamp": datetime(due.year, due.month, due.day, 9, tzinfo=UTC).isoformat().replace("+00:00", "Z"),
        "hs_task_subject": task.subject[:250],
        "hs_task_body": task.body[:5000],
        "hs_task_status": "NOT_STARTED",
        "hs_task_type": "TODO",
        TASK_ID_PROPERTY: task.external_id,
    }
    if owner:
        properties["hubspot_owner_id"] = owner
    return {
        "properties": properties,
        "associations": [
            {
                "to": {"id": task.crm_account_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": TASK_TO_COMPANY}],
            }
        ],
    }
