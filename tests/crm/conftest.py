"""The fake CRM servers, one per provider, behind one fixture so the round trip runs against each.

A provider joins by adding its name to ``PROVIDERS`` and a generator to ``_SERVERS`` yielding a
:class:`CrmServer`: its fake (the shared test-control surface: ``seed_companies``, ``seed_deals``,
``rate_limit_next``, ``hang_after_pages`` with a ``hanging`` event and ``release()``, ``complete_task``,
``touch_company``, ``writes``, ``account_values``, ``tasks()`` as dicts with ``id`` and ``external_id``,
``add_owner``), the settings that point icp at it, broken variants of them, the field holding the tier,
and a way to take away one read permission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

PROVIDERS = ["hubspot", "salesforce"]


@dataclass
class CrmServer:
    """A running fake CRM and what a user sets to point icp at it."""

    name: str
    fake: Any
    env: dict[str, str]
    bad_token_env: dict[str, str]
    wrong_url_env: dict[str, str]
    tier_field: str
    drop_scope: Callable[[], str] = field(default=lambda: "")  # removes a read permission; returns its name


def _hubspot() -> Iterator[CrmServer]:
    from icp.testing.fake_hubspot import FakeHubSpot

    with FakeHubSpot() as fake:

        def drop_scope() -> str:
            fake.scopes.remove("crm.objects.deals.read")
            return "crm.objects.deals.read"

        env = {"ICP_HUBSPOT_TOKEN": fake.token, "ICP_HUBSPOT_BASE_URL": fake.url}
        yield CrmServer(
            name="hubspot",
            fake=fake,
            env=env,
            bad_token_env={**env, "ICP_HUBSPOT_TOKEN": "pat-na1-revoked"},
            wrong_url_env={**env, "ICP_HUBSPOT_BASE_URL": "http://127.0.0.1:9"},
            tier_field="hs_ideal_customer_profile",
            drop_scope=drop_scope,
        )


def _salesforce() -> Iterator[CrmServer]:
    from icp.testing.fake_salesforce import FakeSalesforce

    with FakeSalesforce(page_size=100, icp_fields=True) as fake:

        def drop_scope() -> str:
            fake.remove_read_access("Opportunity")
            return "Opportunity"

        env = fake.env()
        yield CrmServer(
            name="salesforce",
            fake=fake,
            env=env,
            bad_token_env={**env, "ICP_SALESFORCE_ACCESS_TOKEN": "00Drevoked!token"},
            wrong_url_env={**env, "ICP_SALESFORCE_INSTANCE_URL": "https://127.0.0.1:9"},
            tier_field="ICP_Tier__c",
            drop_scope=drop_scope,
        )


_SERVERS: dict[str, Callable[[], Iterator[CrmServer]]] = {"hubspot": _hubspot, "salesforce": _salesforce}


@pytest.fixture(params=PROVIDERS)
def crm(request: pytest.FixtureRequest) -> Iterator[CrmServer]:
    """A fake CRM server: the test runs once against HubSpot and once against Salesforce."""
    yield from _SERVERS[request.param]()
