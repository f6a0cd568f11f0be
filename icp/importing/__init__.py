"""Reading company and signal files: CSV, JSON and JSONL, with CRM header mapping and row-level errors.

- Headers from common CRM exports ("Company name", "Company Domain Name", "Number of Employees",
  "Country/Region", ...) map onto the canonical fields; unknown columns are ignored and listed.
- The encoding is detected (BOM, UTF-16/32, UTF-8, then Windows-1252 with a warning naming the guess)
  and so is the CSV delimiter (comma, semicolon, tab, pipe). A semicolon-delimited file is Excel's CSV
  where the decimal mark is a comma, so its numbers read "1.250" as 1250 and "12,5" as 12.5.
- Numbers are read as people write them ("1,250", "$12.5M", "1.2k", "51-200") and bounded; text is
  bounded in size and cleaned of what cannot be stored (see :mod:`icp.importing._limits`).
- A file that cannot be read at all is refused whole with :class:`~icp.errors.InputError`; a bad row
  becomes a :class:`RowError` with its row number and reason, and never stops the good rows.

Nothing here touches the database; :mod:`icp.companies` stores what this reads.
"""

from __future__ import annotations

from typing import Any

from icp.importing._headers import HEADER_ALIASES, map_header
from icp.importing._limits import (
    MAX_DEPTH,
    MAX_EMPLOYEES,
    MAX_FIELD_CHARS,
    MAX_HEADER_CHARS,
    MAX_LIST_ITEMS,
    MAX_REVENUE,
    MAX_SIGNAL_DAYS_AGO,
)
from icp.importing._models import ParsedRows, RowError, RowWarning
from icp.importing._read import FileFormat, detect_format, map_columns, read_items, short_header
from icp.importing._signals import ParsedSignals, parse_signal_rows, read_signal_list, read_signal_row
from icp.importing._text import decode_text
from icp.importing._values import LIST_FIELDS, clean_str, parse_amount, profile_from_mapped, read_company

__all__ = [
    "HEADER_ALIASES",
    "LIST_FIELDS",
    "MAX_DEPTH",
    "MAX_EMPLOYEES",
    "MAX_FIELD_CHARS",
    "MAX_HEADER_CHARS",
    "MAX_LIST_ITEMS",
    "MAX_REVENUE",
    "MAX_SIGNAL_DAYS_AGO",
    "FileFormat",
    "ParsedRows",
    "ParsedSignals",
    "RowError",
    "RowWarning",
    "clean_str",
    "decode_text",
    "detect_format",
    "map_columns",
    "map_header",
    "parse_amount",
    "parse_rows",
    "parse_signal_rows",
    "profile_from_mapped",
    "read_company",
    "read_items",
    "short_header",
    "read_signal_list",
    "read_signal_row",
]


def parse_rows(data: bytes, filename: str, fmt: FileFormat | None = None) -> ParsedRows:
    """Read raw company rows and map headers. Raises :class:`InputError` when the file cannot be read at all."""
    raw = read_items(
        data,
        filename,
        fmt,
        recognise=lambda header: map_header(header) is not None,
        wrapper="companies",
        what="company",
        expected="'Company name', 'Company Domain Name' or name, domain, employees",
    )
    mapping, ignored = map_columns(raw.keys, map_header, unlisted=("signals",))
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, item in raw.items:
        mapped: dict[str, Any] = {field: item[source] for source, field in mapping.items() if source in item}
        for special in ("__invalid__", "__error__", "signals"):
            if special in item:
                mapped[special] = item[special]
        rows.append((number, mapped))
    return ParsedRows(
        rows=rows, mapping=mapping, ignored_columns=ignored, warnings=raw.warnings, decimal_comma=raw.decimal_comma
    )
