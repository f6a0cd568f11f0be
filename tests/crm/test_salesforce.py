"""The Salesforce adapter against the fake Salesforce org: reads, cursors, field plan, writes and tasks."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from tenacity import wait_none

from icp.crm import AccountFields, CrmError, CrmTask
from icp.crm.salesforce import ACCOUNT_FIELDS, SalesforceCrm
from icp.settings import Settings
from icp.testing.fake_salesforce import FakeSalesforce


def _crm(fake: FakeSalesforce, **overrides: object) -> SalesforceCrm:
    values: dict[str, object] = {
        "salesforce_instance_url": fake.url,
        "salesforce_access_token": fake.token,
        "salesforce_ca_bundle": fake.ca_bundle,
    }
    values.update(overrides)
    return SalesforceCrm.from_settings(Settings(_env_file=None, **values), wait=wait_none())  # type: ignore[arg-type]


def _companies(n: int, start: int = 0) -> list[dict[str, object]]:
    return [
        {"domain": f"acme{i}.com", "name": f"Acme {i}", "industry": "Software", "employees": 50 + i, "country": "DE"}
        for i in range(start, start + n)
    ]


def _fields(crm_id: str, tier: str | None = "T1", score: float | None = 87.26) -> AccountFields:
    return AccountFields(
        crm_id=crm_id,
        tier=tier,
        score=score,
        segment="Mid-market SaaS",
        status="qualified",
        reason="Uses Salesforce;\nhiring SDRs",
        cycle_date=date(2026, 12, 1),
    )


@pytest.fixture
def fake() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(page_size=4) as server:
        yield server


@pytest.fixture
def org() -> Iterator[FakeSalesforce]:
    """An org where icp's fields exist already."""
    with FakeSalesforce(icp_fields=True) as server:
        yield server


def test_reads_accounts_over_several_pages_with_only_mapped_fields(fake: FakeSalesforce) -> None:
    ids = fake.seed_companies(_companies(10))
    pages = list(_crm(fake).companies(None, None))

    assert [len(p.records) for p in pages] == [4, 4, 2]
    assert [p.cursor is None for p in pages] == [False, False, True]
    records = [r for p in pages for r in p.records]
    assert [r["crm_id"] for r in records] == ids
    first = records[0]
    assert set(first) == {*ACCOUNT_FIELDS, "crm_id", "modified_at"}
    assert (first["Name"], first["Website"], first["NumberOfEmployees"], first["BillingCountry"]) == (
        "Acme 0",
        "acme0.com",
        50,
        "DE",
    )
    assert isinstance(first["modified_at"], datetime) and first["modified_at"].utcoffset() is not None
    assert fake.requests_made("/query/01g") == 2  # two nextRecordsUrl pages after the first query


def test_reads_only_what_changed_since_the_last_pull(fake: FakeSalesforce) -> None:
    first = fake.seed_companies(_companies(5))
    crm = _crm(fake)
    pulled = [r for p in crm.companies(None, None) for r in p.records]
    since = max(r["modified_at"] for r in pulled)

    fake.touch_company(first[2], industry="Fintech")
    new = fake.seed_companies(_companies(2, start=5))
    changed = [r for p in crm.companies(since, None) for r in p.records]

    assert [r["crm_id"] for r in changed] == [first[2], *new]
    assert changed[0]["Industry"] == "Fintech"
    assert list(crm.companies(max(r["modified_at"] for r in changed), None))[0].records == []


def test_a_new_process_resumes_from_the_cursor_without_gaps_or_repeats(fake: FakeSalesforce) -> None:
    ids = fake.seed_companies(_companies(10))  # one LastModifiedDate for all: the Id breaks the tie
    pages = _crm(fake).companies(None, None)
    first = next(pages)
    second = next(pages)
    assert second.cursor is not None

    resumed = [r["crm_id"] for p in _crm(fake).companies(None, second.cursor) for r in p.records]

    assert [r["crm_id"] for r in first.records + second.records] + resumed == ids


def test_a_pull_that_hangs_half_way_can_be_resumed_from_its_last_cursor(fake: FakeSalesforce) -> None:
    ids = fake.seed_companies(_companies(12))
    fake.hang_after_pages(2)
    seen: list[str] = []
    cursors: list[str | None] = []

    def pull() -> None:
        for page in _crm(fake).companies(None, None):
            seen.extend(r["crm_id"] for r in page.records)
            cursors.append(page.cursor)

    worker = threading.Thread(target=pull, daemon=True)
    worker.start()
    assert fake.hanging.wait(10)
    assert len(seen) == 8  # two pages read, the third request is stuck

    resumed = [r["crm_id"] for p in _crm(fake).companies(None, cursors[-1]) for r in p.records]
    fake.release()
    worker.join(10)

    assert seen[:8] + resumed == ids


