"""Tier-change digests: who entered T1, who left a tier, whose status changed — one digest per motion and owner.

Pure: the changes come in (from :func:`icp.trends.tier_changes`), the digests and the webhook bodies go out.
Company names and criterion texts are untrusted: Slack text escapes ``& < >`` so nothing becomes a link,
a mention or markup.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from icp.domain import Tier

ChangeKind = Literal["entered T1", "left", "status"]
_TIER_RANK = {t.value: t.rank for t in Tier}


class AlertChange(BaseModel):
    """One account's move worth telling an SDR about."""

    kind: ChangeKind
    segment: str
    company_name: str
    domain: str
    from_tier: str
    to_tier: str
    from_status: str
    to_status: str
    score: float | None
    why: str = Field(description="The criterion that flipped, or what moved the score.")


class Digest(BaseModel):
    """The changes of one cycle for one motion and owner."""

    cycle_id: int
    motion: str
    owner: str
    changes: list[AlertChange]


def classify(from_tier: str, to_tier: str, from_status: str, to_status: str) -> ChangeKind | None:
    """What kind of alert a tier or status move is, if any (moving up within T2/T3 is not news)."""
    if to_tier == "T1" and from_tier != "T1":
        return "entered T1"
    if from_tier in ("T1", "T2", "T3") and _TIER_RANK.get(to_tier, 9) > _TIER_RANK[from_tier]:
        return "left"
    if from_status != to_status and "—" not in (from_status, to_status):
        return "status"
    return None


def build_digests(
    cycle_id: int,
    changes: Iterable[AlertChange],
    motions_by_segment: Mapping[str, Sequence[str]],
    owner_of: Mapping[str, str] | None = None,
) -> list[Digest]:
    """Group changes by the motions that work their segment and by account owner ('unassigned' without one)."""
    grouped: dict[tuple[str, str], list[AlertChange]] = defaultdict(list)
    for change in changes:
        owner = (owner_of or {}).get(change.domain, "unassigned")
        for motion in motions_by_segment.get(change.segment) or ["(no motion)"]:
            grouped[(motion, owner)].append(change)
    order = {"entered T1": 0, "status": 1, "left": 2}
    return [
        Digest(cycle_id=cycle_id, motion=motion, owner=owner, changes=sorted(items, key=lambda c: order[c.kind]))
        for (motion, owner), items in sorted(grouped.items())
    ]


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_HEADINGS = {"entered T1": "Entered T1", "status": "Status changed", "left": "Left a tier"}


def slack_body(digest: Digest) -> dict[str, Any]:
    """A Slack incoming-webhook message (``text`` plus section blocks), safe for untrusted names."""
    lines: dict[str, list[str]] = defaultdict(list)
    for c in digest.changes:
        move = f"{c.from_tier} → {c.to_tier}" if c.from_tier != c.to_tier else f"{c.from_status} → {c.to_status}"
        lines[c.kind].append(
            f"• *{_slack_escape(c.company_name)}* ({_slack_escape(c.domain)}) in "
            f"{_slack_escape(c.segment)}: {move} — {_slack_escape(c.why)}"
        )
    title = (
        f"icp cycle #{digest.cycle_id}: {len(digest.changes)} account change(s) for {digest.motion} · {digest.owner}"
    )
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    for kind in ("entered T1", "status", "left"):
        if lines[kind]:
            text = f"*{_HEADINGS[kind]}*\n" + "\n".join(lines[kind])
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}})
    return {"text": _slack_escape(title), "blocks": blocks}


def json_body(digest: Digest) -> dict[str, Any]:
    """The generic JSON body: the digest as data."""
    return {"event": "icp.tier_changes", **digest.model_dump(mode="json")}
