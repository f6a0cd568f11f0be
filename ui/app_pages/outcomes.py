"""Outcomes: import won and lost deals, and see whether each segment's tiers pick the accounts that win."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from icp.errors import ICPError
from icp.outcomes import MIN_CLOSED_DEALS, OutcomeImportReport, SegmentOutcomes, outcome_report, read_deals, store_deals
from icp.segments import list_segments
from icp.team import Permission
from ui import access, resources, state, widgets


def _import() -> None:
    upload = st.file_uploader(
        "Deal export (HubSpot deals, Salesforce opportunities; CSV, JSON or JSONL; "
        f"up to {int(st.get_option('server.maxUploadSize'))} MB)",
        type=["csv", "tsv", "txt", "json", "jsonl", "ndjson"],
        key=state.OU_UPLOAD,
    )
    if upload is None:
        st.caption(
            "Deals are matched to companies by domain, then by name; re-importing a file updates deals by id. "
            "Stages 'Closed Won' and 'Closed Lost' (or Won/Closed flags) decide the result."
        )
        return
    try:
        parsed = read_deals(upload.getvalue(), upload.name)
    except ICPError as exc:
        st.error(str(exc))
        return
    st.markdown(f"**{len(parsed.deals)} deals** read from {widgets.plain(upload.name)}.")
    for warning in parsed.warnings:
        st.warning(widgets.plain(warning.message))
    if not st.button("Import deals", key=state.OU_IMPORT, type="primary"):
        return
    with resources.session() as session:
        report = OutcomeImportReport(errors=list(parsed.errors), rejected=len(parsed.errors), mapping=parsed.mapping)
        report = store_deals(session, parsed.deals, source=upload.name, report=report, actor=access.actor())
    st.success(
        f"{report.created} new, {report.updated} updated, {report.unchanged} unchanged, {report.rejected} rejected · "
        f"{report.won} won, {report.lost} lost, {report.open} open."
    )
    if report.unknown_stages:
        st.info(
            "Counted as open (not a closed stage we know): "
            + ", ".join(f"{widgets.plain(stage)} ({n})" for stage, n in sorted(report.unknown_stages.items()))
            + ". Map custom stages with `icp outcomes import FILE --stage 'Signed=won'`."
        )
    if report.errors:
        st.dataframe(
            [{"row": e.row, "reason": e.reason, "name": e.name or "", "domain": e.domain or ""} for e in report.errors],
            hide_index=True,
            width="stretch",
        )


def _chart(segment: SegmentOutcomes) -> None:
    tiers = [g for g in segment.groups if g.group in ("T1", "T2", "T3", "not a member") and g.win_rate is not None]
    if not tiers:
        return
    frame = pd.DataFrame(
        [
            {
                "group": g.group,
                "win rate": g.win_rate,
                "low": g.win_rate_low,
                "high": g.win_rate_high,
                "closed deals": g.closed,
            }
            for g in tiers
        ]
    )
    order = [g.group for g in tiers]
    base = alt.Chart(frame).encode(x=alt.X("group:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(opacity=0.75).encode(
        y=alt.Y("win rate:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=["group", alt.Tooltip("win rate:Q", format=".0%"), "closed deals"],
    )
    whiskers = base.mark_errorbar(ticks=alt.MarkConfig(size=14), color="#333").encode(
        y=alt.Y("low:Q", title="win rate (95% interval)"), y2="high:Q"
    )
    overall = (
        alt.Chart(pd.DataFrame({"overall": [segment.win_rate]})).mark_rule(strokeDash=[4, 4]).encode(y="overall:Q")
    )
    st.altair_chart((bars + whiskers + overall).properties(height=260), width="stretch")
    st.caption("Bars: win rate per tier; whiskers: its 95% interval; dashed line: the segment's overall win rate.")


def _report() -> None:
    with resources.session() as session:
        names = [s.name for s in list_segments(session)]
    cols = st.columns([3, 2])
    chosen = cols[0].selectbox("Segment", names, index=None, key=state.OU_SEGMENT, placeholder="All segments")
    regrade = cols[1].toggle(
        "Re-grade deals with no earlier grade",
        key=state.OU_REGRADE,
        help="Deals created before any cycle graded their account are left out (an outcome must never grade "
        "itself). Switch this on to grade today's data against the segment version in force at the time, "
        "offline, and label the result as such.",
    )
    with resources.session() as session:
        found = outcome_report(session, segment=chosen, regrade=regrade, policy=state.settings().scoring_policy())
    if not found:
        st.info("No segments yet. Write one on the Segments page.")
        return
    for segment in found:
        st.subheader(segment.segment)
        if not segment.closed:
            st.info(
                "No closed deal could be judged for this segment yet. Import won and lost deals above"
                + (
                    f"; {segment.left_out} deals had no grade from before they were created (try re-grading)."
                    if segment.left_out
                    else "."
                )
            )
            continue
        st.markdown(widgets.plain(segment.reading))
        notes = []
        if segment.left_out:
            notes.append(f"{segment.left_out} closed deals left out: no grade from before they were created")
        if segment.regraded:
            notes.append(f"{segment.regraded} deals judged by re-grading today's data")
        if notes:
            st.caption("; ".join(notes) + ".")
        _chart(segment)
        st.dataframe(
            [
                {
                    "group": g.group,
                    "accounts": g.accounts,
                    "closed deals": g.closed,
                    "won": g.won,
                    "win rate": None if g.win_rate is None else f"{g.win_rate:.0%}",
                    "95% interval": "" if g.win_rate_low is None else f"{g.win_rate_low:.0%}–{g.win_rate_high:.0%}",
                    "lift": None if g.lift is None else f"{g.lift:.2f}×",
                    "won revenue": widgets.money(g.won_revenue),
                    "share": None if g.revenue_share is None else f"{g.revenue_share:.0%}",
                    "median days to close": g.median_days_to_close,
                    "enough to say": "yes" if g.enough else f"no (< {MIN_CLOSED_DEALS})",
                }
                for g in segment.groups
            ],
            hide_index=True,
            width="stretch",
        )


who = access.require_page()
st.title("Outcomes")
st.caption(
    "Would the segments have picked the accounts you won? Each deal is judged against the grade its account "
    "had before the deal was created."
)
widgets.show_flashes()
try:
    if who.can(Permission.IMPORT_OUTCOMES):
        with st.expander("Import deals", expanded=False):
            _import()
    _report()
except ICPError as exc:
    st.error(str(exc))
