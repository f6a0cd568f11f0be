"""What reading a file produces: rows before validation, and the problems found on the way."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class RowError(BaseModel):
    """Why one input row was rejected."""

    row: int = Field(description="Row number as a spreadsheet shows it (header is row 1) or JSON item/line number.")
    reason: str
    name: str | None = None
    domain: str | None = None


class RowWarning(BaseModel):
    """Something worth checking that did not stop a row (or the file) from landing.

    Examples: the file was not UTF-8 and its encoding was guessed, a domain was taken from an e-mail
    address, an undecodable character was replaced.
    """

    row: int | None = Field(default=None, description="The row it concerns; None for the whole file.")
    message: str


class ParsedRows(BaseModel):
    """Rows read from a file before validation, with the header mapping used."""

    rows: list[tuple[int, dict[str, Any]]]
    mapping: dict[str, str]
    ignored_columns: list[str]
    warnings: list[RowWarning] = Field(default_factory=list)
    decimal_comma: bool = Field(
        default=False,
        description="Numbers use ',' as the decimal mark and '.' between thousands ('1.250' is 1250, '12,5' is 12.5): "
        "true for ';'-delimited CSV, Excel's CSV where the decimal mark is a comma.",
    )
