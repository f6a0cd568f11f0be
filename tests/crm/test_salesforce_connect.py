"""Logging in to Salesforce and diagnosing what goes wrong, against the fake org: readable, never secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from tenacity import wait_none

from icp.crm import CrmError
from icp.crm.salesforce import SalesforceCrm
from icp.settings import Settings
from icp.testing.fake_salesforce import FakeSalesforce

SECRETS = ("correct-horse", "SECTOKEN1", "fake-consumer-secret", "fake-session-id", "wrong-secret", "00Dwrong")


def _settings(fake: FakeSalesforce, auth: str = "token", **overrides: object) -> Settings:
    values: dict[str, object] = {k.removeprefix("ICP_").lower(): v for k, v in fake.env(auth=auth).items()}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def _crm(settings: Settings) -> SalesforceCrm:
    return SalesforceCrm.from_settings(settings, wait=wait_none())


def _assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


@pytest.fixture
def fake() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(icp_fields=True) as server:
        yield server


@pytest.mark.parametrize("auth", ["token", "client_credentials", "password"])
def test_every_login_kind_reaches_the_org(fake: FakeSalesforce, auth: str) -> None:
    result = _crm(_settings(fake, auth)).check()

    assert result.ok, result.problems
    assert result.account == f"{fake.url.removeprefix('https://')} (org 00DFAKE0000000001EAA, {fake.username})"
    assert "Account: read, create, edit" in result.granted
    assert any(g.startswith("API requests left today:") for g in result.granted)


def test_an_expired_session_is_renewed_by_logging_in_again(fake: FakeSalesforce) -> None:
    [crm_id] = fake.seed_companies([{"domain": "acme.com", "name": "Acme"}])
    crm = _crm(_settings(fake, "client_credentials"))
    assert crm.check().ok
    with fake.lock:
        fake.sessions.clear()

    records = [r for p in crm.companies(None, None) for r in p.records]
    assert [r["crm_id"] for r in records] == [crm_id]


def test_a_rejected_access_token_is_diagnosed(fake: FakeSalesforce) -> None:
    result = _crm(_settings(fake, salesforce_access_token="00Dwrong!token")).check()

    assert not result.ok
    [problem] = result.problems
    assert "INVALID_SESSION_ID" in problem and "ICP_SALESFORCE_CLIENT_ID" in problem
    _assert_no_secret(problem)


def test_wrong_client_credentials_are_diagnosed(fake: FakeSalesforce) -> None:
    settings = _settings(fake, "client_credentials", salesforce_client_secret="wrong-secret")
    [problem] = _crm(settings).check().problems

    assert "invalid_client" in problem and "Enable Client Credentials Flow" in problem
    _assert_no_secret(problem)


def test_a_wrong_password_is_diagnosed(fake: FakeSalesforce) -> None:
    settings = _settings(fake, "password", salesforce_password="wrong-secret")
    [problem] = _crm(settings).check().problems

    assert "INVALID_LOGIN" in problem and "ICP_SALESFORCE_SECURITY_TOKEN" in problem
    _assert_no_secret(problem)


def test_an_exhausted_daily_limit_stops_at_once_with_a_clear_message(fake: FakeSalesforce) -> None:
    fake.seed_companies([{"domain": "acme.com"}])
    fake.exhaust_daily_limit()
    crm = _crm(_settings(fake))

    with pytest.raises(CrmError) as caught:
        list(crm.companies(None, None))
    assert (
        "daily Salesforce API request limit" in caught.value.message
        and "REQUEST_LIMIT_EXCEEDED" in caught.value.message
    )
    assert not caught.value.retryable and "24 hours" in caught.value.hint
    assert fake.requests_made("/query") == 1  # not retried within the run
    result = crm.check()
    assert any("daily API request limit is used up" in p for p in result.problems)
    assert "API requests left today: 0 of 15,000" in result.granted


def test_a_concurrency_limit_that_persists_gives_up_readably(fake: FakeSalesforce) -> None:
    fake.seed_companies([{"domain": "acme.com"}])
    fake.rate_limit_next(50)
    crm = _crm(_settings(fake, salesforce_ca_bundle=fake.ca_bundle, max_retries=2))

    with pytest.raises(CrmError) as caught:
        list(crm.companies(None, None))
    assert "ConcurrentPerOrgLongTxn" in caught.value.message and caught.value.retryable
    assert fake.requests_made("/query") == 3


def test_a_host_that_refuses_connections_is_diagnosed_at_once(fake: FakeSalesforce) -> None:
    settings = _settings(fake, salesforce_instance_url="https://127.0.0.1:9")
    [problem] = _crm(settings).check().problems
    assert "Cannot reach Salesforce at 127.0.0.1:9" in problem and "My Domain" in problem

    with pytest.raises(CrmError) as caught:
        list(_crm(settings).companies(None, None))
    assert not caught.value.retryable  # a refused connection is a setting to fix, not a moment to wait out


@pytest.mark.parametrize("auth", ["token", "client_credentials", "password"])
def test_a_site_that_is_not_salesforce_is_diagnosed(auth: str) -> None:
    with FakeSalesforce(not_salesforce=True) as other_site:
        [problem] = _crm(_settings(other_site, auth)).check().problems

    assert ("404" in problem or "a web page" in problem) and "ICP_SALESFORCE_INSTANCE_URL" in problem
    assert "<html" not in problem.lower() and "not found" not in problem.lower()
    _assert_no_secret(problem)


def test_an_untrusted_certificate_is_diagnosed(fake: FakeSalesforce) -> None:
    settings = _settings(fake, salesforce_ca_bundle=None)
    [problem] = _crm(settings).check().problems

    assert "certificate" in problem and "ICP_SALESFORCE_CA_BUNDLE" in problem


def test_an_api_version_the_org_does_not_serve_is_diagnosed(fake: FakeSalesforce) -> None:
    [problem] = _crm(_settings(fake, salesforce_api_version="12.0")).check().problems

    assert "ICP_SALESFORCE_API_VERSION" in problem


def test_an_object_the_user_cannot_read_is_named(fake: FakeSalesforce) -> None:
    fake.remove_read_access("Opportunity")
    crm = _crm(_settings(fake))
    result = crm.check()

    assert not result.ok
    assert any(p.startswith("Opportunity: this user cannot read it") for p in result.problems)
    with pytest.raises(CrmError) as caught:
        list(crm.deals(None, None))
    assert "INVALID_TYPE" in caught.value.message and "Read on Account and Opportunity" in caught.value.hint


def test_missing_object_permissions_are_listed() -> None:
    with FakeSalesforce(icp_fields=True, read_only=("Account", "Task")) as org:
        result = _crm(_settings(org)).check()

    assert not result.ok
    assert "Account: read" in result.granted
    assert any(p.startswith("Account: no edit permission") and "API Enabled" in p for p in result.problems)
    assert any(p.startswith("Task: no create permission") for p in result.problems)


def test_an_unconfigured_org_says_what_to_set() -> None:
    with pytest.raises(CrmError) as caught:
        SalesforceCrm.from_settings(Settings(_env_file=None))
    assert "not configured" in caught.value.message and "ICP_SALESFORCE_INSTANCE_URL" in caught.value.hint

    with pytest.raises(CrmError) as caught:
        SalesforceCrm.from_settings(Settings(_env_file=None, salesforce_instance_url="http://acme.example"))
    assert "https://" in caught.value.message

    lightning = Settings(_env_file=None, salesforce_instance_url="https://acme.lightning.force.com/lightning/page/home")
    with pytest.raises(CrmError) as caught:
        SalesforceCrm.from_settings(lightning)
    assert "use https://acme.my.salesforce.com" in caught.value.message


def test_settings_come_from_the_environment(fake: FakeSalesforce, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in fake.env(auth="password").items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)

    assert settings.salesforce_api_version == "62.0"
    assert "correct-horse" not in repr(settings) and "SECTOKEN1" not in repr(settings)
    assert SalesforceCrm.from_settings(settings, wait=wait_none()).check().ok


def test_an_answer_that_is_not_json_is_explained() -> None:
    from icp.crm._salesforce_connect import translate

    page = requests.models.Response()
    page._content, page.status_code = b"<html>Sign in to the proxy</html>", 200
    with pytest.raises(requests.exceptions.InvalidJSONError) as raised:
        page.json()
    error = translate(raised.value, "acme.my.salesforce.com")

    assert "something other than Salesforce's JSON" in error.message and not error.retryable
    assert "Sign in" not in error.message
