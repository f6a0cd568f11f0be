"""The router and every page: nothing raises on an empty database; sample data; motions and tasks; evals."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from icp.cycle import run_cycle
from icp.evaluators.offline import OfflineEvaluator
from icp.segments import list_segments
from icp.tasks import list_motions, list_tasks
from tests.ui.conftest import APP, PAGES, SEGMENT_NAME, open_page, texts
from ui import state


def test_router_opens_on_segments_and_the_configured_database(app: AppTest, db_url: str) -> None:
    assert [t.value for t in app.title] == ["Segments"]
    assert any(db_url in c.value for c in app.sidebar.caption)


@pytest.mark.parametrize("page", PAGES)
def test_no_page_raises_on_an_empty_database(app: AppTest, page: str) -> None:
    open_page(app, page)
    assert not app.exception
    assert not app.error
    assert app.info or app.caption, f"the {page} page explains what to do on an empty database"


def test_a_bad_database_url_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICP_DATABASE_URL", "not a url")
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert any("is not valid" in e.value for e in at.error)


def test_load_sample_data_from_an_empty_database(app: AppTest, db: Engine) -> None:
    app.button(key=state.LOAD_SAMPLES).click().run()
    assert not app.exception
    assert any(s.value.startswith("Loaded 5 segments") for s in app.success)
    with Session(db) as session:
        assert len(list_segments(session)) == 5
        assert list_motions(session)


def test_motions_and_tasks_mark_done(app: AppTest, seeded: Engine) -> None:
    run_cycle(seeded, OfflineEvaluator())
    open_page(app, "motions")
    assert any(e.label.startswith("Outbound · 2 open of 10") for e in app.expander)
    tasks = next(df.value for df in app.dataframe if "due" in df.value.columns)
    assert list(tasks["company"]) == ["Acme Cloud", "Birch Analytics"]
    assert all(tasks["due"])

    first = int(tasks["task"][0])
    app.multiselect(key=state.MO_DONE_PICK).select(first).run()
    app.button(key=state.MO_DONE).click().run()
    assert not app.exception
    assert "1 task marked done." in texts(app)
    with Session(seeded) as session:
        [left] = list_tasks(session, status="open")
    assert left.company_name == "Birch Analytics"

    # Snooze it, then give it to someone: the work list filters by owner.
    app.multiselect(key=state.MO_DONE_PICK).select(left.id).run()
    app.number_input(key=state.MO_SNOOZE_DAYS).set_value(4)
    app.button(key=state.MO_SNOOZE).click().run()
    assert "1 task snoozed 4 days." in texts(app)
    app.multiselect(key=state.MO_DONE_PICK).select(left.id).run()
    app.text_input(key=state.MO_NEW_OWNER).set_value("dana").run()
    app.button(key=state.MO_REASSIGN).click().run()
    assert "1 task given to dana." in texts(app)
    app.selectbox(key=state.MO_OWNER).set_value("dana").run()
    tasks = next(df.value for df in app.dataframe if "due" in df.value.columns)
    assert list(tasks["owner"]) == ["dana"] and list(tasks["due"]) == ["in 9 days"]  # 5-day play + 4


def test_create_a_motion_from_the_form(app: AppTest, seeded: Engine) -> None:
    open_page(app, "motions")
    app.text_input(key=state.MO_NAME).set_value("Inbound follow-up")
    app.multiselect(key=state.MO_SEGMENTS).select(SEGMENT_NAME)
    app.button(key=state.MO_CREATE).click().run()
    assert not app.exception
    assert "Created motion 'Inbound follow-up'" in texts(app)
    with Session(seeded) as session:
        created = next(m for m in list_motions(session) if m.name == "Inbound follow-up")
    assert created.segments == [SEGMENT_NAME]
    assert set(created.plays) == {"T1", "T2", "T3"}


def test_a_motion_needs_a_segment(app: AppTest, seeded: Engine) -> None:
    open_page(app, "motions")
    app.text_input(key=state.MO_NAME).set_value("Nowhere")
    app.button(key=state.MO_CREATE).click().run()
    assert any("at least one segment" in e.value for e in app.error)
    with Session(seeded) as session:
        assert [m.name for m in list_motions(session)] == ["Outbound"]


def test_the_sidebar_never_shows_a_database_password() -> None:
    from ui.resources import display_url

    assert display_url("postgresql+psycopg://sales:s3cret@db.internal/icp") == (
        "postgresql+psycopg://sales:***@db.internal/icp"
    )
    assert display_url("sqlite:///icp.db") == "sqlite:///icp.db"
