"""Every session-state key the app uses, defined once, with typed initialisers and getters.

Widget keys live here too, so pages and tests (``at.button(key=state.SEG_SAVE)``) name the same thing.
Per-row widgets get their key from a function (``feedback_agree_key(grade_id)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st

from icp.companies import ImportReport
from icp.cycle import CycleEstimate, CycleReport
from icp.settings import Settings
from ui import live_text

FlashKind = Literal["success", "info", "warning", "error"]

# App-wide
SETTINGS = "icp_settings"
FLASHES = "icp_flashes"
LOAD_SAMPLES = "load_samples"

# Segments page: the editor form
SEG_EDITING_ID = "seg_editing_id"  # None while creating a new segment
SEG_BASE_VERSION = "seg_base_version"  # the version the editor loaded (optimistic edit)
SEG_NAME = "seg_name"
SEG_REQUIREMENTS = "seg_requirements"  # text of a ui.live_text field (plain state, set with live_text.set_text)
SEG_NICE = "seg_nice_to_haves"  # likewise
SEG_ACTIVE = "seg_active"
SEG_PRIORITY = "seg_priority"
SEG_NAME_ERROR = "seg_name_error"
SEG_STALE = "seg_stale"  # message and the version now current, after a refused stale edit
SEG_PENDING_LOAD = "seg_pending_load"  # form values to apply before the widgets are drawn
SEG_PENDING_DELETE = "seg_pending_delete"  # segment id awaiting confirmation in the dialog
SEG_SAVE = "seg_save"
SEG_NEW = "seg_new"
SEG_DELETE = "seg_delete"
SEG_DELETE_CONFIRM = "seg_delete_confirm"
SEG_DELETE_CANCEL = "seg_delete_cancel"
SEG_REBASE = "seg_rebase"
SEG_RELOAD = "seg_reload"
SEG_DIFF_FROM = "seg_diff_from"
SEG_DIFF_TO = "seg_diff_to"
SEG_DIFF_OF = "seg_diff_of"  # (segment id, newest version) the diff pickers were set for
SEG_SAVE_ANYWAY = "seg_save_anyway"  # confirms saving a segment with error-level lint findings
SEG_SAVE_BLOCKED = "seg_save_blocked"

# Companies page
CO_UPLOAD = "co_upload"
CO_ALL_OR_NOTHING = "co_all_or_nothing"
CO_IMPORT = "co_import"
CO_IMPORT_REPORT = "co_import_report"
CO_SEARCH = "co_search"
CO_PICK = "co_pick"

# Queue page
Q_SEGMENT = "q_segment"
Q_MOTION = "q_motion"
Q_TIER = "q_tier"
Q_LIMIT = "q_limit"
Q_EXPORT = "q_export"
Q_AUTHOR = "q_author"
Q_STATUS = "q_status"
Q_OWNER = "q_owner"
Q_SEARCH = "q_search"
Q_MINE = "q_mine"
Q_PAGE = "q_page"
Q_SORT = "q_sort"  # the column the whole list is sorted by (in the database, across pages)
Q_SORT_ORDER = "q_sort_order"
Q_TABLE = "q_table"
Q_OPEN = "q_open"  # "company_id:segment_id" of the account whose detail is open

# Cycles page
CY_EVALUATOR = "cy_evaluator"
CY_BUDGET = "cy_budget"
CY_CONCURRENCY = "cy_concurrency"
CY_ESTIMATE_BTN = "cy_estimate"
CY_RUN = "cy_run"
CY_ESTIMATE = "cy_estimate_result"
CY_LAST_REPORT = "cy_last_report"
CY_CHART_SEGMENT = "cy_chart_segment"

# Motions & tasks page
MO_NAME = "mo_name"
MO_DESCRIPTION = "mo_description"
MO_SEGMENTS = "mo_segments"
MO_CAPACITY = "mo_capacity"
MO_CREATE = "mo_create"
MO_FILTER = "mo_filter"
MO_DONE_PICK = "mo_done_pick"
MO_DONE = "mo_done"
MO_PLAYS = "mo_plays"  # the plays table in the new-motion form
MO_OWNER = "mo_owner"
MO_OVERDUE = "mo_overdue"
MO_SNOOZE = "mo_snooze"
MO_SNOOZE_DAYS = "mo_snooze_days"
MO_REASSIGN = "mo_reassign"
MO_NEW_OWNER = "mo_new_owner"

# Outcomes page
OU_UPLOAD = "ou_upload"
OU_IMPORT = "ou_import"
OU_SEGMENT = "ou_segment"
OU_REGRADE = "ou_regrade"

# Evals page
EV_RUN = "ev_run"  # the run whose metrics are shown
EV_BLESS = "ev_bless"
EV_RUN_A = "ev_run_a"
EV_RUN_B = "ev_run_b"

# Sign-in, Audit and Members pages
SIGN_OUT = "sign_out"
AU_ACTOR = "au_actor"
AU_OBJECT = "au_object"
AU_OBJECT_ID = "au_object_id"
AU_SINCE = "au_since"
AU_EXPORT = "au_export"
ME_EMAIL = "me_email"
ME_ROLE = "me_role"
ME_NAME = "me_name"
ME_ADD = "me_add"


def sign_in_key(provider: str) -> str:
    """The sign-in button of one provider ('' for the single unnamed one)."""
    return f"sign_in_{provider or 'default'}"


def member_remove_key(email: str) -> str:
    """The remove button of one member on the Members page."""
    return f"me_remove_{email}"


def feedback_agree_key(grade_id: int) -> str:
    """The 'agree' button of one account in the queue."""
    return f"fb_agree_{grade_id}"


def feedback_wrong_key(grade_id: int) -> str:
    """The 'wrong' submit button of one account in the queue."""
    return f"fb_wrong_{grade_id}"


def feedback_note_key(grade_id: int) -> str:
    """The note field of one account's feedback."""
    return f"fb_note_{grade_id}"


