"""The queue as a spreadsheet: the same columns from ``icp queue --format csv`` and the app's export button.

One row per account and segment, the columns an SDR filters on, then for every criterion id its verdict
and its evidence in columns of their own. Cells that a spreadsheet would run as formulas are written as
text (:mod:`icp.spreadsheet`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from icp.queue import QueueEntry
from icp.spreadsheet import csv_text

BASE_COLUMNS = (
    "rank",
    "tier",
    "status",
    "fit_score",
    "owner",
    "company_name",
    "domain",
    "segment",
    "segment_version",
    "summary",
    "needs_research",
)


def queue_table(entries: Sequence[QueueEntry]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the queue export (criterion columns in id order: R1.., then N1..)."""
    ids = sorted(
        {c.id for e in entries for c in e.criteria},
        key=lambda cid: (cid[0] != "R", int(cid[1:]) if cid[1:].isdigit() else 0),
    )
    header = [*BASE_COLUMNS, *(f"{cid} {part}" for cid in ids for part in ("verdict", "evidence"))]
    rows: list[list[Any]] = []
    for e in entries:
        by_id = {c.id: c for c in e.criteria}
        row: list[Any] = [
            e.rank,
            e.tier,
            e.status,
            e.fit_score,
            e.owner or "",
            e.company_name,
            e.domain,
            e.segment,
            e.segment_version,
            e.summary,
            "; ".join(e.needs_research),
        ]
        for cid in ids:
            c = by_id.get(cid)
            row += [c.verdict, c.evidence] if c else ["", ""]
        rows.append(row)
    return header, rows


def queue_csv(entries: Sequence[QueueEntry]) -> str:
    """The queue export as CSV text."""
    header, rows = queue_table(entries)
    return csv_text(header, rows)
