"""Segments: the list (active, priority, members, 7-day trend), the editor with lint hints, history, delete."""

from __future__ import annotations

import difflib

import streamlit as st
from sqlmodel import Session

from icp.errors import ConflictError, ICPError, StaleEditError
from icp.lint import LintFinding, lint_segment
from icp.segments import (
    MAX_CRITERIA,
    MAX_CRITERIA_CHARS,
    SegmentInfo,
    SegmentVersionInfo,
    create_segment,
    criteria_text_problem,
    delete_segment,
    edit_segment,
    get_segment,
    list_segments,
    segment_history,
)
from icp.team import Permission
from icp.trends import SegmentStats, segment_stats
from ui import access, live_text, resources, segment_preview, state, widgets

REQUIREMENTS_PLACEHOLDER = (
    "One requirement per line, each something a company's data can show. For example:\n"
    "- B2B SaaS company\n"
    "- 200–2,000 employees\n"
    "- Headquartered in North America or Europe\n"
    "- Uses Salesforce as CRM"
)
NICE_PLACEHOLDER = (
    "Bonus points, one per line. For example:\n"
    "- Series B or later\n"
    "- Uses Gong or a similar conversation intelligence tool\n"
    "- Hiring SDRs or account executives"
)
_SEVERITY_ICONS = {"error": ":material/block:", "warning": ":material/warning:", "info": ":material/lightbulb:"}


# --- Callbacks (run before the page is drawn, so they may fill the editor's widgets) -------------


def _load_into_editor(segment: SegmentInfo) -> None:
    state.load_segment_form(
        editing_id=segment.id,
        base_version=segment.version,
        name=segment.name,
        requirements=segment.requirements,
        nice_to_haves=segment.nice_to_haves,
        active=segment.active,
        priority=segment.priority,
    )


def _edit(segment_id: int) -> None:
    try:
        with resources.session() as session:
            _load_into_editor(get_segment(session, segment_id))
    except ICPError as exc:
        state.flash("error", str(exc))


def _new() -> None:
    state.load_segment_form(editing_id=None, base_version=None)


def _toggle_active(segment_id: int) -> None:
    active = bool(st.session_state[state.segment_active_key(segment_id)])
    try:
        with resources.session() as session:
            info = edit_segment(session, segment_id, active=active, actor=access.actor())
    except ICPError as exc:
        state.flash("error", str(exc))
        return
    if st.session_state.get(state.SEG_EDITING_ID) == segment_id:
        st.session_state[state.SEG_ACTIVE] = active
    state.flash("success", f"{info.name!r} is now {'active' if active else 'inactive'}; the next cycle uses that.")


def _save() -> None:
    form = state.segment_form()
    if not form.name.strip():
        state.set_name_error("Name is required. Give the segment a short name, such as 'Mid-Market B2B SaaS'.")
        return
    state.set_name_error(None)
    errors = [f for f in lint_segment(form.requirements, form.nice_to_haves) if str(f.severity) == "error"]
    if errors and not st.session_state.get(state.SEG_SAVE_ANYWAY):
        st.session_state[state.SEG_SAVE_BLOCKED] = True
        return
    st.session_state[state.SEG_SAVE_BLOCKED] = False
    try:
        with resources.session() as session:
            if form.editing_id is None:
                info = create_segment(
                    session,
                    form.name,
                    form.requirements,
                    form.nice_to_haves,
                    active=form.active,
                    priority=form.priority,
                    actor=access.actor(),
                )
                state.flash("success", f"Created segment {info.name!r} (version {info.version}).")
            else:
                info = edit_segment(
                    session,
                    form.editing_id,
                    based_on_version=form.base_version,
                    name=form.name,
                    requirements=form.requirements,
                    nice_to_haves=form.nice_to_haves,
                    active=form.active,
                    priority=form.priority,
                    actor=access.actor(),
                )
                if info.version != form.base_version:
                    state.flash("success", f"Saved {info.name!r} as version {info.version}; the next cycle uses it.")
                else:
                    state.flash("success", f"Saved {info.name!r} (same criteria, still version {info.version}).")
    except StaleEditError as exc:
        # Nothing is reloaded: the typed text stays in the widgets for the user to re-apply.
        state.set_stale(str(exc), exc.current)
        return
    except ConflictError as exc:
        state.set_name_error(str(exc))
        return
    except ICPError as exc:
        state.flash("error", str(exc))
        return
    _load_into_editor(info)
    st.session_state.pop(state.segment_active_key(info.id), None)  # the list toggle re-reads the database


