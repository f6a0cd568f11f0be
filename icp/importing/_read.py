"""Reading a file into raw items: format, encoding, CSV delimiter, JSON shape, and per-item damage.

Whatever a single row holds (a huge cell, deep nesting, an undecodable byte) stays that row's problem;
only a file that cannot be read at all is refused with :class:`~icp.errors.InputError`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from icp.errors import InputError
from icp.importing._limits import CSV_FIELD_LIMIT, MAX_DEPTH, MAX_HEADER_CHARS
from icp.importing._models import RowWarning
from icp.importing._text import decode_text

FileFormat = Literal["csv", "json", "jsonl"]

DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def detect_format(filename: str) -> FileFormat:
    """Choose the parser from the file extension."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix == ".json":
        return "json"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise InputError(f"Cannot tell the format of {filename!r}: use a .csv, .json or .jsonl file.")


@dataclass
class RawItems:
    """Items as read: (row number, object) pairs, every key seen (in order), and how the file was read."""

    items: list[tuple[int, Mapping[str, Any]]]
    keys: list[str]
    warnings: list[RowWarning] = field(default_factory=list)
    decimal_comma: bool = False


def short_header(header: str) -> str:
    """A header as shown in reports: hostile ones cut short."""
    return header if len(header) <= 80 else f"{header[:60]}… ({len(header):,} characters)"


def _json_int(text: str) -> int | str:
    # Python refuses to convert integers of more than 4,300 digits (and they are out of every bound
    # anyway): keep long ones as text, so the row gets a readable "out of range" instead of a crash.
    return int(text) if len(text) <= 40 else text


def _loads(text: str) -> Any:
    return json.loads(text, parse_int=_json_int)


def _too_deep(value: Any) -> bool:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


_DEEP = f"nested more than {MAX_DEPTH} levels deep"


def _item(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        return {"__invalid__": value if not isinstance(value, (list, dict)) or not _too_deep(value) else "(nested)"}
    if _too_deep(value):
        return {"__error__": _DEEP}
    return value


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.S)


def _split_array(text: str) -> list[str] | None:
    """The items of a top-level JSON array as text, without parsing them (for arrays too deep to parse whole)."""
    start = len(text) - len(text.lstrip())
    if not text.startswith("[", start):
        return None
    items: list[str] = []
    depth = 0
    item_start = start + 1
    for match in _TOKENS.finditer(text, start):
        token = match.group()
        if token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
            if depth == 0:
                items.append(text[item_start : match.start()])
                return [item for item in items if item.strip()] if items != [""] else []
        elif token == "," and depth == 1:
            items.append(text[item_start : match.start()])
            item_start = match.end()
    return None


def _read_json(text: str, filename: str, wrapper: str, what: str) -> list[tuple[int, Mapping[str, Any]]]:
    try:
        doc = _loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{filename} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). Nothing was imported."
        ) from exc
    except RecursionError:
        parts = _split_array(text)
        if parts is None:
            raise InputError(
                f"{filename} is nested too deeply to read (more than {MAX_DEPTH} levels). Nothing was imported."
            ) from None
        items: list[tuple[int, Mapping[str, Any]]] = []
        for number, part in enumerate(parts, 1):
            try:
                items.append((number, _item(_loads(part))))
            except RecursionError:
                items.append((number, {"__error__": _DEEP}))
            except json.JSONDecodeError as exc:
                items.append((number, {"__invalid__": f"not valid JSON ({exc.msg})"}))
        return items
    if isinstance(doc, dict) and isinstance(doc.get(wrapper), list):
        doc = doc[wrapper]
    if not isinstance(doc, list):
        raise InputError(f"{filename} must hold a JSON list of {what} objects (or {{'{wrapper}': [...]}}).")
    return [(number, _item(value)) for number, value in enumerate(doc, 1)]


def _read_jsonl(text: str, filename: str) -> list[tuple[int, Mapping[str, Any]]]:
    items: list[tuple[int, Mapping[str, Any]]] = []
    parsed_any = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = _loads(line)
        except json.JSONDecodeError as exc:
            items.append((number, {"__invalid__": f"not valid JSON ({exc.msg})"}))
            continue
        except RecursionError:
            items.append((number, {"__error__": _DEEP}))
            continue
        parsed_any = True
        items.append((number, _item(value)))
    if not parsed_any:
        raise InputError(f"{filename} has no valid JSON lines. Nothing was imported.")
    return items


