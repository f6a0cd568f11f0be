"""Queue page: sorting orders the whole list (page 2 continues page 1); tier and status show as chips."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from icp.cycle import run_cycle
from icp.demo import load_samples
from icp.evaluators.offline import OfflineEvaluator
from icp.worklist import account_queue
from tests.ui.conftest import open_page, texts
from ui import state


def _companies(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["company"])


@pytest.mark.slow
def test_sorting_orders_every_page_not_just_the_one_shown(app: AppTest, db: Engine) -> None:
    with Session(db) as session:
        load_samples(session)
    run_cycle(db, OfflineEvaluator())
    with Session(db) as session:
        expected = [r.company_name for r in account_queue(session, sort="company", limit=1000).rows]
        best_first = account_queue(session, limit=1000).rows
    assert len(expected) > 50, "three pages of 25 at least"

    open_page(app, "queue")
    _tier_and_status_are_chips_holding_plain_text(app)
    app.selectbox(key=state.Q_SORT).set_value("company").run()
    assert "sorted by company, ascending" in texts(app)
    first = _companies(app)
    assert first == expected[:25]
    app.number_input(key=state.Q_PAGE).set_value(2).run()
    second = _companies(app)
    assert second == expected[25:50]  # page 2 continues where page 1 ended, across the whole list
    assert first[-1].lower() <= second[0].lower()
    # Each account keeps its best-first rank whatever the order.
    rank_of = {r.company_name: r.rank for r in best_first}
    assert list(app.dataframe[0].value["rank"]) == [rank_of[name] for name in second]

    # Changing the order starts again at page 1.
    app.selectbox(key=state.Q_SORT_ORDER).set_value("descending").run()
    assert app.number_input(key=state.Q_PAGE).value == 1
    assert _companies(app) == list(reversed(expected))[:25]

    app.selectbox(key=state.Q_SORT).set_value("score").run()
    scores = list(app.dataframe[0].value["score"])
    assert scores == sorted(scores, reverse=True)


def _tier_and_status_are_chips_holding_plain_text(app: AppTest) -> None:
    table = app.dataframe[0]
    assert set(table.value["tier"]) <= {"T1", "T2", "T3"} and set(table.value["status"]) <= {"qualified", "unverified"}
    columns = json.loads(table.proto.columns)
    assert columns["tier"]["type_config"]["type"] == "multiselect"
    assert [o["value"] for o in columns["tier"]["type_config"]["options"]] == ["T1", "T2", "T3", "disqualified"]
    assert columns["status"]["type_config"]["type"] == "multiselect"
