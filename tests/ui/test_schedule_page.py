"""The Cycles page shows the schedule in words, the next run and the workers' latest runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from icp.evaluators.offline import OfflineEvaluator
from icp.schedule import Worker, parse_schedule
from icp.settings import Settings
from tests.test_worker import FakeClock
from tests.ui.conftest import open_page, texts
from ui import state


def test_without_a_schedule_the_page_says_how_to_start_the_worker(app: AppTest, seeded: Engine) -> None:
    open_page(app, "cycles")
    shown = texts(app)
    assert "Schedule" in shown
    assert "Cycles run only when someone starts one" in shown and "ICP_CYCLE_SCHEDULE" in shown
    assert "icp worker" in shown


@pytest.fixture
def weekday_mornings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICP_CYCLE_SCHEDULE", "0 6 * * 1-5")
    monkeypatch.setenv("ICP_CYCLE_TIMEZONE", "Europe/Berlin")


def test_the_schedule_its_next_run_and_the_latest_runs(weekday_mornings: None, app: AppTest, seeded: Engine) -> None:
    open_page(app, "cycles")
    shown = texts(app)
    unescaped = shown.replace("\\", "")  # the page escapes Markdown in what it shows
    assert "At 06:00 on Monday through Friday (Europe/Berlin)" in unescaped and "next run" in shown
    assert "No scheduled run yet" in shown and "icp worker --once" in shown
    settings = Settings()
    schedule = parse_schedule("0 6 * * 1-5", "Europe/Berlin")
    slot = datetime(2026, 12, 1, 5, tzinfo=UTC)  # 06:00 in Berlin
    Worker(seeded, settings, schedule, OfflineEvaluator, clock=FakeClock(slot)).run_once()
    open_page(app, "cycles")
    runs = next(df.value for df in app.dataframe if "scheduled for" in df.value.columns)
    assert list(runs["scheduled for"]) == ["2026-12-01 05:00 UTC"] and list(runs["status"]) == ["completed"]
    assert list(runs["follow-ups"]) == ["alerts: skipped, crm: skipped"]


@pytest.fixture
def ninth_weekday(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICP_CYCLE_SCHEDULE", "0 6 * * 9")


def test_an_invalid_schedule_is_shown_and_the_rest_of_the_page_works(
    ninth_weekday: None, app: AppTest, seeded: Engine
) -> None:
    open_page(app, "cycles")
    errors = [e.value.replace("\\", "") for e in app.error]
    assert any("the day-of-week field ('9') is not valid" in e for e in errors), errors
    assert "History" in texts(app) and app.button(key=state.CY_ESTIMATE_BTN)
