"""Where industry triggers match in criterion text, one scan for every industry (and what a pattern can start with).

Each industry's triggers are a regular expression read with its own ``finditer``; reading the text
once per industry (more than sixty) made industries the slowest family, so the text is scanned once
for where any trigger starts, and at each such place only the industries that can start there are
tried, with one call.
"""

from __future__ import annotations

import re

from icp.checks._skim import word_starts
from icp.checks._text import _grouped_alternation, _plain_first, _split_alternatives, _word
from icp.checks._vocabulary import INDUSTRIES


def _may_start_with(pattern: str, first: str) -> bool:
    """Whether ``pattern`` (lower-case alternatives) can match a text starting with ``first``: a sound
    over-approximation, true whenever an alternative does not begin with a plain letter or digit."""
    return any(_plain_first(alternative) in ("", first) for alternative in _split_alternatives(pattern))


_INDUSTRY_TRIGGERS = {key: re.compile(_word(f"(?:{ind.triggers})(?:s|es)?")) for key, ind in INDUSTRIES.items()}
_INDUSTRY_KEYS = tuple(_INDUSTRY_TRIGGERS)
# Where any industry's trigger starts, in one scan; each match takes only its first character, so the
# starts of triggers inside another trigger's words are all found.
_INDUSTRY_START = word_starts(_grouped_alternation([ind.triggers for ind in INDUSTRIES.values()]), "(?:s|es)?")


def _industries_by_first_letter() -> tuple[dict[str, tuple[int, ...]], tuple[int, ...]]:
    """Which industries' triggers can start with each letter, and those that may start with anything."""
    by_letter: dict[str, list[int]] = {}
    anywhere: list[int] = []
    for index, industry in enumerate(INDUSTRIES.values()):
        firsts: set[str] = set()
        for alternative in _split_alternatives(industry.triggers):
            first = _plain_first(alternative)
            if not first.islower():  # also "" (no plain first character): such a trigger may start anywhere
                firsts = set()
                anywhere.append(index)
                break
            firsts.add(first)
        for first in firsts:
            by_letter.setdefault(first, []).append(index)
    return {k: tuple(v) for k, v in by_letter.items()}, tuple(anywhere)


_INDUSTRIES_BY_LETTER, _INDUSTRIES_ANYWHERE = _industries_by_first_letter()
_INDUSTRY_PATTERNS = tuple(_INDUSTRY_TRIGGERS.values())


def _industry_matches(low: str) -> list[tuple[int, int, int]]:
    """``(industry index, start, end)`` of every industry's own non-overlapping matches, as ``finditer`` per
    industry gives them, in order of where they start (industries starting at one place in industry
    order): each industry is tried only where some trigger starts with a letter its triggers can start
    with, instead of scanning the whole text once per industry."""
    found: list[tuple[int, int, int]] = []
    resume = [0] * len(_INDUSTRY_PATTERNS)  # where each industry's own scan stands
    first_probe = _FIRST_PROBES
    for start in _INDUSTRY_START.finditer(low):
        position = start.start()
        first = low[position]
        probe = first_probe[first] if first in first_probe else _Probe.first(first)
        while probe is not None and (match := probe.pattern.match(low, position)) is not None:
            index, group, probe = probe.after(match)
            end = match.end(group)
            if position >= resume[index]:
                found.append((index, position, end))
                resume[index] = end
    return found


class _Probe:
    """The first of some candidate industries whose trigger matches at a position starting with a given
    character: one call where there was one per candidate industry, then a probe for those after it.

    Each candidate is a lookahead around its own pattern, so group ``e<index>`` spans exactly what that
    industry's ``match`` would (a lookahead keeps its first match), and the empty group ``i<index>``
    after it, the last group to close, names which one matched. Each pattern keeps only the triggers
    that can start with that character, in their order, so nothing it could match is lost and the
    first trigger to match stays the same. Probes are built on first use: most never are.
    """

    __slots__ = ("_after", "_candidates", "_first", "pattern")
    _built: dict[tuple[str, int], _Probe] = {}  # (first character, candidates left) -> probe

    def __init__(self, first: str, candidates: tuple[int, ...]) -> None:
        self._first = first
        self._candidates = candidates
        self.pattern = re.compile(
            "|".join(f"(?=(?P<e{index}>{_industry_pattern(index, first)}))(?P<i{index}>)" for index in candidates)
        )
        self._after: dict[str | None, tuple[int, str, _Probe | None]] = {}

    @classmethod
    def first(cls, first: str) -> _Probe | None:
        """The probe of every industry whose triggers can start with ``first`` (kept in _FIRST_PROBES)."""
        probe = _FIRST_PROBES[first] = cls._for(first, _INDUSTRY_CANDIDATES.get(first, _INDUSTRIES_ANYWHERE))
        return probe

    @classmethod
    def _for(cls, first: str, candidates: tuple[int, ...]) -> _Probe | None:
        if not candidates:
            return None
        probe = cls._built.get((first, len(candidates)))
        if probe is None:
            probe = cls._built[first, len(candidates)] = cls(first, candidates)
        return probe

    def after(self, match: re.Match[str]) -> tuple[int, str, _Probe | None]:
        """The industry ``match`` found, the group spanning its words, and the probe of the candidates after it."""
        known = self._after.get(match.lastgroup)
        if known is None:
            assert match.lastgroup is not None
            index = int(match.lastgroup[1:])
            rest = self._candidates[self._candidates.index(index) + 1 :]
            known = self._after[match.lastgroup] = (index, f"e{index}", self._for(self._first, rest))
        return known


_FIRST_PROBES: dict[str, _Probe | None] = {}  # first character -> the probe of its candidates

# The industries whose triggers can start with a character, in industry order.
_INDUSTRY_CANDIDATES = {first: (*indexes, *_INDUSTRIES_ANYWHERE) for first, indexes in _INDUSTRIES_BY_LETTER.items()}


def _industry_pattern(index: int, first: str) -> str:
    """``_INDUSTRY_PATTERNS[index]`` without the triggers that cannot start with ``first``."""
    triggers = list(INDUSTRIES.values())[index].triggers
    kept = [t for t in _split_alternatives(triggers) if _may_start_with(t, first)]
    return _word(f"(?:{'|'.join(kept)})(?:s|es)?")
