"""The Evals page: stored runs, one run's metrics, and a comparison that highlights regressions."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from icp.domain import Tier, Verdict
from icp.evals import CaseResult, CriterionOutcome, RunManifest, RunRecord, compute_metrics
from icp.evals.store import list_runs, save_run
from tests.ui.conftest import open_page, texts
from ui import state


def _case(case_id: str, actual: Verdict, *, critical: bool = False) -> CaseResult:
    return CaseResult(
        case_id=case_id,
        critical=critical,
        tags=("critical",) if critical else (),
        criteria=(
            CriterionOutcome(id="R1", kind="requirement", text="B2B SaaS company", expected=Verdict.MET, actual=actual),
        ),
        expected_member=True,
        member=actual is Verdict.MET,
        expected_tiers=(Tier.T1,),
        tier=Tier.T1 if actual is Verdict.MET else Tier.DISQUALIFIED,
        score=100.0 if actual is Verdict.MET else 0.0,
    )


def _save(engine: Engine, results: tuple[CaseResult, ...], prompt: str) -> int:
    record = RunRecord(
        manifest=RunManifest(
            suite="golden",
            dataset_hash="b2:same",
            evaluator="llm",
            prompt_id=prompt,
            model="gpt-4o-mini",
            cases=len(results),
            started_at=datetime.now(UTC),
        ),
        results=results,
        metrics=compute_metrics(results),
    )
    with Session(engine) as session:
        return save_run(session, record)


def test_runs_metrics_and_a_comparison_with_the_regression_highlighted(app: AppTest, db: Engine) -> None:
    cases = [f"case-{i}" for i in range(6)]
    base = _save(db, tuple(_case(c, Verdict.MET, critical=c == "case-2") for c in cases), "grade_company@v1")
    unusable = CaseResult(
        case_id="case-5",
        status="model_failure",
        failure_reason="unusable_output",
        unanswered=1,
        error="The model's answer was unusable after 3 attempt(s): not JSON.",
        expected_member=True,
        expected_tiers=(Tier.T1,),
        tokens_in=900,
        tokens_out=300,
    )
    candidate = _save(
        db,
        tuple(
            unusable
            if c == "case-5"
            else _case(c, Verdict.NOT_MET if c == "case-2" else Verdict.MET, critical=c == "case-2")  # fmt: skip
            for c in cases
        ),
        "grade_company@v2",
    )

    open_page(app, "evals")
    runs = app.dataframe[0].value
    assert list(runs["run"]) == [candidate, base]
    assert list(runs["model failures"]) == [1, 0]
    assert list(runs["accuracy"]) == [80.0, 100.0]  # over the cases the model answered usably
    assert list(runs["end to end"]) == [66.7, 100.0]  # the model failure counted wrong
    metrics = dict(zip(app.dataframe[1].value["metric"], app.dataframe[1].value["value"], strict=True))
    assert metrics["verdict accuracy (measured cases)"].startswith("80.0%")  # the newest run is shown first
    assert metrics["end-to-end accuracy (model failures wrong)"].startswith("66.7% (4/6)")
    assert metrics["model failures"] == "1 (unusable output 1)"
    assert "Model failures (counted wrong end to end): case\\-5 \\(unusable output\\)" in texts(app)  # escaped

    assert app.selectbox(key=state.EV_RUN_A).value == base
    assert app.selectbox(key=state.EV_RUN_B).value == candidate
    assert any("Critical cases broken: case-2" in e.value for e in app.error)
    assert any(e.value.startswith("Gate (") and "): regression" in e.value for e in app.error)
    changed = app.dataframe[-1].value
    assert list(changed["case"]) == ["case-2", "case-5"]
    assert list(changed["change"]) == ["broken", "broken"]
    assert "R1 B2B SaaS company: met → not_met" in changed["verdicts"][0]
    assert "met → model failure (unusable_output)" in changed["verdicts"][1]

    app.button(key=state.EV_BLESS).click().run()
    assert not app.exception
    assert "now the baseline for golden" in texts(app)
    with Session(db) as session:
        assert [r.id for r in list_runs(session) if r.blessed] == [candidate]
