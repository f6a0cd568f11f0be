"""Reading intent/engagement signal files (and the ``signals`` list of a company object) row by row.

A signal is ``{domain, type, topic, strength, observed_at | days_ago}``; JSONL, a JSON list (or
``{"signals": [...]}``) or CSV with those headers. Every problem is the row's reason; nothing here
touches the database (:mod:`icp.companies` matches domains to stored companies).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from icp.domain import Signal, validate_domain
from icp.errors import InputError
from icp.importing._limits import MAX_LIST_ITEMS, MAX_SIGNAL_DAYS_AGO
from icp.importing._models import RowWarning
from icp.importing._read import FileFormat, read_items, short_header
from icp.importing._text import clean_text
from icp.importing._values import _bounded, _scalar_text, _show, clean_str

SIGNAL_FIELDS = ("domain", "type", "topic", "strength", "observed_at", "days_ago")


class ParsedSignals(BaseModel):
    """Signal rows read from a file before validation."""

    rows: list[tuple[int, dict[str, Any]]]
    ignored_columns: list[str] = Field(default_factory=list)
    warnings: list[RowWarning] = Field(default_factory=list)
    decimal_comma: bool = False


def _signal_header(header: str) -> str | None:
    key = header.strip().lower().replace(" ", "_")
    return key if key in SIGNAL_FIELDS else None


def _signal_format(filename: str) -> FileFormat:
    """JSON or CSV by extension; anything else is read as JSONL, the format signal feeds usually come in."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    return "json" if suffix == "json" else "csv" if suffix in ("csv", "tsv") else "jsonl"


def parse_signal_rows(data: bytes, filename: str, fmt: FileFormat | None = None) -> ParsedSignals:
    """Read a signals file. Raises InputError when it cannot be read at all (missing, binary, not JSON, empty)."""
    raw = read_items(
        data,
        filename,
        fmt or _signal_format(filename),
        recognise=lambda h: _signal_header(h) is not None,
        wrapper="signals",
        what="signal",
        expected="domain, type, topic, strength, days_ago or observed_at",
    )
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, item in raw.items:
        row: dict[str, Any] = {}
        for key, value in item.items():
            field = key if key.startswith("__") else _signal_header(key)
            if field is not None and field not in row:
                row[field] = value
        rows.append((number, row))
    ignored = [short_header(k) for k in raw.keys if _signal_header(k) is None]
    if not rows:
        raise InputError(f"{filename} holds no signals. Nothing was imported.")
    return ParsedSignals(rows=rows, ignored_columns=ignored, warnings=raw.warnings, decimal_comma=raw.decimal_comma)


def _observed_at(item: Mapping[str, Any], now: datetime, decimal_comma: bool) -> datetime:
    if item.get("observed_at") not in (None, ""):
        try:
            when = Signal.model_validate(
                {"type": "x", "observed_at": _scalar_text(item["observed_at"], "observed_at")}
            ).observed_at
        except ValidationError as exc:
            raise ValueError(
                f"observed_at: {_show(item['observed_at'])} is not a date (use an ISO date such as 2026-11-30)"
            ) from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        age = (now - when).total_seconds() / 86400
        if not -1 <= age <= MAX_SIGNAL_DAYS_AGO:
            raise ValueError(
                f"observed_at: {when.date().isoformat()} is out of range (allowed: from {MAX_SIGNAL_DAYS_AGO:,} days "
                "ago to today)"
            )
        return when
    days = _bounded(item.get("days_ago"), "days_ago", 0, MAX_SIGNAL_DAYS_AGO, decimal_comma=decimal_comma)
    if days is not None:
        return now - timedelta(days=days)
    raise ValueError("missing observed_at (an ISO date) or days_ago")


def read_signal(
    item: Mapping[str, Any], *, now: datetime | None = None, decimal_comma: bool = False
) -> tuple[Signal, list[str]]:
    """One signal from a row (the domain, if any, is not read here); raises ValueError with the row's reason."""
    if "__invalid__" in item:
        raise ValueError(f"not a signal object: {_show(item['__invalid__'])}")
    if "__error__" in item:
        raise ValueError(str(item["__error__"]))
    now = now or datetime.now(UTC)
    notes: list[str] = []
    problems: list[str] = []
    data: dict[str, Any] = {}
    for field in ("type", "topic"):
        if item.get(field) is not None:
            try:
                data[field] = clean_str(clean_text(_scalar_text(item[field], field), field, notes)) or ""
            except ValueError as exc:
                problems.append(str(exc))
    if not data.get("type") and not any(p.startswith("type") for p in problems):
        problems.append("missing type (e.g. intent, hiring, funding, engagement)")
    if item.get("strength") not in (None, ""):
        try:
            data["strength"] = _bounded(item["strength"], "strength", 0, 1, decimal_comma=decimal_comma)
        except ValueError as exc:
            problems.append(str(exc))
    try:
        data["observed_at"] = _observed_at(item, now, decimal_comma)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise ValueError("; ".join(problems))
    try:
        return Signal.model_validate(data), notes
    except ValidationError as exc:
        raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc


def read_signal_row(
    item: Mapping[str, Any], *, now: datetime | None = None, decimal_comma: bool = False
) -> tuple[str, Signal, list[str]]:
    """The normalised domain and the signal of one row of a signals file; raises ValueError with the reason."""
    problems: list[str] = []
    notes: list[str] = []
    domain = ""
    raw = item.get("domain")
    if "__invalid__" not in item and "__error__" not in item:
        try:
            text = (
                clean_str(clean_text(_scalar_text(raw, "domain"), "domain", notes, keep_controls=True))
                if raw is not None
                else None
            )
            if not text:
                problems.append("missing domain")
            else:
                domain = validate_domain(text)
                if "@" in text and "://" not in text:
                    notes.append(f"domain: took the domain from the e-mail address {text!r}")
        except ValueError as exc:
            problems.append(str(exc) if str(exc).startswith("domain") else f"domain: {exc}")
    try:
        signal, signal_notes = read_signal(item, now=now, decimal_comma=decimal_comma)
    except ValueError as exc:
        raise ValueError("; ".join([*problems, str(exc)])) from None
    if problems:
        raise ValueError("; ".join(problems))
    return domain, signal, notes + signal_notes


def read_signal_list(value: Any, *, now: datetime | None = None) -> list[Signal]:
    """The ``signals`` list inside a company object; raises ValueError with the reason."""
    if not value:
        return []
    if not isinstance(value, list):
        raise ValueError("signals must be a list of objects with type, topic, strength and observed_at or days_ago")
    if len(value) > MAX_LIST_ITEMS:
        raise ValueError(f"signals has {len(value):,} items; the limit is {MAX_LIST_ITEMS:,}")
    signals = []
    for index, item in enumerate(value, 1):
        if not isinstance(item, Mapping):
            raise ValueError(f"signals[{index}] is not an object")
        try:
            signals.append(read_signal(item, now=now)[0])
        except ValueError as exc:
            raise ValueError(f"signals[{index}]: {exc}") from None
    return signals
