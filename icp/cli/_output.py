"""Listing output for every command: a rich table for people, JSON or CSV for machines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from icp.spreadsheet import csv_cell, neutralize_formula


class OutputFormat(StrEnum):
    """How a listing is printed."""

    table = "table"
    json = "json"
    csv = "csv"


FORMAT_OPTION_HELP = "Output format: table (for people), json or csv (for scripts and spreadsheets)."

console = Console()
err_console = Console(stderr=True)


def short_time(value: datetime | str | None) -> str:
    """'2026-11-25 10:07' from a datetime or its ISO string (UTC), for tables."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("T", " ")[:16]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))
    if isinstance(value, Mapping):
        return json.dumps(value, default=str)
    return str(value)


def emit(
    rows: Sequence[Mapping[str, Any]],
    fmt: OutputFormat,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    empty_message: str = "Nothing to show.",
    json_payload: Any = None,
    table_rows: Sequence[Mapping[str, Any]] | None = None,
) -> None:
    """Print ``rows`` in ``fmt``. ``columns`` picks and orders the table/CSV columns; JSON keeps every field.

    ``json_payload`` replaces ``rows`` for JSON output when the machine-readable shape is richer
    than the table (e.g. nested criteria); ``table_rows`` replaces ``rows`` for the table, when a
    terminal-width view needs fewer, combined columns than the CSV.
    """
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(json_payload if json_payload is not None else list(rows), indent=2, default=str))
        return
    cols = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([neutralize_formula(c) for c in cols])
        for row in rows:
            # Company data is untrusted: a cell a spreadsheet would run as a formula is written as text.
            writer.writerow([csv_cell(row.get(c), _cell(row.get(c))) for c in cols])
        typer.echo(buffer.getvalue(), nl=False)
        return
    if not rows:
        console.print(f"[dim]{empty_message}[/dim]")
        return
    if table_rows is not None:
        rows, cols = table_rows, list(table_rows[0].keys()) if table_rows else cols
    table = Table(title=title, show_lines=False, header_style="bold")
    cells = [[_cell(row.get(c)) for c in cols] for row in rows]
    for index, col in enumerate(cols):
        # Short values (tiers, counts, dates) stay on one line; long text wraps.
        longest = max((len(line[index]) for line in cells), default=0)
        table.add_column(col.replace("_", " "), overflow="fold", min_width=longest if longest <= 10 else None)
    for line in cells:
        table.add_row(*line)
    console.print(table)
