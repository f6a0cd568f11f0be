"""Bounds on what an imported file may hold; every refusal names the bound it hit.

The numbers are far beyond any real company (the largest employer has about 2.3 million people, the
largest revenue is under a trillion dollars) and far below what breaks the database (a 64-bit
integer) or the process (Python's recursion and int-to-string limits).
"""

from __future__ import annotations

from datetime import UTC, datetime

MAX_EMPLOYEES = 10_000_000
MAX_REVENUE = 10_000_000_000_000  # ten trillion US dollars
MIN_FOUNDED_YEAR = 1600
MAX_SIGNAL_DAYS_AGO = 3650  # ten years; a signal that old adds nothing (14-day half-life)
MAX_FIELD_CHARS = 65_536  # one cell or JSON string value
MAX_HEADER_CHARS = 1_000  # one column header (or JSON key)
MAX_LIST_ITEMS = 1_000  # tags, technologies, signals of one company
MAX_DEPTH = 20  # nesting of JSON values inside one row
MAX_NUMBER_CHARS = 60  # a number written as text
# Python's csv module refuses fields over 128 KB by default and aborts the file; reading up to this
# size lets an oversize cell become a row error instead (the limit only ever grows, see _read).
CSV_FIELD_LIMIT = 64 * 1024 * 1024


def max_founded_year() -> int:
    """Next year: a company cannot have been founded later than that."""
    return datetime.now(UTC).year + 1
