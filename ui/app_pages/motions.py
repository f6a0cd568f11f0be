"""Motions & tasks: motions with their segments and plays, open tasks with due dates, mark done, new motion."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from pydantic import ValidationError
from sqlmodel import Session

from icp.domain import Tier
from icp.errors import ICPError
from icp.owners import known_owners, reassign_task
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
    snooze_task,
)
from icp.team import Permission
from ui import access, resources, state, widgets


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
    cols = st.columns([2, 2, 1])
    motion = cols[0].selectbox("Motion", names, index=None, key=state.MO_FILTER, placeholder="All motions")
    owner = cols[1].selectbox("Owner", known_owners(session), index=None, key=state.MO_OWNER, placeholder="Everyone")
    overdue = cols[2].toggle("Overdue only", key=state.MO_OVERDUE)
    tasks = list_tasks(session, motion=motion, owner=owner, status="open", overdue=overdue, by_due_date=True)
    if not tasks:
        st.info(
            "No open tasks match." if (motion or owner or overdue) else
            "No open tasks. Tasks are written by each cycle for the motions' best accounts."
        )  # fmt: skip
        return
    today = date.today()
    late = sum(t.due_date < today for t in tasks)
    st.caption(
        f"{widgets.plural(len(tasks), 'open task')}, most urgent first"
        + (f"; {widgets.plural(late, 'task')} overdue" if late else "")
        + "."
    )
    frame = pd.DataFrame(
        [
            {
                "task": t.id,
                "due": widgets.due_label(t.due_date, today),
                "company": t.company_name,
                "owner": t.owner or "",
                "motion": t.motion_name,
                "tier": t.tier,
                "status": t.fit_status,
                "kind": t.kind,
                "score": round(t.score, 1),
                "channel": t.channel,
                "play": t.play,
                "why": "; ".join(t.reasons),
            }
            for t in tasks
        ]
    )
    st.dataframe(
        frame.style.apply(
            lambda row: ["color: #b42318; font-weight: 600" if "overdue" in str(row["due"]) else "" for _ in row],
            axis=1,
        ),
        hide_index=True,
        width="stretch",
    )
    if not access.actor().can(Permission.WORK_OWN_TASKS):
        st.caption("Working on tasks takes the sdr or leader role.")
        return
    labels = {t.id: f"#{t.id} {t.company_name} ({t.motion_name}, due {t.due_date.isoformat()})" for t in tasks}
    picked = st.multiselect(
        "Tasks", list(labels), key=state.MO_DONE_PICK, format_func=lambda tid: labels.get(tid, f"#{tid}")
    )
    done, snooze, days, reassign, who = st.columns([1, 1, 1, 1, 2], vertical_alignment="bottom")
    snooze_days = days.number_input("Days", min_value=1, max_value=365, value=3, key=state.MO_SNOOZE_DAYS)
    new_owner = who.text_input("New owner", key=state.MO_NEW_OWNER, placeholder="Name or e-mail")
    actions = {
        "done": done.button("Mark done", key=state.MO_DONE, disabled=not picked),
        "snooze": snooze.button("Snooze", key=state.MO_SNOOZE, disabled=not picked),
        "assign": reassign.button(
            "Reassign",
            key=state.MO_REASSIGN,
            disabled=not (picked and new_owner.strip() and access.actor().can(Permission.WORK_ALL_TASKS)),
            help="Leaders give tasks to another rep.",
        ),
    }
    action = next((name for name, clicked in actions.items() if clicked), None)
    if action is None:
        return
    who = access.actor()
    changed = 0
    for task_id in picked:
        try:
            if action == "done":
                complete_task(session, task_id, actor=who)
            elif action == "snooze":
                snooze_task(session, task_id, int(snooze_days), actor=who)
            else:
                reassign_task(session, task_id, new_owner, actor=who)
        except ICPError as exc:
            state.flash("error", str(exc))
            continue
        changed += 1
    what = {"done": "marked done", "snooze": f"snoozed {int(snooze_days)} days", "assign": f"given to {new_owner}"}
    if changed:
        state.flash("success", f"{widgets.plural(changed, 'task')} {what[action]}.")
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
            info = create_motion(session, spec, actor=access.actor())
        except ValidationError as exc:
            st.error("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
            return
        except ICPError as exc:
            st.error(str(exc))
            return
        state.flash("success", f"Created motion {info.name!r}; the next cycle writes its tasks.")
        st.rerun()


who = access.require_page()
st.title("Motions & tasks")
st.caption("Motions turn segment members into ranked tasks: a play, a channel and a due date per tier.")
widgets.show_flashes()
try:
    with resources.session() as db:
        all_motions = list_motions(db)
        _motions(all_motions)
        if who.can(Permission.EDIT_MOTIONS):
            _new_motion(db)
        st.divider()
        _tasks(db, all_motions)
except ICPError as exc:
    st.error(str(exc))
