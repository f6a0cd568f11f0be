"""The fake Salesforce org answers in Salesforce's own shapes, so adapter tests against it mean something."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from icp.testing._salesforce_soql import SoqlError, parse_query
from icp.testing.fake_salesforce import FakeSalesforce


@pytest.fixture
def fake() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(page_size=2, icp_fields=True) as server:
        yield server


def _call(fake: FakeSalesforce, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
    session = requests.Session()
    session.trust_env = False  # the fake's own authority, whatever REQUESTS_CA_BUNDLE says
    headers = {"Authorization": f"Bearer {token or fake.token}"}
    return session.request(method, fake.url + path, headers=headers, verify=fake.ca_bundle, timeout=10, **kwargs)


def test_query_pages_look_like_salesforce(fake: FakeSalesforce) -> None:
    ids = fake.seed_companies([{"domain": f"a{i}.com"} for i in range(3)])
    first = _call(fake, "GET", "/services/data/v62.0/query", params={"q": "SELECT Id, Name FROM Account"}).json()

    assert set(first) == {"totalSize", "done", "nextRecordsUrl", "records"}
    assert (first["totalSize"], first["done"]) == (3, False)
    assert first["records"][0] == {
        "attributes": {"type": "Account", "url": f"/services/data/v62.0/sobjects/Account/{ids[0]}"},
        "Id": ids[0],
        "Name": "a0.com",
    }
    last = _call(fake, "GET", first["nextRecordsUrl"]).json()
    assert set(last) == {"totalSize", "done", "records"} and last["done"] is True
    assert [r["Id"] for r in last["records"]] == [ids[2]]


def test_errors_are_salesforce_error_arrays(fake: FakeSalesforce) -> None:
    bad_field = _call(fake, "GET", "/services/data/v62.0/query", params={"q": "SELECT Id, Nope__c FROM Account"})
    assert bad_field.status_code == 400
    [error] = bad_field.json()
    assert set(error) == {"message", "errorCode", "fields"} and error["errorCode"] == "INVALID_FIELD"

    expired = _call(fake, "GET", "/services/data/v62.0/limits", token="stale")
    assert expired.status_code == 401 and expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"

    fake.exhaust_daily_limit()
    limited = _call(fake, "GET", "/services/data/v62.0/query", params={"q": "SELECT Id FROM Account"})
    assert limited.status_code == 403
    assert limited.json()[0] == {
        "message": "TotalRequests Limit exceeded.",
        "errorCode": "REQUEST_LIMIT_EXCEEDED",
        "fields": [],
    }
    assert _call(fake, "GET", "/services/data/v62.0/limits").json()["DailyApiRequests"]["Remaining"] == 0


def test_collections_answer_per_record_in_order(fake: FakeSalesforce) -> None:
    kept, gone = fake.seed_companies([{"domain": "a.com"}, {"domain": "b.com"}])
    fake.delete_company(gone)
    body = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Account"}, "id": gone, "ICP_Tier__c": "T1"},
            {"attributes": {"type": "Account"}, "id": kept, "ICP_Tier__c": "T9"},
            {"attributes": {"type": "Account"}, "id": kept, "ICP_Tier__c": "T2"},
        ],
    }
    answer = _call(fake, "PATCH", "/services/data/v62.0/composite/sobjects", json=body).json()

    assert [a["success"] for a in answer] == [False, False, True]
    assert answer[0]["errors"] == [{"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}]
    assert answer[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert answer[2] == {"id": kept, "success": True, "errors": []}
    assert fake.writes == [("PATCH", "/services/data/v62.0/composite/sobjects")]

    too_many = {"records": [{"attributes": {"type": "Account"}, "id": kept}] * 201}
    refused = _call(fake, "PATCH", "/services/data/v62.0/composite/sobjects", json=too_many)
    assert refused.status_code == 400 and refused.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_the_soql_subset_parses_what_the_adapter_sends() -> None:
    query = parse_query(
        "SELECT Id, Name FROM Account WHERE (LastModifiedDate > 2026-01-02T03:04:05.678Z OR "
        "(LastModifiedDate = 2026-01-02T03:04:05.678Z AND Id > '001000000000002AAA')) ORDER BY LastModifiedDate, Id"
    )
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert (query.fields, query.sobject, query.order_by) == (["Id", "Name"], "Account", ["LastModifiedDate", "Id"])
    assert query.where({"LastModifiedDate": stamp, "Id": "001000000000003AAA"})
    assert not query.where({"LastModifiedDate": stamp, "Id": "001000000000002AAA"})

    names = parse_query(r"SELECT Id FROM Task WHERE ICP_Task_Id__c IN ('a\'b', 'c') AND IsClosed = false")
    assert names.where({"ICP_Task_Id__c": "a'b", "IsClosed": False})
    assert not names.where({"ICP_Task_Id__c": "a'b", "IsClosed": True})
    with pytest.raises(SoqlError):
        parse_query("SELECT FROM Account")
