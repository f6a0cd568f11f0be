"""Queue: ranked accounts for SDRs, evidence per criterion, score breakdown, feedback, CSV export."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from icp.confirmations import confirm_verdict
from icp.domain import Verdict
from icp.errors import ICPError
from icp.explain import grade_audit, score_breakdown
from icp.feedback import CriterionCorrection, list_feedback, record_feedback
from icp.owners import known_owners
from icp.queue import QueueEntry, latest_cycle_id, queue_entry
from icp.segments import list_segments
from icp.store.tables import utcnow
from icp.tasks import list_motions
from icp.team import Permission
from icp.worklist import QUEUE_SORTS, account_queue, membership_view
from ui import access, resources, state, widgets

_TIERS = ("T1", "T2", "T3", "disqualified")
_STATUSES = ("qualified", "unverified")
_SORT_LABELS = {
    "rank": "Rank (best first)",
    "score": "Fit score",
    "tier": "Tier",
    "status": "Status",
    "company": "Company",
    "segment": "Segment",
    "owner": "Owner",
    "due": "Task due",
}
_ORDERS = {"ascending": "Ascending (A→Z, low→high, soonest)", "descending": "Descending (Z→A, high→low, latest)"}
# Chips for tier and status: the cell holds the plain label; the column only colours it.
_TIER_CHIP = st.column_config.MultiselectColumn(
    "tier",
    options=list(_TIERS),
    color=["green", "blue", "orange", "red"],
    help="T1 best; 'disqualified' only when you filter for non-members.",
    width="small",
)
_STATUS_CHIP = st.column_config.MultiselectColumn(
    "status",
    options=list(_STATUSES),
    color=["green", "orange"],
    help="qualified: every requirement met; unverified: none failed, some still unknown.",
    width="small",
)


def _criteria(entry: QueueEntry) -> None:
    st.dataframe(
        [
            {
                "id": c.id,
                "criterion": c.text,
                "verdict": widgets.verdict_label(c.verdict),
                "evidence": c.evidence or "—",
                "confidence": round(c.confidence, 2),
                "decided by": c.source,
                "note": c.note,
            }
            for c in entry.criteria
        ],
        hide_index=True,
        width="stretch",
    )


def _breakdown(session: Session, entry: QueueEntry) -> None:
    breakdown = score_breakdown(session, entry.grade_id)
    cols = st.columns(5)
    cols[0].metric("Requirements", f"{breakdown.requirement_points:.1f}")
    cols[1].metric("Nice to haves", f"{breakdown.nice_to_have_points:.1f}")
    cols[2].metric("Signals", f"{breakdown.signal_points:.1f}")
    cols[3].metric("Lost to unknowns", f"{breakdown.unknown_penalty:.1f}")
    cols[4].metric("Confidence", f"{breakdown.confidence:.0%}")
    if breakdown.disqualified_by:
        st.error("Disqualified by " + ", ".join(breakdown.disqualified_by))
    earned = breakdown.requirement_points + breakdown.nice_to_have_points + breakdown.signal_points
    if not breakdown.disqualified_by and earned > breakdown.score + 0.05:
        st.caption(f"The points add up to {earned:.1f}; a fit score is capped at 100.")
    if breakdown.tier_capped_from is not None:
        st.caption(
            f"The score alone would earn {breakdown.tier_capped_from.value}; the account stays at "
            f"{breakdown.tier.value} until {', '.join(breakdown.unverified)} is confirmed."
        )
    if abs(breakdown.score - entry.fit_score) >= 0.05:
        st.caption(
            f"Recomputed now: {breakdown.score:g} (signals have aged since the cycle scored {entry.fit_score:g})."
        )
    st.dataframe(
        [
            {
                "from": c.id,
                "kind": c.kind.replace("_", " "),
                "verdict": widgets.verdict_label(c.verdict.value) if c.verdict else "",
                "points": round(c.points, 2),
                "of": round(c.max_points, 2),
                "note": c.note,
            }
            for c in breakdown.contributions
        ],
        hide_index=True,
        width="stretch",
    )
    audit = grade_audit(session, entry.grade_id)
    st.caption(
        f"Graded by {audit.evaluator}"
        + (f" / {audit.model}" if audit.model else "")
        + (f" with {audit.prompt_id}" if audit.prompt_id else "")
        + f" against version {audit.segment_version} · {audit.tokens_in} tokens in, {audit.tokens_out} out · "
        f"${audit.cost_usd:.4f} · grade #{audit.grade_id}"
    )
    if audit.note:
        st.caption(widgets.plain(audit.note))


def _store_feedback(session: Session, gid: int, kind: str, **kwargs: object) -> bool:
    author = str(st.session_state.get(state.Q_AUTHOR) or "")
    try:
        record_feedback(session, gid, kind, author=author, actor=access.actor(), **kwargs)  # type: ignore[arg-type]
    except ICPError as exc:
        st.error(str(exc))
        return False
    return True


def _feedback(session: Session, entry: QueueEntry) -> None:
    """One click per verdict: a thumb up agrees; a thumb down asks only for the right verdict and a note."""
    gid = entry.grade_id
    existing = list_feedback(session, grade_id=gid)
    if existing:
        st.caption(
            f"{widgets.plural(len(existing), 'feedback row')} so far: "
            + "; ".join(
                f"{f.kind}" + (f" {f.criterion_id}→{f.correct_verdict}" if f.criterion_id else "") for f in existing
            )
        )
    agreed = st.button("Agree with this grade", icon=":material/thumb_up:", key=state.feedback_agree_key(gid))
    if agreed and _store_feedback(session, gid, "agree"):
        st.success("Thanks: your agreement is stored with this grade.")
    for c in entry.criteria:
        text, verdict, up, down = st.columns([6, 2, 1, 1], vertical_alignment="center")
        text.markdown(f"**{c.id}** {widgets.plain(c.text)}")
        verdict.write(widgets.verdict_label(c.verdict))
        if up.button(
            "", icon=":material/thumb_up:", key=state.feedback_up_key(gid, c.id), help="This verdict is right"
        ) and _store_feedback(session, gid, "agree", note=f"{c.id} is right"):
            st.success(f"Stored: {c.id} is right.")
        if down.button(
            "", icon=":material/thumb_down:", key=state.feedback_down_key(gid, c.id), help="This verdict is wrong"
        ):
            st.session_state[state.FB_OPEN] = (gid, c.id)
    open_for = st.session_state.get(state.FB_OPEN)
    if not open_for or open_for[0] != gid:
        return
    criterion = next((c for c in entry.criteria if c.id == open_for[1]), None)
    if criterion is None:
        return
    with st.form(key=f"fb_form_{gid}", border=True):
        st.markdown(f"**{criterion.id} is wrong** — it says *{criterion.verdict}*. What should it be?")
        st.radio(
            "Correct verdict",
            [v.value for v in Verdict if v.value != criterion.verdict],
            key=state.feedback_fix_key(gid, criterion.id),
            horizontal=True,
        )
        st.text_input("Note (optional)", key=state.feedback_note_key(gid), placeholder="What the data really says")
        submitted = st.form_submit_button("Report", icon=":material/thumb_down:", key=state.feedback_wrong_key(gid))
    if submitted:
        value = st.session_state.get(state.feedback_fix_key(gid, criterion.id))
        note = str(st.session_state.get(state.feedback_note_key(gid)) or "")
        corrections = [CriterionCorrection(criterion_id=criterion.id, correct_verdict=Verdict(value))] if value else []
        if _store_feedback(session, gid, "wrong", corrections=corrections, note=note):
            st.session_state[state.FB_OPEN] = None
            st.success(
                f"Stored: {criterion.id} should be {value}" + (" with your note" if note.strip() else "")
                + ". It becomes a candidate eval case."
            )  # fmt: skip


def _confirm(session: Session, entry: QueueEntry) -> None:
    """A person's verdict on one criterion: it overrides the evaluator's from the next cycle on."""
    pick, verdict_key, note_key, go = state.confirm_keys(entry.grade_id)
    unknown_first = sorted(entry.criteria, key=lambda c: (c.verdict != "unknown", c.kind != "requirement", c.id))
    labels = {c.id: f"{c.id} · {c.text} (now {c.verdict})" for c in unknown_first}
    with st.form(key=f"cv_form_{entry.grade_id}", border=True):
        st.markdown("**Confirm a verdict** — what you found out yourself (kept with your name).")
        cols = st.columns([3, 1])
        cols[0].selectbox("Criterion", list(labels), format_func=labels.__getitem__, key=pick)
        cols[1].selectbox("Verdict", [v.value for v in Verdict], key=verdict_key)
        st.text_input("How you know", key=note_key, placeholder="e.g. their pricing page lists card issuing")
        submitted = st.form_submit_button("Confirm verdict", key=go)
    if not submitted:
        return
    who = access.actor()
    author = who.name if who.email else str(st.session_state.get(state.Q_AUTHOR) or "")
    chosen = next(c for c in entry.criteria if c.id == st.session_state.get(pick))
    try:
        confirm_verdict(
            session,
            entry.domain,
            chosen.text,
            Verdict(str(st.session_state.get(verdict_key))),
            author=author,
            note=str(st.session_state.get(note_key) or ""),
            grade_id=entry.grade_id,
            actor=who,
        )
    except ICPError as exc:
        st.error(str(exc) + (" Type your name at the top of the page." if not author.strip() else ""))
    else:
        st.success(f"Confirmed {chosen.id} for {entry.company_name}; the next cycle uses it.")


def _account(session: Session, entry: QueueEntry) -> None:
    st.subheader(widgets.plain(entry.company_name), anchor=False)
    st.markdown(
        f"{widgets.tier_badge(entry.tier)} **{entry.fit_score:g}** / 100 · {entry.status} · "
        f"{widgets.plain(entry.segment)} (version {entry.segment_version}) · {widgets.plain(entry.domain)}"
    )
    if entry.summary:
        st.markdown(widgets.plain(entry.summary))
    if entry.needs_research:
        st.warning(
            "Needs research before outreach:\n\n" + "\n".join(f"- {widgets.plain(r)}" for r in entry.needs_research)
        )
    _criteria(entry)
    st.markdown("**Score breakdown**")
    _breakdown(session, entry)
    who = access.actor()
    if who.can(Permission.CONFIRM_VERDICTS):
        _confirm(session, entry)
    if who.can(Permission.GIVE_FEEDBACK):
        st.markdown("**Feedback**")
        _feedback(session, entry)


def _filters(session: Session) -> dict[str, str | None]:
    segments = [s.name for s in list_segments(session)]
    motions = [m.name for m in list_motions(session)]
    owners = known_owners(session)
    top = st.columns([2, 2, 1, 1, 2])
    segment = top[0].selectbox("Segment", segments, index=None, key=state.Q_SEGMENT, placeholder="All segments")
    motion = top[1].selectbox("Motion", motions, index=None, key=state.Q_MOTION, placeholder="All motions")
    tier = top[2].selectbox("Tier", _TIERS, index=None, key=state.Q_TIER, placeholder="All members")
    status = top[3].selectbox("Status", _STATUSES, index=None, key=state.Q_STATUS, placeholder="Any")
    owner = top[4].selectbox("Owner", owners, index=None, key=state.Q_OWNER, placeholder="Everyone")
    bottom = st.columns([3, 2, 1])
    search = bottom[0].text_input("Search", key=state.Q_SEARCH, placeholder="Company name or domain")
    who = access.actor()
    if who.email:  # signed in: the person is who they signed in as, not what a box says
        bottom[1].text_input("You", value=who.owner, disabled=True, help="Your feedback and confirmations carry this.")
        me = who.owner
    else:
        bottom[1].text_input("Your name (for feedback and My queue)", key=state.Q_AUTHOR)
        me = str(st.session_state.get(state.Q_AUTHOR) or "").strip()
    if bottom[2].toggle("My queue", key=state.Q_MINE, disabled=not me, help="Only the accounts you own."):
        owner = me
    return {"segment": segment, "motion": motion, "tier": tier, "status": status, "owner": owner, "search": search}


def _first_page() -> None:
    st.session_state[state.Q_PAGE] = 1


def _sorting() -> tuple[str, bool]:
    """The sort selector: it orders the whole filtered list in the database, so page 2 continues page 1."""
    column, order, _ = st.columns([2, 2, 3])
    sort = column.selectbox(
        "Sort by",
        QUEUE_SORTS,
        format_func=_SORT_LABELS.__getitem__,
        key=state.Q_SORT,
        on_change=_first_page,
        help="Sorts every account in the filtered view, not just this page.",
    )
    direction = order.selectbox(
        "Order", list(_ORDERS), format_func=_ORDERS.__getitem__, key=state.Q_SORT_ORDER, on_change=_first_page
    )
    return str(sort or "rank"), direction == "descending"


def _rows(
    session: Session, filters: dict[str, str | None], offset: int, size: int, sort: tuple[str, bool]
) -> tuple[int, list[dict[str, object]]]:
    """The page's rows for the table (one per account; per segment for non-members), and the view's size."""
    if filters["tier"] == "disqualified":
        entries = membership_view(session, **filters, sort=sort[0], descending=sort[1])
        shown = entries[offset : offset + size]
        return len(entries), [
            {"_key": (e.company_id, e.segment_id), "rank": e.rank, "tier": e.tier, "status": "—",
             "score": round(e.fit_score, 1), "company": e.company_name, "domain": e.domain, "segment": e.segment,
             "also in": "",
             "owner": e.owner or "", "top reason": "", "task due": ""}
            for e in shown
        ]  # fmt: skip
    page = account_queue(
        session,
        segment=filters["segment"],
        motion=filters["motion"],
        tier=filters["tier"],
        status=filters["status"],
        owner=filters["owner"],
        search=filters["search"],
        limit=size,
        offset=offset,
        sort=sort[0],
        descending=sort[1],
    )
    today = utcnow().date()
    return page.total, [
        {
            "_key": (r.company_id, r.segment_id),
            "rank": r.rank,
            "tier": r.tier,
            "status": r.status,
            "score": round(r.score, 1),
            "company": r.company_name,
            "domain": r.domain,
            "segment": r.segment,
            "also in": ", ".join(r.also_in),
            "owner": r.owner or "",
            "top reason": r.top_reason,
            "task due": "" if r.due_date is None else widgets.due_label(r.due_date, today),
        }
        for r in page.rows
    ]


def _queue(session: Session) -> None:
    filters = _filters(session)
    cycle_id = latest_cycle_id(session)
    if cycle_id is None:
        st.info("No cycle has run yet, so there is nothing to rank. Run one on the Cycles page.")
        return
    sort = _sorting()
    size = int(st.session_state.get(state.Q_LIMIT) or 25)
    page_number = int(st.session_state.get(state.Q_PAGE) or 1)
    total, rows = _rows(session, filters, (page_number - 1) * size, size, sort)
    if not rows and page_number > 1:  # the filters shrank the view below this page
        page_number, (total, rows) = 1, _rows(session, filters, 0, size, sort)
    if not rows:
        st.info("No accounts match these filters in the latest cycle. Clear a filter to see more.")
        return
    pages = max(1, -(-total // size))
    head, paging, per_page, export = st.columns([4, 1, 1, 1], vertical_alignment="bottom")
    order = (
        "best first (tier, then qualified before unverified, then fit score)"
        if sort == ("rank", False)
        else f"sorted by {_SORT_LABELS[sort[0]].lower()}, {'descending' if sort[1] else 'ascending'}"
    )
    head.caption(
        f"{widgets.plural(total, 'account')} from cycle #{cycle_id}, {order}; each account once, under its "
        "primary segment. Select a row to open it."
    )
    # The widget takes its value from session state only (callbacks reset it to 1 when the order changes).
    st.session_state[state.Q_PAGE] = min(page_number, pages)
    paging.number_input("Page", min_value=1, max_value=pages, key=state.Q_PAGE)
    per_page.selectbox("Per page", (25, 50, 100, 250), key=state.Q_LIMIT)

    def whole_view() -> str:  # built when clicked: every account of the filtered view, not just this page
        with resources.session() as s:
            return widgets.queue_csv(membership_view(s, **filters, sort=sort[0], descending=sort[1]))

    export.download_button(
        "Export CSV", data=whole_view, file_name="icp-queue.csv", mime="text/csv", key=state.Q_EXPORT, on_click="ignore"
    )
    keys = [row.pop("_key") for row in rows]
    event = st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=state.Q_TABLE,
        column_config={"tier": _TIER_CHIP, "status": _STATUS_CHIP},
    )
    labels = {
        f"{c}:{g}": f"#{row['rank']} {row['company']} — {row['segment']}"
        for (c, g), row in zip(keys, rows, strict=True)
    }
    selected = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if selected and selected[0] < len(keys):
        st.session_state[state.Q_OPEN] = "{}:{}".format(*keys[selected[0]])
    if st.session_state.get(state.Q_OPEN) not in labels:
        st.session_state[state.Q_OPEN] = None
    chosen = st.selectbox(
        "Open account", list(labels), format_func=labels.__getitem__, index=None, key=state.Q_OPEN,
        placeholder="Select a row above, or pick an account here",
    )  # fmt: skip
    if chosen is None:
        return
    company_id, segment_id = (int(x) for x in str(chosen).split(":"))
    entry = queue_entry(session, company_id, segment_id, cycle_id=cycle_id)
    if entry is None:
        st.warning("This account is no longer in the latest cycle.")
        return
    with st.container(border=True):
        _account(session, entry)


access.require_page()
st.title("Queue")
st.caption("Ranked accounts to prospect. Open an account to see the evidence behind every verdict.")
widgets.show_flashes()
try:
    with resources.session() as db:
        _queue(db)
except ICPError as exc:
    st.error(str(exc))