def test_an_expired_query_locator_is_replaced_by_the_keyset(fake: FakeSalesforce) -> None:
    ids = fake.seed_companies(_companies(10))
    pages = _crm(fake).companies(None, None)
    got = [r["crm_id"] for r in next(pages).records]
    fake.expire_query_locators()
    got += [r["crm_id"] for p in pages for r in p.records]

    assert got == ids


def test_rate_limits_in_the_middle_of_a_pull_are_retried(fake: FakeSalesforce) -> None:
    ids = fake.seed_companies(_companies(10))
    crm = _crm(fake)
    pages = crm.companies(None, None)
    got = [r["crm_id"] for r in next(pages).records]
    fake.rate_limit_next(2)
    fake.rate_limit_next(1, kind="unavailable")
    got += [r["crm_id"] for p in pages for r in p.records]

    assert got == ids


def test_reads_deals_with_their_account(fake: FakeSalesforce) -> None:
    [account] = fake.seed_companies(_companies(1))
    won, lost, open_ = fake.seed_deals(
        [
            {
                "name": "Won",
                "result": "won",
                "amount": 12000,
                "create_date": "2026-01-10",
                "close_date": "2026-03-01",
                "account_crm_id": account,
            },
            {"name": "Lost", "result": "lost", "amount": 5000, "create_date": "2026-02-01", "account_crm_id": account},
            {"name": "Open", "result": "open", "account_crm_id": None},
        ]
    )
    deals = {r["crm_id"]: r for p in _crm(fake).deals(None, None) for r in p.records}

    assert list(deals) == [won, lost, open_]
    assert deals[won]["crm_account_id"] == account and deals[won]["IsWon"] is True
    assert (deals[won]["StageName"], deals[won]["Amount"], deals[won]["CloseDate"]) == (
        "Closed Won",
        12000,
        "2026-03-01",
    )
    assert deals[lost]["IsClosed"] is True and deals[lost]["IsWon"] is False
    assert deals[open_]["crm_account_id"] is None and deals[open_]["IsClosed"] is False


def test_field_plan_lists_what_icp_writes_and_creates_it_with_permission(fake: FakeSalesforce) -> None:
    crm = _crm(fake)
    names = [f.name for f in crm.fields()]
    assert names == [
        "ICP_Tier__c",
        "ICP_Fit_Score__c",
        "ICP_Segment__c",
        "ICP_Status__c",
        "ICP_Reason__c",
        "ICP_Cycle_Date__c",
        "Task.ICP_Task_Id__c",
    ]
    assert {f.name: f.kind for f in crm.fields()}["ICP_Fit_Score__c"] == "Number(5,1)"

    assert crm.ensure_fields(create=False) == names
    assert fake.writes == []
    assert any("--create-fields" in p for p in crm.check().problems)
    assert crm.ensure_fields(create=True) == []
    assert "Activity.ICP_Task_Id__c" in fake.field_creations and len(fake.field_creations) == 7
    assert crm.ensure_fields(create=True) == []
    assert len(fake.field_creations) == 7


def test_created_fields_are_made_visible_to_the_integration_user() -> None:
    with FakeSalesforce(field_security=True) as org:
        [crm_id] = org.seed_companies(_companies(1))
        crm = _crm(org)

        assert crm.ensure_fields(create=True) == []
        assert crm.write_accounts([_fields(crm_id)]).written == [crm_id]
        assert org.account_values(crm_id)["ICP_Tier__c"] == "T1"
        [permission_set] = org.records["PermissionSet"].values()
        assert permission_set["Name"] == "ICP_Integration"
        assert {g["Field"] for g in org.records["FieldPermissions"].values()} == {
            "Account.ICP_Tier__c",
            "Account.ICP_Fit_Score__c",
            "Account.ICP_Segment__c",
            "Account.ICP_Status__c",
            "Account.ICP_Reason__c",
            "Account.ICP_Cycle_Date__c",
            "Task.ICP_Task_Id__c",
        }
        assert len(org.records["PermissionSetAssignment"]) == 1

        writes = len(org.writes)
        assert crm.ensure_fields(create=True) == []
        assert len(org.writes) == writes


