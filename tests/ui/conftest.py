"""Fixtures for the Streamlit app: a file database per test and an AppTest on the router."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from icp.companies import import_rows
from icp.importing import parse_rows
from icp.segments import create_segment
from icp.store import open_engine
from icp.tasks import MotionSpec, create_motion

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
PAGES = ("segments", "companies", "queue", "motions", "outcomes", "cycles", "evals")

COMPANIES_CSV = b"""\
Company name,Company Domain Name,Industry,Number of Employees,Country/Region,Technologies,Tags,Description
Acme Cloud,acme.io,Software,800,United States,Salesforce;AWS,SaaS;B2B,B2B SaaS platform for finance teams.
Birch Analytics,birch.io,Software,450,United States,HubSpot,SaaS;B2B,B2B SaaS analytics.
Cobalt Retail,cobalt.com,Retail,3000,United States,SAP,,Department stores.
Delta Works,delta.de,Software,300,Germany,Salesforce,SaaS;B2B,B2B SaaS for manufacturing.
"""
SEGMENT_NAME = "US B2B SaaS"
SEGMENT_REQUIREMENTS = "- B2B SaaS company\n- Based in the United States"
SEGMENT_NICE = "- Uses Salesforce"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite file for the app, passed the way an operator would: ICP_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'ui.db'}"
    monkeypatch.setenv("ICP_DATABASE_URL", url)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """An engine on the app's database, for arranging data and checking what the app stored."""
    engine = open_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded(db: Engine) -> Engine:
    """One segment, four companies (two members, one non-member, one outside the US) and a motion."""
    with Session(db) as session:
        create_segment(session, SEGMENT_NAME, SEGMENT_REQUIREMENTS, SEGMENT_NICE, priority=1)
        import_rows(session, parse_rows(COMPANIES_CSV, "companies.csv"))
        create_motion(session, MotionSpec(name="Outbound", segments=[SEGMENT_NAME], capacity=10))
    return db


@pytest.fixture
def app(db_url: str) -> Iterator[AppTest]:
    """The app, run once through its router (lands on the Segments page)."""
    import streamlit as st

    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    yield at
    st.cache_resource.clear()  # engines are cached per URL; each test has its own database


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch to ``ui/app_pages/<page>.py`` through the router and run it."""
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Every markdown, caption, alert and title on the page, joined: for 'the user sees X' checks."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title", "subheader"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)


def open_account(at: AppTest, company_id: int, segment_id: int) -> AppTest:
    """Open one account's detail on the Queue page, as selecting its row does."""
    at.selectbox(key="q_open").set_value(f"{company_id}:{segment_id}").run()
    assert not at.exception, at.exception
    return at
