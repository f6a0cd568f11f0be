"""``connect``: the adapter for a CRM by name, with readable errors when its client or settings are missing."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from icp.crm._provider import PROVIDERS, CrmProvider
from icp.errors import ConfigError, InputError

if TYPE_CHECKING:
    from icp.settings import Settings

_CLIENTS = {"hubspot": "hubspot", "salesforce": "simple_salesforce"}
_PACKAGES = {"hubspot": "hubspot-api-client", "salesforce": "simple-salesforce"}
_ADAPTERS = {"hubspot": ("icp.crm.hubspot", "HubSpotCrm"), "salesforce": ("icp.crm.salesforce", "SalesforceCrm")}


def connect(name: str, settings: Settings) -> CrmProvider:
    """The adapter for ``name`` ("hubspot" or "salesforce") built from the settings.

    Raises :class:`~icp.errors.InputError` for an unknown CRM and :class:`~icp.errors.ConfigError` when
    the CRM extra is not installed or the connection settings are missing.
    """
    key = name.strip().lower()
    if key not in PROVIDERS:
        raise InputError(f"Unknown CRM {name!r}: use one of {', '.join(PROVIDERS)}.")
    try:
        importlib.import_module(_CLIENTS[key])
    except ImportError:
        raise ConfigError(
            f"The {key} client ({_PACKAGES[key]}) is not installed. Install the CRM extra: `pip install -e '.[crm]'` "
            "(or `pip install 'icp[crm]'`)."
        ) from None
    module_name, class_name = _ADAPTERS[key]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ConfigError(f"This version of icp has no {key} adapter yet ({module_name}).") from None
    adapter = getattr(module, class_name)
    provider: CrmProvider = adapter.from_settings(settings)
    return provider