FB_OPEN = "fb_open"  # (grade id, criterion id) whose 'wrong' form is open


def feedback_up_key(grade_id: int, criterion_id: str) -> str:
    """The thumb-up of one verdict of one account."""
    return f"fb_up_{grade_id}_{criterion_id}"


def feedback_down_key(grade_id: int, criterion_id: str) -> str:
    """The thumb-down of one verdict of one account (opens the correction form)."""
    return f"fb_down_{grade_id}_{criterion_id}"


def feedback_fix_key(grade_id: int, criterion_id: str) -> str:
    """The 'correct verdict' picker of one criterion of one account."""
    return f"fb_fix_{grade_id}_{criterion_id}"


def confirm_keys(grade_id: int) -> tuple[str, str, str, str]:
    """The criterion picker, verdict picker, note field and button of one account's 'confirm a verdict' form."""
    return (f"cv_criterion_{grade_id}", f"cv_verdict_{grade_id}", f"cv_note_{grade_id}", f"cv_go_{grade_id}")


def segment_active_key(segment_id: int) -> str:
    """The active toggle of one segment in the list."""
    return f"seg_active_{segment_id}"


def segment_edit_key(segment_id: int) -> str:
    """The edit button of one segment in the list."""
    return f"seg_edit_{segment_id}"


# --- App-wide -----------------------------------------------------------------------------------


def init_settings() -> Settings:
    """Build the settings once per browser session (environment, ``.env``, top-level secrets)."""
    if SETTINGS not in st.session_state:
        st.session_state[SETTINGS] = Settings()
    settings: Settings = st.session_state[SETTINGS]
    return settings


def settings() -> Settings:
    """The session's settings (built by the router on the first run)."""
    return init_settings()


def flash(kind: FlashKind, message: str) -> None:
    """Queue a message to show at the top of the next page run (survives ``st.rerun``)."""
    st.session_state.setdefault(FLASHES, []).append((kind, message))


def pop_flashes() -> list[tuple[FlashKind, str]]:
    """Messages queued by :func:`flash`, oldest first; the queue is emptied."""
    flashes: list[tuple[FlashKind, str]] = st.session_state.get(FLASHES, [])
    st.session_state[FLASHES] = []
    return flashes


# --- Segments page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentForm:
    """What the segment editor holds: the typed text and the version it is based on."""

    editing_id: int | None
    base_version: int | None
    name: str
    requirements: str
    nice_to_haves: str
    active: bool
    priority: int


def init_segment_form() -> None:
    """Give the editor's keys their defaults (a blank 'new segment' form), and apply a pending load.

    Call at the top of the page, before the editor's widgets are drawn: widget values may only be
    set before the widget exists in a run.
    """
    pending: dict[str, Any] | None = st.session_state.pop(SEG_PENDING_LOAD, None)
    if pending is not None:
        for key, value in pending.items():
            if key in (SEG_REQUIREMENTS, SEG_NICE):
                live_text.set_text(key, value)  # the browser replaces what the field shows
            else:
                st.session_state[key] = value
    for key, default in (
        (SEG_EDITING_ID, None),
        (SEG_BASE_VERSION, None),
        (SEG_NAME, ""),
        (SEG_REQUIREMENTS, ""),
        (SEG_NICE, ""),
        (SEG_ACTIVE, True),
        (SEG_PRIORITY, 0),
        (SEG_NAME_ERROR, None),
        (SEG_STALE, None),
        (SEG_PENDING_DELETE, None),
    ):
        st.session_state.setdefault(key, default)


