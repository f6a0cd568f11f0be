"""Queue: ranked accounts for SDRs, evidence per criterion, score breakdown, feedback, CSV export."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from icp.confirmations import confirm_verdict
from icp.domain import Verdict
from icp.errors import ICPError
from icp.feedback import CriterionCorrection, list_feedback, record_feedback
from icp.queue import QueueEntry, grade_audit, latest_cycle_id, ranked_queue, score_breakdown
from icp.segments import list_segments
from icp.tasks import list_motions
from ui import resources, state, widgets

_TIERS = ("T1", "T2", "T3", "disqualified")
_STATUSES = ("qualified", "unverified")
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
    author = str(st.session_state.get(state.Q_AUTHOR) or "")
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
        )
    except ICPError as exc:
        st.error(str(exc) + (" Type your name at the top of the page." if not author.strip() else ""))
    else:
        st.success(f"Confirmed {chosen.id} for {entry.company_name}; the next cycle uses it.")


def _account(session: Session, entry: QueueEntry) -> None:
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
    _confirm(session, entry)
    st.markdown("**Feedback**")
    _feedback(session, entry)


def _filters(session: Session) -> tuple[str | None, str | None, str | None, str | None, int]:
    segments = [s.name for s in list_segments(session)]
    motions = [m.name for m in list_motions(session)]
    cols = st.columns([2, 2, 1, 1, 1, 2])
    segment = cols[0].selectbox("Segment", segments, index=None, key=state.Q_SEGMENT, placeholder="All segments")
    motion = cols[1].selectbox("Motion", motions, index=None, key=state.Q_MOTION, placeholder="All motions")
    tier = cols[2].selectbox("Tier", _TIERS, index=None, key=state.Q_TIER, placeholder="All members")
    status = cols[3].selectbox("Status", _STATUSES, index=None, key=state.Q_STATUS, placeholder="Any")
    limit = cols[4].selectbox("Show", (25, 50, 100, 250), key=state.Q_LIMIT)
    cols[5].text_input("Your name (for feedback)", key=state.Q_AUTHOR)
    return segment, motion, tier, status, int(limit or 25)


def _queue(session: Session) -> None:
    segment, motion, tier, status, limit = _filters(session)
    cycle_id = latest_cycle_id(session)
    if cycle_id is None:
        st.info("No cycle has run yet, so there is nothing to rank. Run one on the Cycles page.")
        return
    entries = ranked_queue(session, segment=segment, motion=motion, tier=tier, status=status, limit=limit)
    if not entries:
        st.info("No accounts match these filters in the latest cycle.")
        return
    head, export = st.columns([4, 1])
    head.caption(
        f"{len(entries)} accounts from cycle #{cycle_id}, best first (tier, then qualified before unverified, "
        "then fit score). Unverified accounts have a requirement nobody could verify: never T1 until confirmed."
    )

    def whole_view() -> str:  # built when clicked: every account of the filtered view, not just this page
        with resources.session() as session:
            view = ranked_queue(session, segment=segment, motion=motion, tier=tier, status=status, limit=None)
        return widgets.queue_csv(view)

    export.download_button(
        "Export CSV",
        data=whole_view,
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
                "status": e.status,
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
        with st.expander(
            widgets.plain(f"#{e.rank} {e.company_name} — {e.tier} · {e.status} · {e.fit_score:g} · {e.segment}")
        ):
            _account(session, e)


st.title("Queue")
st.caption("Ranked accounts to prospect. Open an account to see the evidence behind every verdict.")
widgets.show_flashes()
try:
    with resources.session() as db:
        _queue(db)
except ICPError as exc:
    st.error(str(exc))
