"""Evals: golden-suite runs, their metrics, and a paired comparison of two runs with regressions highlighted."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from icp.errors import ICPError
from icp.evals import Comparison, GatePolicy, compare_runs, default_evals_root, evaluate_gate, load_policy
from icp.evals.report import comparison_markdown, confusion_markdown, metrics_rows
from icp.evals.store import RunSummary, bless_run, list_runs, load_run
from icp.team import Permission
from ui import access, resources, state, widgets

_CHANGE_COLOURS = {"broken": "background-color: #fdd", "fixed": "background-color: #dfd"}


def _label(run: RunSummary) -> str:
    parts = [f"#{run.id}", run.suite, run.evaluator, run.prompt_id or "", run.model or ""]
    accuracy = f"{run.accuracy:.1%}" if run.accuracy is not None else "—"
    end_to_end = f" (end to end {run.end_to_end_accuracy:.1%})" if run.end_to_end_accuracy is not None else ""
    return " ".join(p for p in parts if p) + f" · {accuracy}{end_to_end}" + (" · blessed" if run.blessed else "")


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _runs_table(runs: list[RunSummary]) -> None:
    st.dataframe(
        [
            {
                "run": r.id,
                "suite": r.suite,
                "evaluator": r.evaluator,
                "prompt": r.prompt_id or "",
                "model": r.model or "",
                "cases": r.cases,
                "repeat": r.repeat,
                "accuracy": _pct(r.accuracy),
                "end to end": _pct(r.end_to_end_accuracy),
                "model failures": r.model_failures,
                "unmeasured": r.unmeasured,
                "cost (USD)": round(r.cost_usd, 4),
                "blessed": r.blessed,
                "commit": (r.git_commit or "")[:10],
                "started": r.started_at.strftime("%Y-%m-%d %H:%M"),
            }
            for r in runs
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "accuracy": st.column_config.NumberColumn(
                "accuracy (%)", help="Correct verdicts over the cases the model answered usably."
            ),
            "end to end": st.column_config.NumberColumn(
                "end-to-end accuracy (%)", help="Model failures (unusable, refused, cut-off answers) counted wrong."
            ),
            "model failures": st.column_config.NumberColumn(
                help="Answers that were unusable, refused or cut off: the model's failure, counted wrong end to end."
            ),
            "unmeasured": st.column_config.NumberColumn(
                help="The endpoint failed (connection, timeout, HTTP error): not counted for or against the model."
            ),
        },
    )


def _run_detail(session: Session, runs: list[RunSummary]) -> None:
    st.subheader("Run metrics")
    labels = {r.id: _label(r) for r in runs}
    run_id = st.selectbox("Run", list(labels), key=state.EV_RUN, format_func=lambda rid: labels.get(rid, f"#{rid}"))
    if run_id is None:
        return
    record = load_run(session, run_id)
    left, right = st.columns([3, 2])
    left.dataframe(
        [{"metric": name, "value": value} for name, value in metrics_rows(record.metrics)],
        hide_index=True,
        width="stretch",
    )
    with right:
        st.caption("Confusion (rows: expected, columns: graded)")
        st.markdown(confusion_markdown(record.metrics))
        if record.metrics.wrong_cases:
            st.caption("Cases with a wrong verdict: " + widgets.plain(", ".join(record.metrics.wrong_cases)))
        failed = [r for r in record.results if r.model_failed]
        if failed:
            listed = ", ".join(f"{r.case_id} ({(r.failure_reason or '').replace('_', ' ')})" for r in failed)
            st.caption("Model failures (counted wrong end to end): " + widgets.plain(listed))
        if (
            not record.blessed
            and record.status == "completed"
            and access.actor().can(Permission.RUN_EVALS)
            and st.button("Bless as baseline", key=state.EV_BLESS)
        ):
            bless_run(session, run_id, actor=access.actor())
            state.flash("success", f"Run #{run_id} is now the baseline for {record.manifest.suite}.")
            st.rerun()


def _gate_policy() -> tuple[GatePolicy, str]:
    path = default_evals_root() / "gate.yaml"
    if path.is_file():
        return load_policy(path), str(path)
    return GatePolicy(), "the default policy"


def _comparison_cases(cmp: Comparison) -> None:
    rows = [
        {
            "case": c.case_id,
            "change": c.change,
            "critical": c.critical,
            "right (base → candidate)": f"{c.base_correct} → {c.candidate_correct} of {c.total}" if c.total else "",
            "tier (base → candidate)": f"{c.base_tier or '—'} → {c.candidate_tier or '—'}",
            "verdicts": "; ".join(
                f"{v.criterion_id} {v.text}: {v.base} → {v.candidate} (expected {v.expected})" for v in c.verdicts
            ),
            "note": c.note,
        }
        for c in cmp.cases
        if c.change != "unchanged"
    ]
    if not rows:
        st.caption("Every paired case graded the same in both runs.")
        return
    frame = pd.DataFrame(rows)
    order = {"broken": 0, "unmeasured": 1, "fixed": 2, "added": 3, "removed": 4}
    frame = frame.sort_values(by="change", key=lambda s: s.map(order)).reset_index(drop=True)
    styled = frame.style.apply(lambda row: [_CHANGE_COLOURS.get(row["change"], "")] * len(row), axis=1)
    st.dataframe(styled, hide_index=True, width="stretch")


def _compare(session: Session, runs: list[RunSummary]) -> None:
    st.subheader("Compare two runs")
    if len(runs) < 2:
        st.caption("Two runs are needed for a comparison.")
        return
    labels = {r.id: _label(r) for r in runs}
    ids = list(labels)
    blessed = next((r.id for r in runs if r.blessed), None)
    default_base = ids.index(blessed) if blessed is not None and blessed != ids[0] else 1
    left, right = st.columns(2)
    base_id = left.selectbox(
        "Base (baseline)", ids, index=default_base, key=state.EV_RUN_A, format_func=lambda rid: labels[rid]
    )
    candidate_id = right.selectbox("Candidate", ids, index=0, key=state.EV_RUN_B, format_func=lambda rid: labels[rid])
    if base_id is None or candidate_id is None:
        return
    if base_id == candidate_id:
        st.caption("Pick two different runs.")
        return
    cmp = compare_runs(load_run(session, base_id), load_run(session, candidate_id))
    if not cmp.same_dataset:
        st.warning("The runs used different datasets: only the cases they share are paired.")
    boot = cmp.bootstrap
    cols = st.columns(5)
    cols[0].metric(
        "Verdict accuracy (paired)",
        f"{cmp.candidate_accuracy:.1%}" if cmp.candidate_accuracy is not None else "—",
        delta=f"{boot.delta:+.1%}",
    )
    cols[1].metric("Verdicts broken", cmp.verdicts_broken, delta=-cmp.verdicts_broken or None)
    cols[2].metric("Verdicts fixed", cmp.verdicts_fixed, delta=cmp.verdicts_fixed or None)
    cols[3].metric("McNemar p", f"{cmp.mcnemar.p_value:.3g}")
    cols[4].metric("Cost per case Δ", f"${cmp.cost_per_case_delta_usd:+.6f}", delta_color="inverse")
    st.caption(
        f"{boot.confidence:.0%} interval of the accuracy change: {boot.low:+.1%} to {boot.high:+.1%} "
        f"({cmp.verdicts_paired} paired verdicts)."
    )
    policy, source = _gate_policy()
    gate = evaluate_gate(cmp, policy)
    if gate.passed:
        st.success(f"Gate ({source}): pass — no regressions.")
    else:
        st.error(
            f"Gate ({source}): {'regression' if gate.regressions else 'cannot judge'}.\n\n"
            + "\n".join(f"- {r}" for r in (*gate.regressions, *gate.infrastructure))
        )
    for note in gate.notes:
        st.caption(note)
    critical = cmp.critical_broken
    if critical:
        st.error("Critical cases broken: " + ", ".join(c.case_id for c in critical))
    _comparison_cases(cmp)
    with st.expander("Report (Markdown)"):
        report = comparison_markdown(cmp, gate)
        st.markdown(report)


access.require_page()
st.title("Evals")
st.caption("How well the evaluator agrees with labelled golden cases, run by run; the gate catches regressions.")
widgets.show_flashes()
try:
    with resources.session() as db:
        all_runs = list_runs(db, limit=100)
        if not all_runs:
            st.info("No eval runs yet — run `icp evals run --suite golden`.")
        else:
            _runs_table(all_runs)
            _run_detail(db, all_runs)
            st.divider()
            _compare(db, all_runs)
except ICPError as exc:
    st.error(str(exc))
