"""What a deal export row says: its id, result (won / lost / open), amount and dates. Pure.

HubSpot deal exports ("Deal Name", "Deal Stage", "Amount", "Close Date", "Create Date", "Associated
Company Domain") and Salesforce opportunity exports ("Opportunity Name", "Stage", "Won", "Closed",
"Amount", "Close Date", "Created Date", "Account Website", "Account Name") map onto the same fields as the
canonical names (``deal_id, name, stage, outcome, amount, created, closed, domain, company``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DealResult = Literal["won", "lost", "open"]

DEAL_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "deal_id": ("deal id", "record id", "opportunity id", "opportunityid", "id", "hs object id", "external id"),
    "name": ("deal name", "opportunity name", "opportunity", "deal", "name"),
    "stage": ("deal stage", "stage", "stage name", "stagename", "opportunity stage", "pipeline stage"),
    "outcome": ("outcome", "result", "deal outcome", "won lost"),
    "won": ("is won", "iswon", "won", "closed won", "hs is closed won", "is closed won"),
    "closed": ("is closed", "isclosed", "closed", "hs is closed"),
    "amount": ("amount", "deal amount", "opportunity amount", "amount usd", "amount in company currency", "acv"),
    "created": ("create date", "created date", "createdate", "createddate", "created", "created on", "open date"),
    "closed_on": ("close date", "closedate", "closed date", "closed on", "date closed"),
    "domain": (
        "associated company domain",
        "associated company domain name",
        "company domain",
        "company domain name",
        "account website",
        "account domain",
        "website",
        "domain",
    ),
    "company": ("associated company", "associated company name", "company name", "account name", "company", "account"),
}
_INDEX = {re.sub(r"[^a-z0-9]", "", alias): field for field, aliases in DEAL_HEADER_ALIASES.items() for alias in aliases}
_INDEX.update({re.sub(r"[^a-z0-9]", "", field): field for field in DEAL_HEADER_ALIASES})


def map_deal_header(header: str) -> str | None:
    """The canonical deal field a column header means, or None."""
    return _INDEX.get(re.sub(r"[^a-z0-9]", "", header.lower()))


# Stage names of HubSpot's and Salesforce's default pipelines, compared as letters only.
_WON_STAGES = frozenset({"closedwon", "won", "signed", "contractsigned"})
_LOST_STAGES = frozenset({"closedlost", "lost", "disqualified", "closeddisqualified"})
_TRUE = frozenset({"true", "yes", "y", "1", "t", "x"})
_FALSE = frozenset({"false", "no", "n", "0", "f", ""})


def stage_key(stage: str) -> str:
    """A stage name as compared: letters and digits only, lower case."""
    return re.sub(r"[^a-z0-9]", "", stage.lower())


def _flag(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {str(value)[:40]!r}")


def deal_result(row: Mapping[str, Any], stage_map: Mapping[str, DealResult] | None = None) -> tuple[DealResult, bool]:
    """Won, lost or open from a row's outcome, won/closed flags or stage; and whether the stage was unknown.

    Order of authority: an explicit outcome; Salesforce's IsClosed/IsWon flags; the stage through
    ``stage_map`` (the team's custom stage names), then the default pipelines' closed stages. A stage the
    rules do not know counts as open (still in the pipeline) and is reported so it can be mapped.
    """
    outcome = row.get("outcome")
    if outcome not in (None, ""):
        key = stage_key(str(outcome))
        if key in {"won", "closedwon"}:
            return "won", False
        if key in {"lost", "closedlost"}:
            return "lost", False
        if key == "open":
            return "open", False
        raise ValueError(f"outcome must be won, lost or open, got {str(outcome)[:40]!r}")
    closed, won = _flag(row.get("closed")), _flag(row.get("won"))
    if closed is False:
        return "open", False
    if won is True:
        return "won", False
    if closed is True:
        return "lost", False
    stage = row.get("stage")
    if stage in (None, ""):
        raise ValueError("no stage, outcome or won/closed flag to tell whether the deal was won")
    key = stage_key(str(stage))
    custom = {stage_key(k): v for k, v in (stage_map or {}).items()}
    if key in custom:
        return custom[key], False
    if key in _WON_STAGES:
        return "won", False
    if key in _LOST_STAGES:
        return "lost", False
    return "open", True


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%m/%d/%Y %H:%M",
)


def parse_day(value: Any, field: str) -> date | None:
    """A date as exports write it (ISO, US m/d/Y, d.m.Y, with or without a time); None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{field} {text[:40]!r} is not a date (use YYYY-MM-DD)")


class Deal(BaseModel):
    """One deal or opportunity, as read from a row (before it is matched to a company)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deal_id: str = Field(min_length=1, max_length=200)
    name: str = ""
    stage: str = ""
    result: DealResult
    amount: float | None = Field(default=None, ge=0, le=1e13)
    created: date | None = None
    closed_on: date | None = None
    domain: str | None = None
    company: str | None = None
    stage_unknown: bool = False
