"""The segment form's panels that grade a draft before it is saved: its criteria, who it picks, its backtest.

Both the preview and the backtest grade every company offline, so they are cached per draft text and per
version of the book (:func:`icp.preview.book_version`): typing again the text of a moment ago, or opening
the page again, costs nothing until a company or a deal is added or updated (or five minutes pass).
"""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from icp.criteria import compile_segment
from icp.outcomes import Backtest, backtest_segment
from icp.preview import SegmentPreview, book_version, preview_segment
from icp.segments import get_segment
from ui import resources, state, widgets


def criteria_preview(name: str, requirements: str, nice_to_haves: str) -> None:
    """The draft's numbered criteria, and which a structured check decides without the evaluator."""
    compiled = compile_segment(name or "New segment", requirements, nice_to_haves)
    if not compiled.criteria:
        return
    with st.expander(f"How this will be graded: {len(compiled.criteria)} numbered criteria"):
        st.dataframe(
            [
                {
                    "id": c.id,
                    "kind": c.kind.value.replace("_", " "),
                    "criterion": c.text,
                    "decided by": "structured check" if c.check is not None else "evaluator",
                }
                for c in compiled.criteria
            ],
            hide_index=True,
            width="stretch",
        )


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def _cached_preview(_book: tuple[int, str], name: str, requirements: str, nice: str) -> SegmentPreview:
    with resources.session() as session:
        return preview_segment(session, name, requirements, nice, policy=state.settings().scoring_policy())


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def _cached_backtest(
    _book: tuple[int, str], name: str, requirements: str, nice: str, saved: tuple[str, str, str, int] | None
) -> Backtest:
    with resources.session() as session:
        return backtest_segment(
            session, name, requirements, nice, saved=saved, policy=state.settings().scoring_policy()
        )


def match_preview(session: Session, form: state.SegmentForm) -> None:
    """Before saving: how many accounts the draft would put in each tier, and how it does against won deals."""
    if not form.requirements.strip():
        return
    book = book_version(session)
    st.markdown("**Who this draft would pick** (every company graded offline, before signals)")
    preview = _cached_preview(book, form.name, form.requirements, form.nice_to_haves)
    if not preview.companies:
        st.caption("No companies yet: import some on the Companies page to preview who this segment picks.")
        return
    cols = st.columns(6)
    for column, (label, value) in zip(
        cols,
        (
            ("T1", preview.tiers["T1"]),
            ("T2", preview.tiers["T2"]),
            ("T3", preview.tiers["T3"]),
            ("Not members", preview.tiers["disqualified"]),
            ("Qualified", preview.statuses["qualified"]),
            ("Unverified", preview.statuses["unverified"]),
        ),
        strict=True,
    ):
        column.metric(label, f"{value:,}")
    if preview.examples.get("T1"):
        st.caption("T1 would include: " + widgets.plain(", ".join(preview.examples["T1"])))
    saved = None
    if form.editing_id is not None:
        current = get_segment(session, form.editing_id)
        if (current.requirements, current.nice_to_haves) != (form.requirements, form.nice_to_haves):
            saved = (current.name, current.requirements, current.nice_to_haves, current.version)
    backtest = _cached_backtest(book, form.name, form.requirements, form.nice_to_haves, saved)
    if not backtest.accounts:
        st.caption("Import won and lost deals on the Outcomes page to backtest this draft before you save it.")
        return
    st.markdown(
        f"**Backtest** against {backtest.accounts} accounts with closed deals "
        f"({backtest.won_accounts} won, {backtest.lost_accounts} lost); nothing is saved."
    )
    sides = [s for s in (backtest.draft, backtest.saved) if s is not None]
    for column, side in zip(st.columns(len(sides)), sides, strict=True):
        with column:
            recall = "—" if side.won_recall is None else f"{side.won_recall:.0%}"
            st.markdown(f"*{side.label}*: keeps **{recall}** of won accounts")
            st.dataframe(
                [
                    {
                        "tier": g.group,
                        "accounts": g.accounts,
                        "won": g.won,
                        "win rate": None if g.win_rate is None else f"{g.win_rate:.0%}",
                        "lift": None if g.lift is None else f"{g.lift:.2f}×",
                    }
                    for g in side.groups
                ],
                hide_index=True,
                width="stretch",
            )
            for exclusion in side.exclusions:
                st.caption(widgets.plain(exclusion.sentence))
    st.caption(widgets.plain(backtest.note))