def _rebase(version: int) -> None:
    state.rebase_segment_form(version)


def _dismiss_delete() -> None:
    state.request_delete(None)


# --- Drawing --------------------------------------------------------------------------------------


@st.dialog("Delete segment?", on_dismiss=_dismiss_delete)
def _confirm_delete(segment: SegmentInfo) -> None:
    st.write(f"Delete **{segment.name}**? It leaves the segment list and is no longer graded by future cycles.")
    st.info(
        "Tasks already generated from this segment stay with their motions, unchanged, and its versions and "
        "grades stay in the history."
    )
    confirm, cancel = st.columns(2)
    if confirm.button("Delete segment", key=state.SEG_DELETE_CONFIRM, type="primary"):
        try:
            with resources.session() as session:
                delete_segment(session, segment.id, actor=access.actor())
        except ICPError as exc:
            st.error(str(exc))
            return
        state.request_delete(None)
        if st.session_state.get(state.SEG_EDITING_ID) == segment.id:
            _new()
        state.flash("success", f"Deleted segment {segment.name!r}. Tasks already generated from it stay.")
        st.rerun()
    if cancel.button("Cancel", key=state.SEG_DELETE_CANCEL):
        state.request_delete(None)
        st.rerun()


def _trend(stats: SegmentStats | None) -> str:
    if stats is None:
        return "—"
    return f"↑{stats.joined_7d} ↓{stats.left_7d}"


def _segment_list(segments: list[SegmentInfo], stats: dict[int, SegmentStats], can_edit: bool) -> None:
    if not segments:
        st.info(
            "No segments yet. Write your first Ideal Customer Profile segment below, or load the sample data "
            "to look around."
        )
        if can_edit:
            widgets.load_samples_button()
        return
    widths = [3, 1, 1, 1, 2, 1, 2, 1]
    header = st.columns(widths)
    for column, label in zip(
        header, ("Segment", "Active", "Priority", "Members", "Tiers", "7-day trend", "Last edited", ""), strict=True
    ):
        column.caption(label)
    for segment in segments:
        row = st.columns(widths, vertical_alignment="center")
        seg_stats = stats.get(segment.id)
        row[0].markdown(f"**{segment.name}**  \n:gray[version {segment.version}]")
        row[1].toggle(
            "Active",
            value=segment.active,
            key=state.segment_active_key(segment.id),
            label_visibility="collapsed",
            on_change=_toggle_active,
            args=(segment.id,),
            disabled=not can_edit,
        )
        row[2].write(str(segment.priority))
        row[3].write(str(seg_stats.members) if seg_stats else "—")
        row[4].write(f"T1 {seg_stats.t1} · T2 {seg_stats.t2} · T3 {seg_stats.t3}" if seg_stats else "not graded yet")
        row[5].markdown(_trend(seg_stats), help="Members who joined (↑) and left (↓) over the last 7 days.")
        row[6].write(widgets.ago(segment.updated_at))
        if can_edit:
            row[7].button("Edit", key=state.segment_edit_key(segment.id), on_click=_edit, args=(segment.id,))


def _lint_hints(findings: list[LintFinding], *, heading: bool = True) -> None:
    """Findings as the leader reads them; their text quotes what was typed, so it is shown as typed."""
    if not findings:
        return
    if heading:
        st.markdown("**Suggestions to make this segment gradable**")
    for finding in findings:
        icon = _SEVERITY_ICONS.get(str(finding.severity).lower(), "•")
        message = finding.message
        if finding.criterion_id and message.startswith(finding.criterion_id):
            message = message[len(finding.criterion_id) :].lstrip()
        where = f"**{finding.criterion_id}** " if finding.criterion_id else ""
        text = f"{icon} {where}{widgets.plain(message)}"
        if finding.suggestion:
            text += f"  \n:gray[Try: {widgets.plain(finding.suggestion)}]"
        st.markdown(text)


