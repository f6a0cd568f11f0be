"""Small rendering helpers shared by the pages: messages, badges, the sample-data button."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import streamlit as st

from icp import exports
from icp.demo import load_samples
from icp.errors import ICPError
from icp.queue import QueueEntry
from ui import resources, state

_TIER_COLOURS = {"T1": "green", "T2": "blue", "T3": "orange", "disqualified": "red"}
# Plain symbols every font has: the app must read right without an emoji font (tables cannot show icons).
_VERDICT_ICONS = {"met": "✓", "not_met": "✗", "unknown": "?"}


def show_flashes() -> None:
    """Show the messages queued by the previous run (after a save, a delete, an import)."""
    for kind, message in state.pop_flashes():
        getattr(st, kind)(message)


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=&])")


def plain(text: str) -> str:
    """Untrusted text (company data, model output) made safe for a Markdown context: shown as typed.

    Every Markdown character is escaped, so no link, image (a tracking beacon), heading, colour directive
    or HTML comes alive, and control characters are dropped.
    """
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", cleaned)


def tier_badge(tier: str) -> str:
    """Markdown for a coloured tier badge."""
    return f":{_TIER_COLOURS.get(tier, 'gray')}-badge[{tier}]"


def verdict_label(verdict: str) -> str:
    """A verdict with its mark, e.g. '✓ met'."""
    return f"{_VERDICT_ICONS.get(verdict, '')} {verdict}".strip()


def load_samples_button(label: str = "Load sample data") -> None:
    """Offer the shipped sample segments, companies, signals and motions on an empty database."""
    if st.button(label, key=state.LOAD_SAMPLES, help="Loads the shipped demo data; running it twice changes nothing."):
        from ui import access  # access shows names through plain() from here

        try:
            with resources.session() as session:
                loaded = load_samples(session, actor=access.actor())
        except ICPError as exc:
            st.error(str(exc))
            return
        state.flash(
            "success",
            f"Loaded {len(loaded.segments.created)} segments, {loaded.companies.created} companies, "
            f"{loaded.signals} signals and {len(loaded.motions)} motions. "
            "Run a cycle on the Cycles page to grade them.",
        )
        st.rerun()


def plural(count: int, noun: str) -> str:
    """'1 account', '2 accounts', '1,204 accounts'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def due_label(due: date, today: date) -> str:
    """'today', 'in 3 days', '2 days overdue'."""
    days = (due - today).days
    if days == 0:
        return "today"
    if days > 0:
        return "tomorrow" if days == 1 else f"in {days} days"
    return f"{plural(-days, 'day')} overdue"


def money(amount: float | None) -> str:
    """Money as people read it: '$40M', '$1.2k', '$950'."""
    if amount is None:
        return "—"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(amount) >= size:
            return f"${amount / size:.1f}".rstrip("0").rstrip(".") + suffix
    return f"${amount:,.0f}"


def ago(when: datetime, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 days ago', or the date for anything older than a month."""
    now = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = max(0.0, (now - when).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 30 * 86400:
        days = int(seconds // 86400)
        return f"{days} day{'s' if days != 1 else ''} ago"
    return when.strftime("%Y-%m-%d")


def queue_csv(entries: list[QueueEntry]) -> str:
    """The view as CSV, with the same columns as `icp queue --format csv` (formula-safe cells)."""
    return exports.queue_csv(entries)
