"""Fixtures for the Streamlit app: a file database per test and an AppTest on the router."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import UnknownElement

from icp.companies import import_rows
from icp.importing import parse_rows
from icp.segments import create_segment
from icp.store import open_engine
from icp.tasks import MotionSpec, create_motion
from ui import live_text

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


def live_field(at: AppTest, key: str) -> UnknownElement:
    """A ``ui.live_text`` field on the page (AppTest draws custom components as unknown elements)."""
    found = [e for e in at.get("bidi_component") if isinstance(e, UnknownElement) and e.key == live_text.field_key(key)]
    assert len(found) == 1, f"no live text field {key!r} on the page"
    return found[0]


def field_shows(at: AppTest, key: str) -> dict[str, Any]:
    """What the page sends the field: label, placeholder, help, the text it shows and its revision."""
    data: dict[str, Any] = json.loads(live_field(at, key).proto.json)
    return data


def type_text(at: AppTest, key: str, text: str, *, revision: int | None = None) -> AppTest:
    """Run the page as after a pause in typing: the browser reports ``{"text", "revision"}`` as the field's state.

    This is the message the browser sends (a widget state holding the component's JSON), added to the
    widget states AppTest sends for the other widgets on the page. ``revision`` defaults to the one the
    field was last given, as the browser does; pass an older one for a report typed before a reload.
    """
    field = live_field(at, key)
    if revision is None:
        revision = int(field_shows(at, key)["revision"])
    report = {"typed": {"text": text, "revision": revision}}
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=field.proto.id, json_value=json.dumps(report)))
    at._run(states)
    assert not at.exception, at.exception
    return at