def _version_text(version: SegmentVersionInfo) -> list[str]:
    return [
        f"Name: {version.name}",
        "",
        "Requirements:",
        *version.requirements.splitlines(),
        "",
        "Nice to Haves:",
        *version.nice_to_haves.splitlines(),
    ]


def _form_text(name: str, requirements: str, nice_to_haves: str) -> list[str]:
    return [
        f"Name: {name}",
        "",
        "Requirements:",
        *requirements.strip().splitlines(),
        "",
        "Nice to Haves:",
        *nice_to_haves.strip().splitlines(),
    ]


def _diff(before: list[str], after: list[str], before_label: str, after_label: str) -> str:
    lines = difflib.unified_diff(before, after, fromfile=before_label, tofile=after_label, lineterm="")
    return "\n".join(lines) or "(no differences)"


def _stale_notice(session: Session, form: state.SegmentForm) -> None:
    stale = state.stale()
    if stale is None or form.editing_id is None:
        return
    st.warning(stale["message"] + " Your text is still in the form below; nothing you typed was lost.")
    try:
        current = get_segment(session, form.editing_id)
    except ICPError as exc:
        st.error(str(exc))
        return
    st.code(
        _diff(
            _form_text(current.name, current.requirements, current.nice_to_haves),
            _form_text(form.name, form.requirements, form.nice_to_haves),
            f"version {current.version} (saved by someone else)",
            "your text",
        ),
        language="diff",
    )
    keep, reload = st.columns(2)
    keep.button(
        f"Keep my text and save it over version {current.version}",
        key=state.SEG_REBASE,
        on_click=_rebase,
        args=(current.version,),
        help="Bases your edit on the version now current; press Save to store it as the next version.",
    )
    reload.button(
        f"Discard my text and load version {current.version}",
        key=state.SEG_RELOAD,
        on_click=_edit,
        args=(current.id,),
    )


def _history(session: Session, segment_id: int) -> None:
    try:
        versions = segment_history(session, segment_id)
    except ICPError as exc:
        st.error(str(exc))
        return
    with st.expander(f"Version history ({len(versions)} versions)", expanded=len(versions) > 1):
        st.dataframe(
            [
                {
                    "version": v.version,
                    "name": v.name,
                    "saved": v.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                    "by": v.author,
                    "content hash": v.content_hash[:15],
                }
                for v in versions
            ],
            hide_index=True,
            width="stretch",
        )
        if len(versions) < 2:
            st.caption("Edit the criteria to create version 2; the diff between versions shows here.")
            return
        numbers = [v.version for v in versions]
        if st.session_state.get(state.SEG_DIFF_OF) != (segment_id, numbers[0]):
            # Another segment, or a new version since: compare the newest two again.
            st.session_state[state.SEG_DIFF_OF] = (segment_id, numbers[0])
            st.session_state[state.SEG_DIFF_FROM], st.session_state[state.SEG_DIFF_TO] = numbers[1], numbers[0]
        left, right = st.columns(2)
        older = left.selectbox("From version", numbers, key=state.SEG_DIFF_FROM)
        newer = right.selectbox("To version", numbers, key=state.SEG_DIFF_TO)
        by_number = {v.version: v for v in versions}
        if older not in by_number or newer not in by_number:
            return
        st.code(
            _diff(
                _version_text(by_number[older]),
                _version_text(by_number[newer]),
                f"version {older}",
                f"version {newer}",
            ),
            language="diff",
        )