def test_fields_created_by_an_admin_but_hidden_are_granted_on_the_next_run() -> None:
    with FakeSalesforce(field_security=True) as org:
        for full_name in ("Account.ICP_Tier__c", "Activity.ICP_Task_Id__c"):  # nobody granted them yet
            org.create_field({"FullName": full_name, "Metadata": {"label": "x", "type": "Text", "length": 80}})
        org.can_customize = False
        crm = _crm(org)

        assert "ICP_Tier__c" in crm.ensure_fields(create=True)  # no right to create fields or grant them
        org.can_customize = True
        assert crm.ensure_fields(create=True) == []
        assert {g["Field"] for g in org.records["FieldPermissions"].values()} >= {
            "Account.ICP_Tier__c",
            "Task.ICP_Task_Id__c",
        }


def test_without_customize_application_fields_stay_missing(fake: FakeSalesforce) -> None:
    fake.can_customize = False
    crm = _crm(fake)

    assert crm.ensure_fields(create=True) == [f.name for f in crm.fields()]
    assert fake.field_creations == []
    result = crm.check()
    assert not result.ok
    assert "Customize Application: no" in result.granted
    assert any("an admin must create them" in p and "ICP_Tier__c" in p for p in result.problems)


def test_writes_accounts_and_reports_each_failed_record(org: FakeSalesforce) -> None:
    ids = org.seed_companies(_companies(5))
    org.delete_company(ids[1])
    org.reject_writes(ids[3])

    result = _crm(org).write_accounts([_fields(i) for i in ids])

    assert result.written == [ids[0], ids[2], ids[4]]
    assert dict(result.failed) == {
        ids[1]: "ENTITY_IS_DELETED: entity is deleted",
        ids[3]: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Annual revenue is required for customers.",
    }
    assert org.account_values(ids[0]) == {
        "ICP_Tier__c": "T1",
        "ICP_Fit_Score__c": 87.3,
        "ICP_Segment__c": "Mid-market SaaS",
        "ICP_Status__c": "qualified",
        "ICP_Reason__c": "Uses Salesforce; hiring SDRs",
        "ICP_Cycle_Date__c": "2026-12-01",
    }
    assert org.account_values(ids[1]) == {}


def test_an_account_leaving_every_segment_has_its_values_cleared(org: FakeSalesforce) -> None:
    [crm_id] = org.seed_companies(_companies(1))
    crm = _crm(org)
    crm.write_accounts([_fields(crm_id)])
    crm.write_accounts([AccountFields(crm_id, None, None, "", "", "", date(2026, 12, 8))])

    values = org.account_values(crm_id)
    assert values["ICP_Tier__c"] is None and values["ICP_Fit_Score__c"] is None and values["ICP_Segment__c"] is None
    assert values["ICP_Cycle_Date__c"] == "2026-12-08"


def test_writes_go_in_collections_of_200(org: FakeSalesforce) -> None:
    ids = org.seed_companies(_companies(450))
    result = _crm(org).write_accounts([_fields(i) for i in ids])

    assert len(result.written) == 450 and result.failed == []
    assert org.writes == [("PATCH", "/services/data/v62.0/composite/sobjects")] * 3


def test_large_pushes_use_one_bulk_api_2_job(org: FakeSalesforce) -> None:
    ids = org.seed_companies(_companies(8))
    org.delete_company(ids[5])
    crm = _crm(org)
    crm.bulk_threshold, crm.bulk_poll_s = 5, 0

    result = crm.write_accounts([_fields(i, tier=None if i == ids[0] else "T2") for i in ids])

    assert result.written == [i for i in ids if i != ids[5]]
    assert result.failed == [(ids[5], "ENTITY_IS_DELETED: entity is deleted")]
    assert org.account_values(ids[0])["ICP_Tier__c"] is None
    assert org.account_values(ids[1])["ICP_Tier__c"] == "T2"
    methods = [m for m, path in org.writes if "/jobs/ingest" in path]
    assert methods == ["POST", "PUT", "PATCH"]


def test_a_bulk_job_that_fails_as_a_whole_is_a_readable_error(org: FakeSalesforce) -> None:
    ids = org.seed_companies(_companies(3))
    org.bulk_failure = "InvalidBatch : Field name not found : ICP_Tier__c"
    crm = _crm(org)
    crm.bulk_threshold, crm.bulk_poll_s = 1, 0

    with pytest.raises(CrmError) as caught:
        crm.write_accounts([_fields(i) for i in ids])
    assert "bulk job failed" in caught.value.message and "Field name not found" in caught.value.message
    assert org.account_values(ids[0]) == {}


