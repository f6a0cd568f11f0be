"""Reading deal exports (CSV, JSON, JSONL) with the same reader, encodings and row errors as company files."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from icp.importing import FileFormat, RowError, RowWarning, clean_str, map_columns, parse_amount, read_items
from icp.outcomes._deals import Deal, DealResult, deal_result, map_deal_header, parse_day


class ParsedDeals(BaseModel):
    """Deals read from a file, the rows that could not be read, and how the columns were mapped."""

    deals: list[tuple[int, Deal]] = Field(default_factory=list)
    errors: list[RowError] = Field(default_factory=list)
    warnings: list[RowWarning] = Field(default_factory=list)
    mapping: dict[str, str] = Field(default_factory=dict)
    ignored_columns: list[str] = Field(default_factory=list)


def _deal_id(mapped: Mapping[str, Any]) -> str:
    """The CRM's id; without one, a stable id from what names the deal (so a re-import still upserts)."""
    given = clean_str(mapped.get("deal_id"))
    if given:
        return given[:200]
    key = "|".join(str(mapped.get(f) or "").strip().casefold() for f in ("name", "domain", "company", "created"))
    return "derived:" + hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=10).hexdigest()


def read_deal(mapped: Mapping[str, Any], stage_map: Mapping[str, DealResult] | None, *, decimal_comma: bool) -> Deal:
    """One mapped row as a :class:`Deal`; raises ValueError with a reason a person can act on."""
    if "__invalid__" in mapped:
        raise ValueError(f"not a deal object: {str(mapped['__invalid__'])[:60]!r}")
    if "__error__" in mapped:
        raise ValueError(str(mapped["__error__"]))
    result, unknown = deal_result(mapped, stage_map)
    try:
        return Deal(
            deal_id=_deal_id(mapped),
            name=(clean_str(mapped.get("name")) or "")[:300],
            stage=(clean_str(mapped.get("stage")) or "")[:100],
            result=result,
            amount=parse_amount(mapped.get("amount"), "amount", decimal_comma=decimal_comma),
            created=parse_day(mapped.get("created"), "create date"),
            closed_on=parse_day(mapped.get("closed_on"), "close date"),
            domain=clean_str(mapped.get("domain")),
            company=clean_str(mapped.get("company")),
            stage_unknown=unknown,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from exc


def read_deals(
    data: bytes,
    filename: str,
    *,
    fmt: FileFormat | None = None,
    stage_map: Mapping[str, DealResult] | None = None,
) -> ParsedDeals:
    """Read a HubSpot deal export, a Salesforce opportunity export or canonical columns. Bad rows are row errors."""
    raw = read_items(
        data,
        filename,
        fmt,
        recognise=lambda header: map_deal_header(header) is not None,
        wrapper="deals",
        what="deal",
        expected="'Deal Name', 'Deal Stage', 'Close Date', 'Create Date' or deal_id, name, stage, outcome",
    )
    mapping, ignored = map_columns(raw.keys, map_deal_header)
    parsed = ParsedDeals(warnings=list(raw.warnings), mapping=mapping, ignored_columns=ignored)
    for number, item in raw.items:
        mapped = {mapping[k]: v for k, v in item.items() if k in mapping}
        mapped.update({k: v for k, v in item.items() if k in ("__invalid__", "__error__")})
        try:
            deal = read_deal(mapped, stage_map, decimal_comma=raw.decimal_comma)
        except ValueError as exc:
            name = clean_str(mapped.get("name")) if "__invalid__" not in mapped else None
            parsed.errors.append(
                RowError(row=number, reason=str(exc), name=name, domain=clean_str(mapped.get("domain")))
            )
            continue
        parsed.deals.append((number, deal))
    return parsed
