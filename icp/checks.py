"""Structured checks parsed from criterion text and decided from company fields (pure)."""

from __future__ import annotations

from pydantic import BaseModel


class Check(BaseModel):
    """Placeholder base; replaced by the full set of checks."""


def parse_check(text: str) -> Check | None:
    """Return the structured check ``text`` expresses, or None when it has no recognisable structure."""
    return None
