"""Audit: who did what and when, filtered by person, object and time. Admins and leaders only."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from icp.errors import ICPError
from icp.spreadsheet import csv_text
from icp.team import Permission, known_actors, list_events
from ui import access, resources, state, widgets

_OBJECTS = [
    "segment",
    "motion",
    "task",
    "cycle",
    "company",
    "grade",
    "signal",
    "outcome",
    "member",
    "eval_run",
    "settings",
]
_PERIODS = {"Last 24 hours": timedelta(days=1), "Last 7 days": timedelta(days=7), "Last 30 days": timedelta(days=30)}
_ANY = "Everyone"
_SHOWN = 100

access.require_page(Permission.VIEW_AUDIT)
st.title("Audit")
st.caption(
    "Every change to segments, motions, tasks, verdicts, imports, members and settings, and every cycle, with who "
    "made it. The trail is append-only; `icp audit` shows the same from the command line."
)
widgets.show_flashes()
try:
    with resources.session() as db:
        actors = known_actors(db)
        top = st.columns([2, 2, 1, 2])
        who = top[0].selectbox("Who", [_ANY, *actors], key=state.AU_ACTOR)
        obj = top[1].selectbox("Object", ["Any", *_OBJECTS], key=state.AU_OBJECT)
        obj_id = top[2].text_input("Id", key=state.AU_OBJECT_ID, placeholder="e.g. 3")
        period = top[3].selectbox("When", [*_PERIODS, "Any time"], key=state.AU_SINCE)
        since = datetime.now(UTC) - _PERIODS[period] if period in _PERIODS else None
        events = list_events(
            db,
            actor=None if who == _ANY else who,
            object_type=None if obj == "Any" else obj,
            object_id=obj_id.strip() or None,
            since=since,
            limit=1000,
        )
    if not events:
        st.info("No events match these filters. Changes made in the app or with `icp` appear here as they happen.")
    else:
        rows = [
            {
                "when (UTC)": e.at.strftime("%Y-%m-%d %H:%M:%S"),
                "who": e.actor,
                "role": e.actor_role,
                "action": e.action,
                "object": f"{e.object_type} {e.object_id}" if e.object_id else e.object_type,
                "what": e.summary,
            }
            for e in events
        ]
        people = Counter(e.actor for e in events)
        st.caption(
            f"{widgets.plural(len(events), 'event')} by {len(people)} {'person' if len(people) == 1 else 'people'}, "
            "newest first"
            + (f"; the newest {_SHOWN} are listed, the export holds all of them" if len(events) > _SHOWN else "")
            + ": "
            + ", ".join(f"{widgets.plain(actor)} ({count})" for actor, count in people.most_common())
        )
        # A static table (names and summaries are shown as typed, never as Markdown), newest first.
        st.table(
            pd.DataFrame([{key: widgets.plain(str(value)) for key, value in row.items()} for row in rows[:_SHOWN]])
        )
        st.download_button(
            "Export CSV",
            data=csv_text(list(rows[0]), [list(r.values()) for r in rows]),
            file_name="icp-audit.csv",
            mime="text/csv",
            key=state.AU_EXPORT,
            on_click="ignore",
        )
except ICPError as exc:
    st.error(str(exc))
