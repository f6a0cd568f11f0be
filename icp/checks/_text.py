"""Criterion text in aligned forms, and the word-boundary patterns every family and scan is built from."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from icp.checks._skim import Skim

_TRANSLATE = str.maketrans(
    {"–": "-", "—": "-", "−": "-", "‐": "-", "‑": "-", "\u00a0": " ", "’": "'", "“": '"', "”": '"'}
)


class _Substitution(NamedTuple):
    """Words the families read as another ("no more than" as "at most"), and what every match contains."""

    pattern: re.Pattern[str]  # ignoring case, for any text
    lower: Skim  # the same words in lower case, for ASCII text's lower case (which keeps every offset)
    replacement: str
    needle: str  # in ASCII text's lower case: text without it skips the pattern

    @classmethod
    def of(cls, pattern: str, replacement: str, needle: str) -> _Substitution:
        return cls(re.compile(pattern, re.I), Skim(re.compile(pattern)), replacement, needle)

    def apply(self, norm: str, folded: str | None) -> tuple[str, str | None]:
        """``norm`` with the words replaced, and its lower case when ``folded`` (ASCII ``norm``'s) is given.

        ASCII text is read through its lower case, so the scan can skip to where the words start; a
        case-insensitive pattern cannot.
        """
        if folded is None:
            return self.pattern.sub(self.replacement, norm), None
        if self.needle not in folded:
            return norm, folded
        pieces: list[str] = []
        done = 0
        for match in self.lower.finditer(folded):
            pieces += [norm[done : match.start()], self.replacement]
            done = match.end()
        if not pieces:
            return norm, folded
        pieces.append(norm[done:])
        replaced = "".join(pieces)
        return replaced, replaced.lower()


_PRE_SUBSTITUTIONS = (
    _Substitution.of(r"≥", ">=", "≥"),
    _Substitution.of(r"≤", "<=", "≤"),
    _Substitution.of(
        r"\b(?:no|not) (?:more|greater|bigger|larger) than\b|\bnot exceeding\b|\bnot over\b", "at most", "no"
    ),
    _Substitution.of(r"\b(?:no|not) (?:less|fewer|smaller) than\b|\bnot under\b", "at least", "no"),
    _Substitution.of(r"\b(?:and|&)\s*/\s*or\b", "or", "/"),
)


@dataclass(slots=True)
class _Atom:
    start: int
    end: int
    family: str
    payload: Any  # per family: range tuple, _Place, industry keys, (kind, name), stages, years
    negated: bool = False


_CONSUMED = re.compile(b"\x01+")

# Joins the clauses of a segment so each family reads them all in one scan. No clause contains it
# (clauses are split at it), no pattern matches it, and it is neither a word character nor a space, so a
# match can neither cross it nor see it differently from the start or end of a lone clause.
CLAUSE_SEPARATOR = ";"


def ends_with(text: str, start: int, end: int, words: tuple[str, ...]) -> bool:
    """Whether ``text[start:end]``, its trailing spaces left out, ends with one of ``words`` (read in place)."""
    while end > start and text[end - 1].isspace():
        end -= 1
    return text.endswith(words, start, end)


class _Text:
    """The criterion in three aligned forms: as written (for upper-case codes), lower-case, and masked.

    Each family consumes its spans so that "2010-2020" after "founded" is not also read as a
    headcount, and "PE-backed" is not read as Peru.

    ASCII text (nearly every criterion) keeps its masked forms as byte buffers blanked in place by
    each consume, so reading a masked form after many consumes costs one copy rather than a rebuild
    from every consumed run; other text builds them from the runs of the mask.
    """

    def __init__(self, text: str, *, clauses: bool = False) -> None:
        norm = text.translate(_TRANSLATE)
        folded = norm.lower() if norm.isascii() else None  # other text always takes every pattern
        for substitution in _PRE_SUBSTITUTIONS:
            norm, folded = substitution.apply(norm, folded)
        self.norm = norm
        # Where each clause starts and ends: one clause, or (``clauses``) several joined by CLAUSE_SEPARATOR.
        cuts = [m.start() for m in re.finditer(CLAUSE_SEPARATOR, norm)] if clauses else []
        self.starts = [0, *(cut + 1 for cut in cuts)]
        self.ends = [*cuts, len(norm)]
        # Lower-case that keeps every offset: ASCII at once, other text character by character (a few
        # characters lower-case to two, and keep their case here).
        self.ascii = norm.isascii()
        self.low = norm.lower() if self.ascii else "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in norm)
        self._mask = bytearray(len(norm))
        # ASCII only: the masked forms, lower-case first, blanked in place.
        self._buffers = (bytearray(self.low, "ascii"), bytearray(norm, "ascii")) if self.ascii else None
        self._masked: dict[bool, str] = {}  # the masked forms, until the next consume

    def consume(self, start: int, end: int) -> None:
        self._mask[start:end] = b"\x01" * (end - start)
        if self._buffers is not None:
            blank = b" " * (end - start)
            self._buffers[0][start:end] = blank
            self._buffers[1][start:end] = blank
        self._masked.clear()

    def clause(self, position: int) -> tuple[int, int]:
        """Where the clause holding ``position`` starts and ends: what the windows around a fact may read."""
        index = bisect_right(self.starts, position) - 1
        return self.starts[index], self.ends[index]

    def free(self, start: int, end: int) -> bool:
        return self._mask.find(1, start, end) < 0

    def masked(self, *, lower: bool = True) -> str:
        cached = self._masked.get(lower)
        if cached is None:
            cached = self._masked[lower] = self._mask_now(lower)
        return cached

    def _mask_now(self, lower: bool) -> str:
        if self._buffers is not None:
            return self._buffers[0 if lower else 1].decode("ascii")
        source = self.low if lower else self.norm
        pieces: list[str] = []
        done = 0
        for run in _CONSUMED.finditer(self._mask):  # runs of consumed characters, found in C: linear
            pieces += [source[done : run.start()], " " * (run.end() - run.start())]
            done = run.end()
        pieces.append(source[done:])
        return "".join(pieces)


def _split_alternatives(pattern: str) -> list[str]:
    """Top-level ``|`` alternatives of a regex (ignoring those inside groups and character classes)."""
    parts, depth, in_class, current = [], 0, False, []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            current.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _plain_first(alternative: str) -> str:
    """The letter or digit every match of ``alternative`` starts with, when it opens with one that no
    quantifier follows; "" when it opens with anything else (a group, a class, an escape)."""
    first = alternative[:1]
    return first if first.isalnum() and alternative[1:2] not in ("?", "*", "{") else ""


def _grouped_alternation(patterns: list[str]) -> str:
    """One alternation grouped by literal first character, longest alternatives first.

    Python's regex engine tries alternatives one by one at every position; grouping them behind their
    first letter lets it skip all but one group, which makes the once-per-company scan of a
    description several times faster.
    """
    by_first: dict[str, list[str]] = {}
    other: list[str] = []
    for alternative in dict.fromkeys(a for p in patterns for a in _split_alternatives(p)):
        if first := _plain_first(alternative).lower():
            by_first.setdefault(first, []).append(alternative[1:])
        else:
            other.append(alternative)
    groups = [
        f"{re.escape(first)}(?:{'|'.join(sorted(rests, key=len, reverse=True))})"
        for first, rests in sorted(by_first.items())
    ]
    return "|".join([*groups, *other])


def compile_words(*patterns: str, plural: bool = False) -> re.Pattern[str]:
    """Case-insensitive whole-word alternation of ``patterns``, grouped by first letter for speed.

    Used for every scan of company text, which runs once per company per criterion family.
    """
    return re.compile(_words_pattern(patterns, plural), re.I)


def word_scanner(*patterns: str, plural: bool = False) -> WordScanner:
    """:func:`compile_words` for scanning company text: the same matches, faster on ASCII text."""
    return WordScanner(_words_pattern(patterns, plural))


def _words_pattern(patterns: tuple[str, ...], plural: bool) -> str:
    body = _grouped_alternation(list(patterns))
    return _word(f"(?:{body})s?" if plural else body)


def _word(pattern: str) -> str:
    """Wrap alternatives in word boundaries that tolerate dots and ampersands inside ("u.s.", "uk&i")."""
    return rf"(?<![\w&])(?:{pattern})(?![\w&])"


# Between two atoms that belong together ("B2B SaaS", "Series-B"): nothing but spaces and hyphens.
_ADJACENT_GAP = re.compile(r"^[\s-]*$")


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