_LINE_END = re.compile(r"[\r\n]")


def _sniff_delimiter(text: str, recognise: Callable[[str], bool]) -> tuple[str, list[str]]:
    """The delimiter under which the first line reads as the most recognised headers (then the most columns)."""
    end = _LINE_END.search(text)
    first = text if end is None else text[: end.start()]
    best: tuple[int, int, str, list[str]] | None = None
    for delimiter in DELIMITERS:
        try:
            cells = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:
            continue
        score = (sum(1 for cell in cells if recognise(cell)), len(cells))
        if best is None or score > best[:2]:
            best = (*score, delimiter, cells)
    return (best[2], best[3]) if best else (",", [])


def _read_csv(
    text: str, filename: str, recognise: Callable[[str], bool], expected: str
) -> tuple[list[tuple[int, Mapping[str, Any]]], list[str], list[RowWarning], str]:
    # The csv module's field limit is process-wide; raise it (never lower it) so an oversize cell
    # is read and rejected as its row's problem rather than aborting the file.
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    delimiter, first_cells = _sniff_delimiter(text, recognise)
    if not any(recognise(cell) for cell in first_cells):
        shown = ", ".join(short_header(h) for h in first_cells[:8]) or "nothing"
        raise InputError(
            f"{filename} has no recognisable header row (got {shown}; tried comma, semicolon, tab and pipe "
            f"as the delimiter). Expected columns such as {expected}."
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    warnings: list[RowWarning] = []
    try:
        header = next(reader)
        columns: dict[str, int] = {}
        for index, name in enumerate(header):
            if len(name) > MAX_HEADER_CHARS:
                warnings.append(
                    RowWarning(
                        message=f"column {index + 1}'s header is {len(name):,} characters long (the limit is "
                        f"{MAX_HEADER_CHARS:,}); the column was ignored"
                    )
                )
            elif recognise(name) and name not in columns:
                columns[name] = index
        items: list[tuple[int, Mapping[str, Any]]] = []
        for record in reader:
            if not record:
                continue
            items.append((reader.line_num, {name: record[i] for name, i in columns.items() if i < len(record)}))
    except csv.Error as exc:
        raise InputError(
            f"{filename} is not valid CSV near line {reader.line_num}: {exc}. Nothing was imported."
        ) from exc
    if delimiter != ",":
        warnings.append(RowWarning(message=f"{filename} is {_DELIMITER_NAMES[delimiter]}-delimited."))
    return items, list(dict.fromkeys(header)), warnings, delimiter


def map_columns(
    keys: Sequence[str], map_header: Callable[[str], str | None], *, unlisted: Collection[str] = ()
) -> tuple[dict[str, str], list[str]]:
    """``(source key -> field, ignored keys)``: the first key naming a field wins; later ones are ignored.

    Keys in ``unlisted`` are read by the caller itself, so they are not reported as ignored.
    """
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    ignored: list[str] = []
    for key in keys:
        field = map_header(key)
        if field is None or field in taken:
            if key not in unlisted:
                ignored.append(short_header(key))
        else:
            mapping[key] = field
            taken.add(field)
    return mapping, ignored


def read_items(
    data: bytes,
    filename: str,
    fmt: FileFormat | None,
    *,
    recognise: Callable[[str], bool],
    wrapper: str,
    what: str,
    expected: str,
) -> RawItems:
    """Decode and read a CSV, JSON or JSONL file into raw items. Raises InputError when it cannot be read at all.

    ``recognise`` says which CSV headers matter (the delimiter is the one that finds the most of
    them); ``wrapper`` is the key a JSON file may hold its list under (``{"companies": [...]}``).
    """
    fmt = fmt or detect_format(filename)
    text, warnings = decode_text(data, filename)
    if not text.strip():
        raise InputError(f"{filename} is empty. Nothing was imported.")
    if fmt == "csv":
        items, headers, csv_warnings, delimiter = _read_csv(text, filename, recognise, expected)
        return RawItems(items, headers, warnings + csv_warnings, decimal_comma=delimiter == ";")
    items = _read_json(text, filename, wrapper, what) if fmt == "json" else _read_jsonl(text, filename)
    keys: dict[str, None] = {}
    for _, item in items:
        for key in item:
            if isinstance(key, str) and not key.startswith("__"):
                keys[key] = None
    return RawItems(items, list(keys), warnings)
