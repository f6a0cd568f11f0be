"""Outcomes page: import a deal export, read win rate by tier with intervals, and the plain-language reading."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from icp.demo import load_samples
from icp.samples import DEALS_FILE
from tests.ui.conftest import open_page, texts
from ui import state

DEALS = b"""Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Associated Company Domain
1,Acme,Closed Won,1000,2026-01-01,2026-02-01,acme.io
2,Ghost,Closed Won,1000,2026-01-01,2026-02-01,ghost.example
"""


def test_import_deals_and_see_win_rate_by_tier(app: AppTest, seeded: Engine) -> None:
    open_page(app, "outcomes")
    assert any("No closed deal could be judged" in i.value for i in app.info)
    app.file_uploader(key=state.OU_UPLOAD).set_value(("deals.csv", DEALS, "text/csv")).run()
    assert "**2 deals** read from deals\\.csv." in texts(app)
    app.button(key=state.OU_IMPORT).click().run()
    assert not app.exception
    assert any("1 new" in s.value and "1 rejected" in s.value for s in app.success)
    rejected = app.dataframe[0].value
    assert list(rejected["row"]) == [3] and "ghost.example" in rejected["reason"][0]


def test_sample_deals_show_a_chart_with_intervals_and_a_reading(app: AppTest, db: Engine) -> None:
    with Session(db) as session:
        load_samples(session)
    assert DEALS_FILE.exists()
    open_page(app, "outcomes")
    app.toggle(key=state.OU_REGRADE).set_value(True).run()
    app.selectbox(key=state.OU_SEGMENT).set_value("Mid-Market B2B SaaS").run()
    assert not app.exception
    assert any("T1 accounts won" in m.value for m in app.markdown)
    assert app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart"), "win rate by tier is charted"
    table = app.dataframe[0].value
    assert "95% interval" in table.columns and "T1" in list(table["group"])
    assert "judged by re-grading today's data" in texts(app)