def segment_form() -> SegmentForm:
    """The editor's current values."""
    return SegmentForm(
        editing_id=st.session_state.get(SEG_EDITING_ID),
        base_version=st.session_state.get(SEG_BASE_VERSION),
        name=st.session_state.get(SEG_NAME, ""),
        requirements=st.session_state.get(SEG_REQUIREMENTS, ""),
        nice_to_haves=st.session_state.get(SEG_NICE, ""),
        active=bool(st.session_state.get(SEG_ACTIVE, True)),
        priority=int(st.session_state.get(SEG_PRIORITY, 0)),
    )


def load_segment_form(
    *,
    editing_id: int | None,
    base_version: int | None,
    name: str = "",
    requirements: str = "",
    nice_to_haves: str = "",
    active: bool = True,
    priority: int = 0,
) -> None:
    """Fill the editor on the next run (or now, from a callback): a segment to edit, or a blank form."""
    st.session_state[SEG_PENDING_LOAD] = {
        SEG_EDITING_ID: editing_id,
        SEG_BASE_VERSION: base_version,
        SEG_NAME: name,
        SEG_REQUIREMENTS: requirements,
        SEG_NICE: nice_to_haves,
        SEG_ACTIVE: active,
        SEG_PRIORITY: priority,
        SEG_NAME_ERROR: None,
        SEG_STALE: None,
    }


def set_name_error(message: str | None) -> None:
    """Show (or clear) the inline error under the name field, for the name as it is now."""
    st.session_state[SEG_NAME_ERROR] = None if message is None else (message, str(st.session_state.get(SEG_NAME, "")))


def name_error() -> str | None:
    """The inline error under the name field while it still applies: it clears once the name is changed."""
    stored = st.session_state.get(SEG_NAME_ERROR)
    if not stored:
        return None
    message, for_name = stored
    if str(st.session_state.get(SEG_NAME, "")) != for_name:
        st.session_state[SEG_NAME_ERROR] = None
        return None
    return str(message)


def set_stale(message: str | None, current_version: int | None = None) -> None:
    """Remember that the last save was refused because someone else saved first."""
    st.session_state[SEG_STALE] = None if message is None else {"message": message, "current": current_version}


def stale() -> dict[str, Any] | None:
    """``{"message", "current"}`` after a refused stale edit, else None."""
    return st.session_state.get(SEG_STALE)


def rebase_segment_form(version: int) -> None:
    """Keep the typed text and base the next save on ``version`` (the user has seen the conflict)."""
    st.session_state[SEG_BASE_VERSION] = version
    st.session_state[SEG_STALE] = None


def request_delete(segment_id: int | None) -> None:
    """Open (an id) or close (None) the delete confirmation dialog."""
    st.session_state[SEG_PENDING_DELETE] = segment_id


def pending_delete() -> int | None:
    """The segment whose deletion awaits confirmation."""
    return st.session_state.get(SEG_PENDING_DELETE)


# --- Other pages --------------------------------------------------------------------------------


def set_import_report(report: ImportReport | None) -> None:
    """Keep the last company import's report on screen across reruns."""
    st.session_state[CO_IMPORT_REPORT] = report


def import_report() -> ImportReport | None:
    """The last company import's report."""
    return st.session_state.get(CO_IMPORT_REPORT)


def set_cycle_estimate(estimate: CycleEstimate | None) -> None:
    """Keep the dry-run estimate (the run button needs one first)."""
    st.session_state[CY_ESTIMATE] = estimate


def cycle_estimate() -> CycleEstimate | None:
    """The last dry-run estimate."""
    return st.session_state.get(CY_ESTIMATE)


def set_last_cycle_report(report: CycleReport | None) -> None:
    """Keep the outcome of the cycle this session ran."""
    st.session_state[CY_LAST_REPORT] = report


def last_cycle_report() -> CycleReport | None:
    """The outcome of the last cycle this session ran."""
    return st.session_state.get(CY_LAST_REPORT)
