"""Listing output for every command: a rich table for people, JSON or CSV for machines.

Company data and model output are untrusted text. Everything printed through :data:`console` and
:data:`err_console` (tables included) passes through :func:`safe_text`, which strips terminal control and
escape sequences; data put inside a markup string goes through :func:`shown`, which also escapes Rich
markup (a company named ``[link=http://x]`` must not become a live link). JSON escapes control
characters itself; CSV cells are stripped like table cells.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from icp.spreadsheet import csv_cell, neutralize_formula


class OutputFormat(StrEnum):
    """How a listing is printed."""

    table = "table"
    json = "json"
    csv = "csv"


FORMAT_OPTION_HELP = "Output format: table (for people), json or csv (for scripts and spreadsheets)."

_ESCAPE_SEQUENCES = re.compile(
    r"""
      \x1b\[[0-?]*[ -/]*[@-~]?              # CSI: colours, cursor moves, screen clears
    | \x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?   # OSC: hyperlinks, window titles, clipboard writes
    | \x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?   # DCS, SOS, PM, APC strings
    | \x1b[ -/]*[0-~]?                       # any other ESC sequence
    | \x9b[0-?]*[ -/]*[@-~]?                 # 8-bit CSI
    | [\x90\x98\x9d\x9e\x9f][^\x07\x9c]*(?:\x07|\x9c)?  # 8-bit DCS, SOS, OSC, PM, APC strings
    """,
    re.VERBOSE,
)
# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional marks, embeddings, overrides
# and isolates that reorder what a terminal shows (a name that displays differently from what it is).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_text(value: str) -> str:
    """``value`` without terminal escape sequences and control characters (tab and newline stay)."""
    if value.isprintable():
        return value  # the common case, in one C-level scan
    return _CONTROLS.sub("", _ESCAPE_SEQUENCES.sub("", value))


def shown(value: object) -> str:
    """Untrusted ``value`` ready to put inside a Rich markup string: controls stripped, markup escaped."""
    return escape(safe_text(str(value)))


def _as_typed(path: str, name: str) -> str:
    """How a person in the current directory runs the program at ``path``: its bare name when that is
    what ``PATH`` finds, else a path relative to here (``.venv/bin/icp``), else the absolute path."""
    found = shutil.which(name)
    absolute = os.path.abspath(path)
    if found is not None and os.path.realpath(found) == os.path.realpath(absolute):
        return name
    relative = os.path.relpath(absolute)
    if relative.startswith(".."):
        return absolute
    return relative if os.sep in relative else f".{os.sep}{relative}"


@cache
def command_names() -> tuple[str, str, str]:
    """``(icp, streamlit, app)`` as this user can type them here, for the hints the CLI prints.

    A newcomer who followed the quick start has ``.venv/bin/icp`` but no ``icp`` on ``PATH``: a hint
    must say ``.venv/bin/icp queue``, not ``icp queue``.
    """
    script = sys.argv[0] if Path(sys.argv[0]).name == "icp" else ""
    icp = _as_typed(script, "icp") if script else "icp"
    beside = Path(script).parent / "streamlit" if script else None  # the one installed with this icp
    streamlit_path = beside if beside is not None and beside.is_file() else Path(sys.executable).parent / "streamlit"
    streamlit = _as_typed(str(streamlit_path), "streamlit")
    app = Path(__file__).resolve().parents[2] / "ui" / "app.py"  # present in a source checkout
    app_path = os.path.relpath(app) if app.is_file() else "ui/app.py"
    if app_path.startswith(".."):
        app_path = str(app)
    return icp, streamlit, app_path


_ICP_COMMAND = re.compile(r"`icp(?= )")
_APP_COMMAND = re.compile(r"`streamlit run ui/app\.py`")
_PIP_COMMAND = re.compile(r"`pip(?= install )")


def pip_name() -> str:
    """The pip that installs into this icp's environment, as this user can type it (``.venv/bin/pip``)."""
    script = sys.argv[0] if Path(sys.argv[0]).name == "icp" else ""
    beside = Path(script).parent / "pip" if script else None
    pip_path = beside if beside is not None and beside.is_file() else Path(sys.executable).parent / "pip"
    return _as_typed(str(pip_path), "pip") if pip_path.is_file() else "pip"


def as_typed(text: str) -> str:
    """``text`` with its `icp ...`, `pip install ...` and `streamlit run ui/app.py` hints written the way
    they run from here."""
    if "`" not in text:
        return text
    icp, streamlit, app = command_names()
    if icp != "icp":
        text = _ICP_COMMAND.sub(lambda _: f"`{icp}", text)
    if "`pip install " in text:
        pip = pip_name()
        text = _PIP_COMMAND.sub(lambda _: f"`{pip}", text)
    return _APP_COMMAND.sub(lambda _: f"`{streamlit} run {app}`", text)


class SafeConsole(Console):
    """A console for the CLI's output: strips control and escape sequences from every string it renders
    (tables included), and writes command hints the way they run from here (:func:`as_typed`)."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(as_typed(safe_text(text)), **kwargs)


console = SafeConsole()
err_console = SafeConsole(stderr=True)


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
            # Company data is untrusted: no control sequences, and a cell a spreadsheet would run as a formula
            # is written as text.
            writer.writerow([csv_cell(row.get(c), safe_text(_cell(row.get(c)))) for c in cols])
        typer.echo(buffer.getvalue(), nl=False)
        return
    if not rows:
        console.print(f"[dim]{empty_message}[/dim]")
        return
    if table_rows is not None:
        rows, cols = table_rows, list(table_rows[0].keys()) if table_rows else cols
    table = Table(title=title, show_lines=False, header_style="bold")
    cells = [[shown(_cell(row.get(c))) for c in cols] for row in rows]
    for index, col in enumerate(cols):
        # Short values (tiers, counts, dates) stay on one line; long text wraps.
        longest = max((len(line[index]) for line in cells), default=0)
        table.add_column(col.replace("_", " "), overflow="fold", min_width=longest if longest <= 10 else None)
    for line in cells:
        table.add_row(*line)
    console.print(table)