def _editor(session: Session) -> None:
    form = state.segment_form()
    if form.editing_id is None:
        st.subheader("New segment")
    else:
        st.subheader(f"Edit segment (based on version {form.base_version})")
    _stale_notice(session, form)
    st.text_input("Name", key=state.SEG_NAME, placeholder="Mid-Market B2B SaaS", max_chars=200)
    if state.name_error():
        st.error(state.name_error())
    # Text over the limits is refused at once, as saving would refuse it: never linted, compiled or previewed.
    too_long = {
        key: criteria_text_problem(text, field)
        for key, text, field in (
            (state.SEG_REQUIREMENTS, form.requirements, "requirements"),
            (state.SEG_NICE, form.nice_to_haves, "nice-to-haves"),
        )
    }
    within_limits = not any(too_long.values())
    findings = (
        lint_segment(form.requirements, form.nice_to_haves)
        if within_limits and (form.requirements + form.nice_to_haves).strip()
        else []
    )
    # The fields report while the leader types (no blur needed), and each field's findings show under it.
    left, right = st.columns(2)
    with left:
        live_text.live_text_area(
            "Requirements",
            key=state.SEG_REQUIREMENTS,
            placeholder=REQUIREMENTS_PLACEHOLDER,
            height=180,
            help="Every requirement must hold for an account to be a member. Missing data is 'unknown', never a fail. "
            f"Up to {MAX_CRITERIA} criteria and {MAX_CRITERIA_CHARS:,} characters.",
        )
        if too_long[state.SEG_REQUIREMENTS]:
            st.error(too_long[state.SEG_REQUIREMENTS], icon=":material/block:")
        on_requirements = [f for f in findings if (f.criterion_id or "").startswith("R")]
        _lint_hints(on_requirements)
    with right:
        live_text.live_text_area(
            "Nice to Haves",
            key=state.SEG_NICE,
            placeholder=NICE_PLACEHOLDER,
            height=180,
            help="Each one met adds to the fit score; none of them is required. "
            f"Up to {MAX_CRITERIA} criteria and {MAX_CRITERIA_CHARS:,} characters.",
        )
        if too_long[state.SEG_NICE]:
            st.error(too_long[state.SEG_NICE], icon=":material/block:")
        on_nice = [f for f in findings if (f.criterion_id or "").startswith("N")]
        _lint_hints(on_nice, heading=not on_requirements)
    _lint_hints(
        [f for f in findings if not (f.criterion_id or "").startswith(("R", "N"))],
        heading=not (on_requirements or on_nice),
    )
    if within_limits and (form.requirements + form.nice_to_haves).strip() and not findings:
        st.caption("✔ No lint findings: every criterion reads as something a company's data can show.")
    options = st.columns([1, 1, 4])
    options[0].toggle("Active", key=state.SEG_ACTIVE, help="Only active segments are graded by cycles.")
    options[1].number_input(
        "Priority",
        key=state.SEG_PRIORITY,
        min_value=-100,
        max_value=100,
        step=1,
        help="When an account is in several segments, the highest priority decides which motion works it.",
    )
    errors = [f for f in findings if str(f.severity) == "error"]
    if errors:
        st.checkbox(
            f"Save anyway: I understand {len(errors)} criterion problem{'s' if len(errors) > 1 else ''} "
            "marked :material/block: above can make this segment match no one",
            key=state.SEG_SAVE_ANYWAY,
        )
        if st.session_state.get(state.SEG_SAVE_BLOCKED):
            st.error("Not saved: this segment has an error-level finding (above). Fix it, or tick 'Save anyway'.")
    else:
        st.session_state[state.SEG_SAVE_BLOCKED] = False
    buttons = st.columns([1, 1, 1, 4])
    buttons[0].button("Save", key=state.SEG_SAVE, type="primary", on_click=_save)
    buttons[1].button("New segment", key=state.SEG_NEW, on_click=_new)
    if form.editing_id is not None:
        buttons[2].button("Delete…", key=state.SEG_DELETE, on_click=state.request_delete, args=(form.editing_id,))
    if within_limits:
        segment_preview.criteria_preview(form.name, form.requirements, form.nice_to_haves)
        segment_preview.match_preview(session, form)
    if form.editing_id is not None:
        _history(session, form.editing_id)


who = access.require_page()
can_edit = who.can(Permission.EDIT_SEGMENTS)
st.title("Segments")
st.caption("Ideal Customer Profile segments in plain language. Every active segment is graded in each cycle.")
state.init_segment_form()
widgets.show_flashes()
try:
    with resources.session() as db:
        segments = list_segments(db)
        pending = state.pending_delete()
        if pending is not None:
            target = next((s for s in segments if s.id == pending), None)
            if target is None:
                state.request_delete(None)
            else:
                _confirm_delete(target)
        _segment_list(segments, segment_stats(db), can_edit)
        st.divider()
        if can_edit:
            _editor(db)
        else:
            st.info(
                "You see the segments read-only: writing and editing them takes the leader role "
                f"({widgets.plain(who.label)})."
            )
except ICPError as exc:
    st.error(str(exc))
