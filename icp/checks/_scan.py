"""Scanning company text for vocabulary: case-insensitive, whole-word, and fast on the common case."""

from __future__ import annotations

import re
from collections.abc import Iterator


class WordScanner:
    """A case-insensitive pattern that scans ASCII text through its lowercase, about twice as fast.

    ``re.IGNORECASE`` folds case at every character the engine tries, which is most of the cost of
    scanning a description against a few hundred vocabulary phrases. For ASCII text, matching the
    lowercased text with a lowercase pattern finds exactly the same spans (lowercasing ASCII keeps
    every offset), so offsets still index the original text for quoting; other text takes the
    case-insensitive pattern. Matched groups come back lowercase on the fast path.
    """

    __slots__ = ("_folded", "_lower")

    def __init__(self, pattern: str) -> None:
        if any(ch.isupper() for ch in pattern):
            raise ValueError(f"pattern must be lowercase (escapes like \\W included): {pattern[:60]!r}")
        self._folded = re.compile(pattern, re.IGNORECASE)
        self._lower = re.compile(pattern)

    def finditer(self, text: str, lower: str | None = None) -> Iterator[re.Match[str]]:
        """Matches in ``text``; pass ``text.lower()`` as ``lower`` when it is already at hand."""
        if text.isascii():
            return self._lower.finditer(text.lower() if lower is None else lower)
        return self._folded.finditer(text)

    def search(self, text: str, lower: str | None = None) -> re.Match[str] | None:
        """The first match in ``text``, or None."""
        if text.isascii():
            return self._lower.search(text.lower() if lower is None else lower)
        return self._folded.search(text)
