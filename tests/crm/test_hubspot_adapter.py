"""The HubSpot adapter against the fake HubSpot: paging, rate limits, partial batch failures, fields, tasks, check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from icp.crm import AccountFields, CrmError, CrmTask
from icp.crm import hubspot as hubspot_module
from icp.crm._hubspot_schema import parse_time
from icp.crm.hubspot import HubSpotCrm
from icp.testing.fake_hubspot import FakeHubSpot


@pytest.fixture
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as server:
        server.retry_after = "0"
        yield server


@pytest.fixture
def adapter(fake: FakeHubSpot) -> HubSpotCrm:
    return HubSpotCrm(fake.token, fake.url)


def _companies(n: int, start: int = 0) -> list[dict[str, object]]:
    return [
        {"domain": f"acme{i}.com", "name": f"Acme {i}", "industry": "COMPUTER_SOFTWARE", "employees": 100 + i}
        for i in range(start, start + n)
    ]


def test_reads_companies_page_by_page_through_a_rate_limit(fake: FakeHubSpot, adapter: HubSpotCrm) -> None:
    ids = fake.seed_companies(_companies(250))
    fake.rate_limit_next(1)
    pages = list(adapter.companies(None, None))
    assert [len(p.records) for p in pages] == [100, 100, 50]
    assert [r["crm_id"] for p in pages for r in p.records] == ids
    first = pages[0].records[0]
    assert first["industry"] == "Computer Software"  # HubSpot's enumeration id, read as words
    assert first["numberofemployees"] == "100" and first["modified_at"].tzinfo is not None
    assert pages[-1].cursor is None
    # The cursor of a page resumes after it.
    resumed = list(adapter.companies(None, pages[0].cursor))
    assert [r["crm_id"] for p in resumed for r in p.records] == ids[100:]


def test_only_companies_modified_since_are_read(fake: FakeHubSpot, adapter: HubSpotCrm) -> None:
    ids = fake.seed_companies(_companies(30))
    newest = max(r["modified_at"] for p in adapter.companies(None, None) for r in p.records)
    fake.touch_company(ids[3], employees=5000)
    later = [
        r for p in adapter.companies(newest.replace(microsecond=newest.microsecond + 1000), None) for r in p.records
    ]
    assert [r["crm_id"] for r in later] == [ids[3]] and later[0]["numberofemployees"] == "5000"


def test_a_long_pull_starts_a_new_query_when_the_search_window_is_used_up(
    fake: FakeHubSpot, adapter: HubSpotCrm, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = fake.seed_companies(_companies(450))
    monkeypatch.setattr(hubspot_module, "SEARCH_WINDOW", 200)  # HubSpot's is 10,000; the logic is the same
    seen = [r["crm_id"] for p in adapter.companies(None, None) for r in p.records]
    assert set(seen) == set(ids)
    assert any(after == "0" and since is not None for _, after, since in fake.page_requests)


def test_deals_carry_their_company(fake: FakeHubSpot, adapter: HubSpotCrm) -> None:
    (company,) = fake.seed_companies(_companies(1))
    won, orphan = fake.seed_deals(
        [
            {"name": "Won", "result": "won", "amount": 5000, "create_date": "2026-01-02", "account_crm_id": company},
            {"name": "Orphan", "result": "open", "amount": None, "create_date": "2026-01-03"},
        ]
    )
    records = {r["crm_id"]: r for p in adapter.deals(None, None) for r in p.records}
    assert records[won]["crm_account_id"] == company and records[won]["hs_is_closed_won"] == "true"
    assert records[orphan]["crm_account_id"] is None


def test_the_daily_limit_stops_with_a_clear_message(fake: FakeHubSpot, adapter: HubSpotCrm) -> None:
    fake.seed_companies(_companies(3))
    fake.rate_limit_next(1, policy="DAILY")
    with pytest.raises(CrmError) as caught:
        list(adapter.companies(None, None))
    assert "daily API limit" in caught.value.message and not caught.value.retryable


def test_properties_are_created_once_in_the_icp_group(fake: FakeHubSpot, adapter: HubSpotCrm) -> None:
    assert "icp_fit_score" in adapter.ensure_fields(create=False)
    assert fake.writes == []  # looking is not writing
    assert adapter.ensure_fields(create=True) == []
    assert {"icp_fit_score", "icp_segment", "icp_fit_status", "icp_reason", "icp_cycle_date"} <= fake.property_names(
        "companies"
    )
    assert "icp_task_id" in fake.property_names("tasks")
    writes = len(fake.writes)
    assert adapter.ensure_fields(create=True) == [] and len(fake.writes) == writes


def test_missing_schema_scope_leaves_fields_missing(fake: FakeHubSpot, adapter: HubSpotCrm) -> None:
    fake.scopes.remove("crm.schemas.companies.write")
    with pytest.raises(CrmError) as caught:
        adapter.ensure_fields(create=True)
    assert "crm.schemas.companies.write" in caught.value.message


def test_batch_update_reports_partial_failures_per_company(fake: FakeHubSpot, adapter: HubSpotCrm) -> None:
    ids = fake.seed_companies(_companies(120))
    adapter.ensure_fields(create=True)
    accounts = [AccountFields(i, "T1", 81.25, "Mid-Market", "qualified", "R1 met", date(2026, 12, 1)) for i in ids]
    accounts.append(AccountFields("999999", "T2", 60.0, "Mid-Market", "unverified", "", date(2026, 12, 1)))
    result = adapter.write_accounts(accounts)
    assert sorted(result.written) == sorted(ids)
    assert result.failed == [("999999", result.failed[0][1])] and "OBJECT_NOT_FOUND" in result.failed[0][1]
    assert fake.writes.count(("POST", "/crm/v3/objects/companies/batch/update")) == 2  # 100 + 21
    assert fake.account_values(ids[0]) == {
        "hs_ideal_customer_profile": "tier_1",
        "icp_fit_score": "81.2",
        "icp_segment": "Mid-Market",
        "icp_fit_status": "qualified",
        "icp_reason": "R1 met",
        "icp_cycle_date": "2026-12-01",
    }
    cleared = adapter.write_accounts([AccountFields(ids[0], None, None, "", "", "", date(2026, 12, 2))])
    assert cleared.written == [ids[0]] and fake.account_values(ids[0])["hs_ideal_customer_profile"] == ""


def test_tasks_are_created_once_with_owner_and_company(fake: FakeHubSpot, adapter: HubSpotCrm) -> None:
    (company,) = fake.seed_companies(_companies(1))
    owner = fake.add_owner("ann@example.com")
    adapter.ensure_fields(create=True)
    tasks = [
        CrmTask(
            "icp-task-1", company, "Reach out to Acme 0", "Call the VP Sales", date(2026, 12, 3), "ann@example.com"
        ),
        CrmTask("icp-task-2", company, "Research Acme 0", "Confirm R4", None, "nobody@example.com"),
    ]
    first = adapter.write_tasks(tasks, {})
    assert sorted(first.written) == ["icp-task-1", "icp-task-2"] and not first.failed
    created = {t["external_id"]: t for t in fake.tasks()}
    assert created["icp-task-1"]["properties"]["hubspot_owner_id"] == owner
    assert "hubspot_owner_id" not in created["icp-task-2"]["properties"]  # unknown e-mail: unassigned
    assert created["icp-task-1"]["companies"] == [company]
    # Written again without knowing the ids (a push that died before storing them): found, not duplicated.
    again = adapter.write_tasks(tasks, {})
    assert again.task_ids == first.task_ids and len(fake.tasks()) == 2
    fake.complete_task(first.task_ids["icp-task-1"])
    assert adapter.completed_tasks(list(first.task_ids.values())) == {first.task_ids["icp-task-1"]}


def test_check_names_the_portal_and_what_is_missing(fake: FakeHubSpot, adapter: HubSpotCrm) -> None:
    ok = adapter.check()
    assert ok.ok and ok.account == "portal 424242" and "crm.objects.deals.read" in ok.granted
    fake.scopes.remove("crm.objects.owners.read")
    missing = adapter.check()
    assert not missing.ok and any("crm.objects.owners.read" in p for p in missing.problems)
    bad = HubSpotCrm("pat-na1-wrong", fake.url).check()
    assert not bad.ok and "rejected the access token" in bad.problems[0]
    unreachable = HubSpotCrm(fake.token, "http://127.0.0.1:9").check()
    assert not unreachable.ok and "Cannot reach HubSpot" in unreachable.problems[0]
    assert fake.token not in " ".join(bad.problems + unreachable.problems)


def test_records_modified_times_are_aware() -> None:
    assert parse_time("1767225600000") == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_time("2026-01-01T00:00:00.000Z") == datetime(2026, 1, 1, tzinfo=UTC)


def test_hubspot_tokens_are_masked_wherever_text_leaves() -> None:
    from icp.redact import redact

    assert redact("token pat-na1-1f2e3d4c-aaaa-bbbb-cccc-0123456789ab failed") == "token pat-na1-*** failed"
