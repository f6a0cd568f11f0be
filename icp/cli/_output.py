"""Listing output for every command: a rich table for people, JSON or CSV for machines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table


class OutputFormat(StrEnum):
    """How a listing is printed."""

    table = "table"
    json = "json"
    csv = "csv"


FORMAT_OPTION_HELP = "Output format: table (for people), json or csv (for scripts and spreadsheets)."

console = Console()
err_console = Console(stderr=True)


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
) -> None:
    """Print ``rows`` in ``fmt``. ``columns`` picks and orders the table/CSV columns; JSON keeps every field.

    ``json_payload`` replaces ``rows`` for JSON output when the machine-readable shape is richer
    than the table (e.g. nested criteria).
    """
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(json_payload if json_payload is not None else list(rows), indent=2, default=str))
        return
    cols = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(cols)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in cols])
        typer.echo(buffer.getvalue(), nl=False)
        return
    if not rows:
        console.print(f"[dim]{empty_message}[/dim]")
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in cols:
        table.add_column(col.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in cols])
    console.print(table)
