"""Cycles: the schedule and its runs; estimate, then run a cycle with live progress; history, members, tier changes."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pandas as pd
import streamlit as st
from sqlmodel import Session

from icp.batch import list_batches
from icp.cycle import CycleProgress, CycleReport, estimate_cycle, run_cycle
from icp.errors import ICPError, LeaseHeldError
from icp.evaluators.factory import EVALUATOR_NAMES
from icp.schedule import START_HINT, schedule_status
from icp.team import Permission
from icp.trends import cycle_history, membership_over_time, tier_changes
from ui import access, resources, state, widgets

_PROGRESS_EVERY_S = 0.25


def _controls() -> tuple[str, float | None, int]:
    settings = state.settings()
    default = settings.resolved_evaluator()
    cols = st.columns(3)
    evaluator = cols[0].selectbox(
        "Evaluator",
        EVALUATOR_NAMES,
        index=EVALUATOR_NAMES.index(default),
        key=state.CY_EVALUATOR,
        help="offline: deterministic rules, free. llm: every criterion by the model. hybrid: rules first, "
        "the model only for what rules cannot decide. llm and hybrid need ICP_OPENAI_API_KEY.",
    )
    budget = cols[1].number_input(
        "Budget (USD, 0 = no limit)",
        min_value=0.0,
        value=0.0,
        step=1.0,
        key=state.CY_BUDGET,
        help="Grading stops cleanly before the next pair would exceed it; the rest waits for the next cycle.",
    )
    concurrency = cols[2].number_input(
        "Concurrency", min_value=1, max_value=64, value=settings.concurrency, step=1, key=state.CY_CONCURRENCY
    )
    return str(evaluator), (float(budget) or None), int(concurrency)


def _estimate(evaluator_name: str) -> None:
    estimate = state.cycle_estimate()
    if st.button("Estimate (dry run)", key=state.CY_ESTIMATE_BTN):
        try:
            estimate = estimate_cycle(resources.engine(), resources.evaluator(evaluator_name))
        except ICPError as exc:
            st.error(str(exc))
            return
        state.set_cycle_estimate(estimate)
    if estimate is None:
        st.caption("Estimate first: it counts the pairs to grade and what they would cost, and writes nothing.")
        return
    if estimate.evaluator != evaluator_name:
        st.caption(
            f"The estimate below is for the {estimate.evaluator} evaluator; estimate again for {evaluator_name}."
        )
    cols = st.columns(5)
    cols[0].metric("Segments", len(estimate.pinned))
    cols[1].metric("Pairs", estimate.pairs_total)
    cols[2].metric("To grade", estimate.pairs_to_grade)
    cols[3].metric("Reused", estimate.pairs_reused)
    cols[4].metric("Estimated cost", f"${estimate.estimated_cost_usd:.4f}")
    st.caption(f"Basis: {estimate.basis}.")
    if estimate.pairs_total == 0:
        st.warning("Nothing to grade: add companies and at least one active segment first.")


def _progress_text(p: CycleProgress) -> str:
    return (
        f"{p.done} of {p.total} pairs · {p.graded} graded · {p.reused} reused · {p.failed} failed · ${p.cost_usd:.4f}"
    )


def _run(evaluator_name: str, budget: float | None, concurrency: int) -> None:
    estimate = state.cycle_estimate()
    ready = estimate is not None and estimate.evaluator == evaluator_name
    allowed = access.actor().can(Permission.RUN_CYCLES)
    if not allowed:
        st.caption("Running cycles takes the leader role; you can estimate what the next one would grade.")
    if not st.button(
        "Run cycle",
        key=state.CY_RUN,
        type="primary",
        disabled=not (ready and allowed),
        help=None if ready else "Estimate first (dry run) with this evaluator.",
    ):
        return
    bar = st.progress(0.0, text="Pinning segment versions…")
    last = 0.0

    def on_progress(p: CycleProgress) -> None:
        nonlocal last
        now = time.monotonic()
        if p.done < p.total and now - last < _PROGRESS_EVERY_S:
            return
        last = now
        bar.progress(p.done / p.total if p.total else 1.0, text=_progress_text(p))

    try:
        report = run_cycle(
            resources.engine(),
            resources.evaluator(evaluator_name),
            concurrency=concurrency,
            budget_usd=budget,
            on_progress=on_progress,
            policy=state.settings().scoring_policy(),
            actor=access.actor(),
        )
    except LeaseHeldError as exc:
        bar.empty()
        st.warning(
            f"Another cycle is running on this database: {exc.running}. One cycle runs at a time, so this one did "
            "not start and nothing was graded or paid. Run it again once that cycle has finished (it shows in the "
            "history below)."
        )
        return
    except ICPError as exc:
        bar.empty()
        st.error(str(exc))
        return
    bar.progress(1.0, text=f"Cycle #{report.cycle_id} {report.status}")
    state.set_last_cycle_report(report)
    state.set_cycle_estimate(None)  # what was to grade is graded now


def _report(report: CycleReport) -> None:
    message = (
        f"Cycle #{report.cycle_id} {report.status}: {report.pairs_total} pairs, {report.pairs_graded} graded, "
        f"{report.pairs_reused} reused, {report.pairs_failed} failed, {report.pairs_deferred} deferred; "
        f"${report.cost_usd:.4f}; {report.tasks_created} tasks created. The Queue page shows the ranking."
    )
    (st.success if report.status == "completed" and not report.pairs_failed else st.warning)(message)
    if report.failures:
        with st.expander(f"{len(report.failures)} failed pairs (retried by the next cycle)"):
            st.text("\n".join(f"- {f}" for f in report.failures))


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""


def _schedule() -> None:
    """The schedule in words, the next run and what the workers did (`icp worker status` shows the same)."""
    st.subheader("Schedule")
    try:
        found = schedule_status(resources.engine(), state.settings(), datetime.now(UTC), limit=10)
    except ICPError as exc:  # an invalid ICP_CYCLE_SCHEDULE: say so here, the rest of the page still works
        st.error(widgets.plain(str(exc)))
        return
    if found.expression is None:
        st.info(
            "Cycles run only when someone starts one (below, or `icp cycle run`). To run them on a schedule: "
            + START_HINT
        )
    else:
        later = ", ".join(_utc(n) for n in found.next_runs[1:])
        st.markdown(
            f"**{widgets.plain(found.description)}** — next run **{_utc(found.next_runs[0])}**"
            + (f" (then {later})" if later else "")
            + f". After each: {widgets.plain(', '.join(found.follow_ups) or 'no follow-ups')}."
        )
    if found.running:
        st.caption(f"Running now: {widgets.plain(found.running)}.")
    if not found.runs:
        if found.expression is not None:
            st.info(
                "No scheduled run yet. Runs appear here once a worker is up: start one with `icp worker` "
                "(README: Running as services), or run the due one now with `icp worker --once`."
            )
        return
    st.dataframe(
        [
            {
                "scheduled for": _utc(r.slot),
                "status": r.status,
                "cycle": r.cycle_id,
                "graded": r.pairs_graded,
                "reused": r.pairs_reused,
                "failed": r.pairs_failed,
                "tasks": r.tasks_created,
                "cost (USD)": round(r.cost_usd, 4),
                "worker": r.worker + (f" (attempt {r.attempts})" if r.attempts > 1 else ""),
                "follow-ups": ", ".join(f"{f.get('name')}: {f.get('status')}" for f in r.follow_ups),
                "finished": _utc(r.finished_at),
                "error": r.error,
            }
            for r in found.runs
        ],
        hide_index=True,
        width="stretch",
    )


def _history(session: Session) -> None:
    st.subheader("History")
    cycles = cycle_history(session, limit=50)
    if not cycles:
        st.info("No cycles yet. Estimate and run the first one above.")
        return
    st.dataframe(
        [
            {
                "cycle": c.id,
                "status": c.status,
                "started": c.started_at.strftime("%Y-%m-%d %H:%M"),
                "evaluator": c.evaluator + (f"/{c.model}" if c.model else ""),
                "segments": c.segments,
                "pairs": c.pairs_total,
                "graded": c.pairs_graded,
                "reused": c.pairs_reused,
                "failed": c.pairs_failed,
                "deferred": c.pairs_deferred,
                "cost (USD)": round(c.cost_usd, 4),
                "tasks": c.tasks_created,
                "note": c.note,
            }
            for c in cycles
        ],
        hide_index=True,
        width="stretch",
    )


def _members_chart(session: Session) -> None:
    st.subheader("Members over time")
    points = membership_over_time(session)
    if not points:
        st.caption("The chart appears after the first cycle.")
        return
    frame = pd.DataFrame([p.model_dump() for p in points]).rename(columns={"cycle_id": "cycle"})
    segments = sorted(frame["segment"].unique())
    chosen = st.selectbox(
        "Segment", segments, index=None, key=state.CY_CHART_SEGMENT, placeholder="All segments (total members)"
    )
    if chosen is None:
        totals = frame.groupby(["cycle", "segment"], as_index=False)["count"].sum()
        st.line_chart(totals, x="cycle", y="count", color="segment", x_label="cycle", y_label="members")
    else:
        by_tier = frame[frame["segment"] == chosen]
        st.bar_chart(by_tier, x="cycle", y="count", color="tier", x_label="cycle", y_label="members")


def _tier_changes(session: Session) -> None:
    st.subheader("Tier and status changes since the previous cycle")
    changes = tier_changes(session)
    if not changes:
        st.caption("No tier changes (they need two finished cycles).")
        return
    st.dataframe(
        [
            {
                "segment": c.segment,
                "company": c.company_name,
                "domain": c.domain,
                "from": c.from_tier if c.from_status in ("qualified", "—") else f"{c.from_tier} ({c.from_status})",
                "to": c.to_tier if c.to_status in ("qualified", "—") else f"{c.to_tier} ({c.to_status})",
                "score": f"{c.from_score if c.from_score is not None else '—'} → "
                f"{c.to_score if c.to_score is not None else '—'}",
                "why": "; ".join(c.reasons),
            }
            for c in changes
        ],
        hide_index=True,
        width="stretch",
    )


def _batches(session: Session) -> None:
    """LLM batches sent through the provider's Batch API, when there are any (sent and collected from the CLI)."""
    batches = list_batches(session)
    if not batches:
        return
    st.subheader("LLM batches")
    waiting = sum(b.pairs for b in batches if not b.collected)
    if waiting:
        st.info(
            f"{waiting} pairs wait for an open batch; cycles leave them to it. "
            "Run `icp batch collect` once it has finished, then the next cycle reuses its grades."
        )
    st.dataframe(
        [
            {
                "batch": b.id,
                "provider id": b.provider_batch_id,
                "status": b.status,
                "collected": b.collected,
                "pairs": b.pairs,
                "graded": b.grades_ok,
                "failed": b.grades_failed,
                "unanswered": b.unanswered,
                "cost (USD)": round(b.cost_usd, 4),
                "sent": b.created_at.strftime("%Y-%m-%d %H:%M"),
            }
            for b in batches
        ],
        hide_index=True,
        width="stretch",
    )


access.require_page()
st.title("Cycles")
st.caption(
    "A cycle grades every company against every active segment (reusing grades whose inputs did not change), "
    "snapshots memberships and writes ranked tasks."
)
widgets.show_flashes()
_schedule()
try:
    evaluator_choice, budget_usd, workers = _controls()
    _estimate(evaluator_choice)
    _run(evaluator_choice, budget_usd, workers)
    last_report = state.last_cycle_report()
    if last_report is not None:
        _report(last_report)
    with resources.session() as db:
        _history(db)
        _batches(db)
        _members_chart(db)
        _tier_changes(db)
except ICPError as exc:
    st.error(str(exc))