def _task(external_id: str, account: str, owner: str | None = "rep@example.com") -> CrmTask:
    return CrmTask(
        external_id=external_id,
        crm_account_id=account,
        subject="Call Acme about the T1 fit",
        body="Why now: hiring SDRs.\nOpen with the Salesforce migration.",
        due=date(2026, 12, 4),
        owner_email=owner,
    )


def test_tasks_are_created_once_even_when_the_link_was_lost(org: FakeSalesforce) -> None:
    [account] = org.seed_companies(_companies(1))
    rep = org.add_owner("Rep@Example.com")
    crm = _crm(org)
    tasks = [_task("icp-task-1", account), _task("icp-task-2", account, owner="nobody@example.com")]

    first = crm.write_tasks(tasks, known={})
    again = crm.write_tasks(tasks, known={})  # as after a crash before the links were saved

    assert first.written == ["icp-task-1", "icp-task-2"] and first.failed == []
    assert again.written == [] and again.task_ids == first.task_ids
    stored = {t["external_id"]: t for t in org.tasks()}
    assert len(org.tasks()) == 2 and stored["icp-task-1"]["id"] == first.task_ids["icp-task-1"]
    assert stored["icp-task-1"]["account_crm_id"] == account and stored["icp-task-1"]["status"] == "Not Started"
    assert stored["icp-task-1"]["OwnerId"] == rep and "OwnerId" not in stored["icp-task-2"]
    assert stored["icp-task-1"]["WhatId"] == account and stored["icp-task-1"]["ActivityDate"] == "2026-12-04"
    assert stored["icp-task-1"]["Status"] == "Not Started"

    writes = len(org.writes)
    known = crm.write_tasks(tasks, known=first.task_ids)
    assert known.written == [] and len(org.writes) == writes


def test_a_task_on_a_deleted_account_fails_alone(org: FakeSalesforce) -> None:
    kept, gone = org.seed_companies(_companies(2))
    org.delete_company(gone)
    result = _crm(org).write_tasks([_task("icp-task-1", kept), _task("icp-task-2", gone)], known={})

    assert result.written == ["icp-task-1"]
    assert result.failed == [("icp-task-2", "ENTITY_IS_DELETED: entity is deleted (WhatId)")]


def test_tasks_completed_in_salesforce_are_read_back(org: FakeSalesforce) -> None:
    [account] = org.seed_companies(_companies(1))
    crm = _crm(org)
    created = crm.write_tasks([_task("icp-task-1", account), _task("icp-task-2", account)], known={})
    org.complete_task(created.task_ids["icp-task-2"])

    assert crm.completed_tasks(list(created.task_ids.values())) == {created.task_ids["icp-task-2"]}
    assert crm.completed_tasks(["not an id'); DELETE"]) == set()


def test_writing_before_the_fields_exist_says_how_to_create_them(fake: FakeSalesforce) -> None:
    [crm_id] = fake.seed_companies(_companies(1))
    with pytest.raises(CrmError) as caught:
        _crm(fake).write_accounts([_fields(crm_id)])

    assert "INVALID_FIELD" in caught.value.message and "ICP_Tier__c" in caught.value.message
    assert "--create-fields" in caught.value.hint and not caught.value.retryable


def test_a_thousand_accounts_and_300_deals_with_a_limit_in_the_middle() -> None:
    with FakeSalesforce(page_size=200, icp_fields=True) as org:
        ids = org.seed_companies(_companies(1000))
        org.seed_deals([{"name": f"Deal {i}", "result": "won", "account_crm_id": ids[i]} for i in range(300)])
        crm = _crm(org)
        pages = crm.companies(None, None)
        read = [r["crm_id"] for r in next(pages).records]
        org.rate_limit_next(1)
        read += [r["crm_id"] for p in pages for r in p.records]
        deals = [r for p in crm.deals(None, None) for r in p.records]
        written = crm.write_accounts([_fields(i) for i in ids])

        assert read == ids and org.failures == deque()
        assert len(deals) == 300 and {d["crm_account_id"] for d in deals} == set(ids[:300])
        assert len(written.written) == 1000 and len(org.writes) == 5  # Collections of 200
