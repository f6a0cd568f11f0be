"""Queue: ranked accounts for SDRs, evidence per criterion, score breakdown, feedback, CSV export."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from icp.domain import Verdict
from icp.errors import ICPError
from icp.feedback import CriterionCorrection, list_feedback, record_feedback
from icp.queue import QueueEntry, grade_audit, latest_cycle_id, ranked_queue, score_breakdown
from icp.segments import list_segments
from icp.tasks import list_motions
from ui import resources, state, widgets

_TIERS = ("T1", "T2", "T3", "disqualified")
_KEEP = "(keep)"


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


def _feedback(session: Session, entry: QueueEntry) -> None:
    gid = entry.grade_id
    author = str(st.session_state.get(state.Q_AUTHOR) or "")
    existing = list_feedback(session, grade_id=gid)
    if existing:
        st.caption(
            f"{len(existing)} feedback rows so far: "
            + "; ".join(
                f"{f.kind}" + (f" {f.criterion_id}→{f.correct_verdict}" if f.criterion_id else "") for f in existing
            )
        )
    if st.button("👍 Agree with this grade", key=state.feedback_agree_key(gid)):
        try:
            record_feedback(session, gid, "agree", author=author)
        except ICPError as exc:
            st.error(str(exc))
        else:
            st.success("Thanks: your agreement is stored with this grade.")
    with st.form(key=f"fb_form_{gid}", clear_on_submit=False, border=True):
        st.markdown("**Something is wrong?** Pick the correct verdict for each criterion that is wrong.")
        for c in entry.criteria:
            st.selectbox(
                f"{c.id} · {c.text} (now {c.verdict})",
                [_KEEP, *[v.value for v in Verdict if v.value != c.verdict]],
                key=state.feedback_fix_key(gid, c.id),
            )
        st.text_input("Note", key=state.feedback_note_key(gid), placeholder="What the data really says")
        submitted = st.form_submit_button("👎 Report wrong verdicts", key=state.feedback_wrong_key(gid))
    if submitted:
        corrections = [
            CriterionCorrection(criterion_id=c.id, correct_verdict=Verdict(value))
            for c in entry.criteria
            if (value := st.session_state.get(state.feedback_fix_key(gid, c.id), _KEEP)) != _KEEP
        ]
        note = str(st.session_state.get(state.feedback_note_key(gid)) or "")
        try:
            record_feedback(session, gid, "wrong", corrections=corrections, note=note, author=author)
        except ICPError as exc:
            st.error(str(exc))
        else:
            st.success(
                f"Stored: {len(corrections)} corrected verdicts"
                + (" and your note" if note.strip() else "")
                + ". They become candidate eval cases."
            )


def _account(session: Session, entry: QueueEntry) -> None:
    st.markdown(
        f"{widgets.tier_badge(entry.tier)} **{entry.fit_score:g}** / 100 · {entry.segment} "
        f"(version {entry.segment_version}) · `{entry.domain}`"
    )
    if entry.summary:
        st.write(entry.summary)
    _criteria(entry)
    st.markdown("**Score breakdown**")
    _breakdown(session, entry)
    st.markdown("**Feedback**")
    _feedback(session, entry)


def _filters(session: Session) -> tuple[str | None, str | None, str | None, int]:
    segments = [s.name for s in list_segments(session)]
    motions = [m.name for m in list_motions(session)]
    cols = st.columns([2, 2, 1, 1, 2])
    segment = cols[0].selectbox("Segment", segments, index=None, key=state.Q_SEGMENT, placeholder="All segments")
    motion = cols[1].selectbox("Motion", motions, index=None, key=state.Q_MOTION, placeholder="All motions")
    tier = cols[2].selectbox("Tier", _TIERS, index=None, key=state.Q_TIER, placeholder="All members")
    limit = cols[3].selectbox("Show", (25, 50, 100, 250), key=state.Q_LIMIT)
    cols[4].text_input("Your name (for feedback)", key=state.Q_AUTHOR)
    return segment, motion, tier, int(limit or 25)


def _queue(session: Session) -> None:
    segment, motion, tier, limit = _filters(session)
    cycle_id = latest_cycle_id(session)
    if cycle_id is None:
        st.info("No cycle has run yet, so there is nothing to rank. Run one on the Cycles page.")
        return
    entries = ranked_queue(session, segment=segment, motion=motion, tier=tier, limit=limit)
    if not entries:
        st.info("No accounts match these filters in the latest cycle.")
        return
    head, export = st.columns([4, 1])
    head.caption(f"{len(entries)} accounts from cycle #{cycle_id}, best first (tier, then fit score).")
    export.download_button(
        "Export CSV",
        data=widgets.queue_csv(entries),
        file_name="icp-queue.csv",
        mime="text/csv",
        key=state.Q_EXPORT,
        on_click="ignore",
    )
    st.dataframe(
        [
            {
                "rank": e.rank,
                "tier": e.tier,
                "score": e.fit_score,
                "company": e.company_name,
                "domain": e.domain,
                "segment": e.segment,
                "summary": e.summary,
            }
            for e in entries
        ],
        hide_index=True,
        width="stretch",
    )
    st.markdown("#### Accounts")
    for e in entries:
        with st.expander(f"#{e.rank} {e.company_name} — {e.tier} · {e.fit_score:g} · {e.segment}"):
            _account(session, e)


st.title("Queue")
st.caption("Ranked accounts to prospect. Open an account to see the evidence behind every verdict.")
widgets.show_flashes()
try:
    with resources.session() as db:
        _queue(db)
except ICPError as exc:
    st.error(str(exc))
