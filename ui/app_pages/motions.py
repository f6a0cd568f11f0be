"""Motions & tasks: motions with their segments and plays, open tasks with due dates, mark done, new motion."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from pydantic import ValidationError
from sqlmodel import Session

from icp.domain import Tier
from icp.errors import ICPError
from icp.segments import list_segments
from icp.tasks import (
    DEFAULT_PLAYS,
    MotionInfo,
    MotionSpec,
    Play,
    complete_task,
    create_motion,
    list_motions,
    list_tasks,
)
from ui import resources, state, widgets


def _motions(motions: list[MotionInfo]) -> None:
    st.subheader("Motions")
    if not motions:
        st.info("No motions yet. A motion turns the members of its segments into ranked tasks; create one below.")
        return
    for m in motions:
        status = "" if m.active else " (inactive)"
        with st.expander(f"{m.name}{status} · {m.open_tasks} open of {m.capacity} · {', '.join(m.segments) or '—'}"):
            if m.description:
                st.write(m.description)
            st.markdown("Segments: " + (", ".join(f"**{s}**" for s in m.segments) or "none"))
            st.dataframe(
                [
                    {"tier": tier, "channel": play.channel, "SLA (days)": play.sla_days, "play": play.play}
                    for tier, play in sorted(m.plays.items())
                ],
                hide_index=True,
                width="stretch",
            )


def _tasks(session: Session, motions: list[MotionInfo]) -> None:
    st.subheader("Open tasks")
    names = [m.name for m in motions]
    motion = st.selectbox("Motion", names, index=None, key=state.MO_FILTER, placeholder="All motions")
    tasks = list_tasks(session, motion=motion, status="open")
    if not tasks:
        st.info("No open tasks. Tasks are written by each cycle for the motions' best accounts.")
        return
    today = date.today()
    st.dataframe(
        [
            {
                "task": t.id,
                "motion": t.motion_name,
                "rank": t.rank,
                "company": t.company_name,
                "domain": t.company_domain,
                "segment": t.segment_name,
                "tier": t.tier,
                "status": t.fit_status,
                "kind": t.kind,
                "score": t.score,
                "play": t.play,
                "channel": t.channel,
                "due": t.due_date.isoformat() + (" (overdue)" if t.due_date < today else ""),
                "why": "; ".join(t.reasons),
            }
            for t in tasks
        ],
        hide_index=True,
        width="stretch",
    )
    labels = {t.id: f"#{t.id} {t.company_name} ({t.motion_name}, due {t.due_date.isoformat()})" for t in tasks}
    picked = st.multiselect(
        "Mark tasks done", list(labels), key=state.MO_DONE_PICK, format_func=lambda tid: labels.get(tid, f"#{tid}")
    )
    if st.button("Mark done", key=state.MO_DONE, disabled=not picked):
        try:
            for task_id in picked:
                complete_task(session, task_id)
        except ICPError as exc:
            st.error(str(exc))
            return
        state.flash("success", f"Marked {len(picked)} task{'s' if len(picked) != 1 else ''} done.")
        st.session_state.pop(state.MO_DONE_PICK, None)
        st.rerun()


def _new_motion(session: Session) -> None:
    segments = [s.name for s in list_segments(session)]
    with st.expander("New motion", expanded=False):
        if not segments:
            st.caption("Create a segment first: a motion targets one or more segments.")
            return
        with st.form("motion_form"):
            st.text_input("Name", key=state.MO_NAME, placeholder="Outbound – Mid-Market")
            st.text_area("Description", key=state.MO_DESCRIPTION, placeholder="Who works it and how")
            st.multiselect("Segments", segments, key=state.MO_SEGMENTS)
            st.number_input("Capacity (open tasks at once)", min_value=0, value=50, step=5, key=state.MO_CAPACITY)
            plays = st.data_editor(
                pd.DataFrame(
                    [{"tier": tier, **play.model_dump()} for tier, play in DEFAULT_PLAYS.items()],
                    columns=["tier", "channel", "sla_days", "play"],
                ),
                key=state.MO_PLAYS,
                disabled=["tier"],
                hide_index=True,
                width="stretch",
            )
            submitted = st.form_submit_button("Create motion", key=state.MO_CREATE, type="primary")
        if not submitted:
            return
        name = str(st.session_state.get(state.MO_NAME) or "").strip()
        chosen = list(st.session_state.get(state.MO_SEGMENTS) or [])
        if not name:
            st.error("Name is required.")
            return
        if not chosen:
            st.error("Pick at least one segment for the motion.")
            return
        try:
            spec = MotionSpec(
                name=name,
                description=str(st.session_state.get(state.MO_DESCRIPTION) or ""),
                segments=chosen,
                capacity=int(st.session_state.get(state.MO_CAPACITY) or 0),
                plays={
                    Tier(row["tier"]): Play(channel=row["channel"], sla_days=int(row["sla_days"]), play=row["play"])
                    for row in plays.to_dict("records")
                },
            )
            info = create_motion(session, spec)
        except ValidationError as exc:
            st.error("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
            return
        except ICPError as exc:
            st.error(str(exc))
            return
        state.flash("success", f"Created motion {info.name!r}; the next cycle writes its tasks.")
        st.rerun()


st.title("Motions & tasks")
st.caption("Motions turn segment members into ranked tasks: a play, a channel and a due date per tier.")
widgets.show_flashes()
try:
    with resources.session() as db:
        all_motions = list_motions(db)
        _motions(all_motions)
        _new_motion(db)
        st.divider()
        _tasks(db, all_motions)
except ICPError as exc:
    st.error(str(exc))
