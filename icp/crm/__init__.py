"""The CRM round trip: read accounts and deals from HubSpot or Salesforce, write tiers, scores and tasks back."""

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

__all__ = [
    "PROVIDERS",
    "AccountFields",
    "CheckResult",
    "CrmError",
    "CrmProvider",
    "CrmTask",
    "FieldSpec",
    "Page",
    "ProviderName",
    "WriteResult",
]
