"""Cycles page runs a cycle; the Queue ranks it, shows evidence and breakdown, stores feedback, exports CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from icp.cycle import run_cycle
from icp.evaluators.offline import OfflineEvaluator
from icp.feedback import list_feedback
from icp.queue import ranked_queue
from icp.segments import edit_segment
from icp.worklist import membership_view
from tests.ui.conftest import SEGMENT_NAME, open_account, open_page, texts
from ui import state, widgets


def _run_cycle_in_the_app(app: AppTest) -> None:
    open_page(app, "cycles")
    assert app.button(key=state.CY_RUN).disabled, "the run button waits for a dry-run estimate"
    app.button(key=state.CY_ESTIMATE_BTN).click().run()
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Pairs"] == "4" and metrics["To grade"] == "4"
    app.button(key=state.CY_RUN).click().run()
    assert not app.exception


@pytest.fixture
def graded(app: AppTest, seeded: Engine) -> AppTest:
    """The app after one offline cycle run from the Cycles page."""
    _run_cycle_in_the_app(app)
    return app


def test_run_a_cycle_and_see_the_queue_ranked(graded: AppTest, seeded: Engine) -> None:
    assert any("Cycle #1 completed: 4 pairs, 4 graded" in s.value for s in graded.success)
    assert graded.get("progress")[0].proto.value == 100
    history = graded.dataframe[0].value
    assert list(history["status"]) == ["completed"]

    open_page(graded, "queue")
    table = graded.dataframe[0].value
    assert list(table["company"]) == ["Acme Cloud", "Birch Analytics"]  # Salesforce earns Acme the nice-to-have
    assert list(table["rank"]) == [1, 2]
    assert list(table["score"]) == sorted(table["score"], reverse=True)
    assert list(table["segment"]) == [SEGMENT_NAME, SEGMENT_NAME]
    picker = graded.selectbox(key=state.Q_OPEN)
    assert picker.value is None and len(graded.dataframe) == 1  # no detail is built before a row is opened
    assert picker.options[:2] == [f"#1 Acme Cloud — {SEGMENT_NAME}", f"#2 Birch Analytics — {SEGMENT_NAME}"]


def test_open_an_account_shows_evidence_and_score_breakdown(graded: AppTest, seeded: Engine) -> None:
    with Session(seeded) as session:
        first = ranked_queue(session)[0]
    open_page(graded, "queue")
    open_account(graded, first.company_id, first.segment_id)
    account = graded
    criteria = account.dataframe[1].value
    assert list(criteria["id"]) == ["R1", "R2", "N1"]
    assert list(criteria["verdict"]) == ["✓ met", "✓ met", "✓ met"]
    assert all(evidence != "—" for evidence in criteria["evidence"])
    assert {m.label for m in account.metric} >= {"Requirements", "Nice to haves", "Signals", "Confidence"}
    contributions = account.dataframe[2].value
    assert list(contributions["from"]) == ["R1", "R2", "N1"]
    assert sum(contributions["points"]) == pytest.approx(100, abs=0.01)
    assert any("Graded by offline" in c.value for c in account.caption)


def test_filters_narrow_the_queue(graded: AppTest) -> None:
    open_page(graded, "queue")
    graded.selectbox(key=state.Q_TIER).set_value("disqualified").run()
    assert set(graded.dataframe[0].value["company"]) == {"Cobalt Retail", "Delta Works"}
    graded.selectbox(key=state.Q_TIER).set_value(None).run()
    graded.selectbox(key=state.Q_MOTION).set_value("Outbound").run()
    assert list(graded.dataframe[0].value["company"]) == ["Acme Cloud", "Birch Analytics"]


def test_feedback_is_stored(graded: AppTest, seeded: Engine) -> None:
    with Session(seeded) as session:
        first, second = ranked_queue(session)
    open_page(graded, "queue")
    graded.text_input(key=state.Q_AUTHOR).set_value("sam")
    open_account(graded, first.company_id, first.segment_id)
    graded.button(key=state.feedback_agree_key(first.grade_id)).click().run()
    assert any("agreement is stored" in s.value for s in graded.success)

    open_account(graded, second.company_id, second.segment_id)
    graded.button(key=state.feedback_down_key(second.grade_id, "R1")).click().run()  # one click: R1 is wrong
    graded.radio(key=state.feedback_fix_key(second.grade_id, "R1")).set_value("not_met")
    graded.text_input(key=state.feedback_note_key(second.grade_id)).set_value("They sell to consumers.")
    graded.button(key=state.feedback_wrong_key(second.grade_id)).click().run()
    assert not graded.exception
    assert any("Stored: R1 should be not_met with your note" in s.value for s in graded.success)
    graded.button(key=state.feedback_up_key(second.grade_id, "R2")).click().run()
    assert any("Stored: R2 is right." in s.value for s in graded.success)

    with Session(seeded) as session:
        agreed = list_feedback(session, grade_id=first.grade_id)
        wrong = list_feedback(session, grade_id=second.grade_id)
    assert [(f.kind, f.author) for f in agreed] == [("agree", "sam")]
    assert [(f.kind, f.criterion_id, f.correct_verdict, f.note) for f in wrong] == [
        ("agree", None, None, "R2 is right"),
        ("wrong", "R1", "not_met", "They sell to consumers."),
    ]


def test_a_thumb_down_opens_the_correction_form_for_that_verdict_only(graded: AppTest, seeded: Engine) -> None:
    with Session(seeded) as session:
        first = ranked_queue(session)[0]
    open_page(graded, "queue")
    open_account(graded, first.company_id, first.segment_id)
    assert not graded.get("radio"), "no correction form before a thumb-down"
    graded.button(key=state.feedback_down_key(first.grade_id, "R1")).click().run()
    assert graded.radio(key=state.feedback_fix_key(first.grade_id, "R1"))
    with Session(seeded) as session:
        assert list_feedback(session) == []


def test_export_the_current_view_as_csv(graded: AppTest, seeded: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from icp.cli import app as cli

    open_page(graded, "queue")
    graded.selectbox(key=state.Q_TIER).set_value("disqualified").run()
    [button] = graded.get("download_button")
    assert button.proto.label == "Export CSV"
    with Session(seeded) as session:
        view = ranked_queue(session, tier="disqualified", limit=None)
    exported = widgets.queue_csv(view)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["company_name"] for r in rows} == {"Cobalt Retail", "Delta Works"}
    assert [r["rank"] for r in rows] == ["1", "2"]
    assert list(rows[0])[:11] == [
        "rank", "tier", "status", "fit_score", "owner", "company_name", "domain", "segment", "segment_version",
        "summary", "needs_research",
    ]  # fmt: skip
    assert "R1 verdict" in rows[0] and "R1 evidence" in rows[0]
    # The app's export and the CLI's CSV are the same document.
    url = str(seeded.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(cli, ["--db", url.removeprefix("sqlite:///"), "queue", "--tier", "disqualified",
                                      "-n", "0", "-f", "csv"])  # fmt: skip
    assert result.exit_code == 0 and result.stdout == exported
    # With a search and an order, the export holds the view the table shows, as the CLI writes it.
    graded.text_input(key=state.Q_SEARCH).set_value("delta").run()
    assert list(graded.dataframe[0].value["company"]) == ["Delta Works"]
    with Session(seeded) as session:
        assert [e.company_name for e in membership_view(session, tier="disqualified", search="DELTA")] == [
            "Delta Works"
        ]
        by_name = membership_view(session, tier="disqualified", search="O", sort="company", descending=True)
    assert [e.company_name for e in by_name] == ["Delta Works", "Cobalt Retail"]
    argv = ["--db", url.removeprefix("sqlite:///"), "queue", "--tier", "disqualified", "--search", "O"]
    result = CliRunner().invoke(cli, [*argv, "--sort", "company", "--desc", "-n", "0", "-f", "csv"])
    assert result.exit_code == 0 and result.stdout == widgets.queue_csv(by_name)


def test_cycles_page_shows_members_over_time_and_tier_changes(graded: AppTest, seeded: Engine) -> None:
    with Session(seeded) as session:
        edit_segment(session, SEGMENT_NAME, nice_to_haves="- Uses HubSpot")
    run_cycle(seeded, OfflineEvaluator())
    open_page(graded, "cycles")
    assert graded.get("vega_lite_chart"), "members over time are charted"
    changes = next(df.value for df in graded.dataframe if "why" in df.value.columns)
    assert set(changes["company"]) == {"Acme Cloud", "Birch Analytics"}
    assert any("N1" in why for why in changes["why"])
    graded.selectbox(key=state.CY_CHART_SEGMENT).set_value(SEGMENT_NAME).run()
    assert not graded.exception
    assert "Tier and status changes since the previous cycle" in texts(graded)


def test_cycles_page_lists_llm_batches_and_the_pairs_waiting_for_them(graded: AppTest, seeded: Engine) -> None:
    from icp.store.tables import LLMBatch

    with Session(seeded) as session:
        session.add(
            LLMBatch.model_validate(
                {
                    "provider_batch_id": "batch_abc",
                    "status": "in_progress",
                    "evaluator": "llm",
                    "model": "gpt-4o-mini",
                    "input_file_id": "file-1",
                    "pairs": {"h1": [1, 1, "c"], "h2": [2, 1, "c"]},
                    "requests_total": 2,
                }
            )
        )
        session.commit()
    open_page(graded, "cycles")
    batches = next(df.value for df in graded.dataframe if "provider id" in df.value.columns)
    assert list(batches["provider id"]) == ["batch_abc"] and list(batches["pairs"]) == [2]
    assert any("2 pairs wait for an open batch" in i.value for i in graded.info)


def test_the_run_button_says_when_another_cycle_is_running(app: AppTest, seeded: Engine) -> None:
    from icp.lease import hold_lease
    from icp.store.tables import Cycle

    with hold_lease(seeded) as lease:
        lease.attach(77)
        open_page(app, "cycles")
        app.button(key=state.CY_ESTIMATE_BTN).click().run()
        app.button(key=state.CY_RUN).click().run()
        assert not app.exception
        (warning,) = [w.value for w in app.warning if "Another cycle is running" in w.value]
        assert "cycle 77" in warning and "pid" in warning and "Run it again once that cycle has finished" in warning
    with Session(seeded) as session:
        assert session.exec(select(Cycle)).first() is None  # it did not start
