"""`icp.crm.pull` as a library call: a pull stopped by the daily limit resumes from its stored cursor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from icp.crm import CrmSyncError, pull
from icp.crm.hubspot import HubSpotCrm
from icp.store.tables import Company, CrmAccount, CrmSyncState
from icp.testing.fake_hubspot import FakeHubSpot


@pytest.fixture
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as server:
        server.retry_after = "0"
        yield server


def test_a_pull_stopped_by_the_daily_limit_resumes_where_it_stopped(fake: FakeHubSpot, engine: Engine) -> None:
    ids = fake.seed_companies([{"domain": f"globex{i}.com", "name": f"Globex {i}"} for i in range(350)])
    provider = HubSpotCrm(fake.token, fake.url)

    def stop_after_two_pages(what: str, pages: int, records: int) -> None:
        if pages == 2:
            fake.rate_limit_next(1, policy="DAILY")

    with Session(engine) as session:
        with pytest.raises(CrmSyncError, match="daily API limit"):
            pull(session, provider, progress=stop_after_two_pages)
        state = session.get(CrmSyncState, ("hubspot", "companies"))
        assert state is not None and (state.status, state.pages, state.records) == ("failed", 2, 200)
        assert session.exec(select(func.count()).select_from(Company)).one() == 200

        report = pull(session, provider)
        assert report.resumed == ["companies"] and report.company_pages == 2
        assert report.companies.created == 150
        links = {link.crm_id for link in session.exec(select(CrmAccount))}
        assert links == set(ids)
        state = session.get(CrmSyncState, ("hubspot", "companies"))
        assert state is not None and state.cursor is None and state.status == "completed"
        assert state.watermark is not None

        # Nothing changed: the next pull reads from the watermark on, not the whole book again.
        fake.touch_company(ids[10], description="Now on Salesforce.")
        again = pull(session, provider)
        assert again.resumed == [] and again.companies.updated == 1 and again.companies.created == 0
        assert again.companies.total <= 2
        everything = pull(session, provider, full=True)
        assert everything.companies.unchanged == 350 and everything.company_pages == 4


def test_a_dry_run_pull_stores_nothing(fake: FakeHubSpot, engine: Engine) -> None:
    fake.seed_companies([{"domain": f"initech{i}.com", "name": f"Initech {i}"} for i in range(5)])
    with Session(engine) as session:
        report = pull(session, HubSpotCrm(fake.token, fake.url), dry_run=True)
        assert report.companies.created == 5
        assert session.exec(select(func.count()).select_from(Company)).one() == 0
        assert session.exec(select(func.count()).select_from(CrmSyncState)).one() == 0
