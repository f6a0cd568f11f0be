"""Scanning text for a pattern by skipping, in C, to the characters a match can start with.

Python's regular-expression engine skips ahead in C only when a pattern opens with a literal
character or a character class. A pattern that opens with a word boundary, a look-behind or a group
is tried at every position of the text, which for a megabyte of criteria costs tens of milliseconds
per pattern however rarely it matches. The characters a match can start with are read from the
pattern itself (its parsed form, so every pattern gets the same exact reading), and the scan opens
with them: the engine skips to the next such character, and only there tries the pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple

# The parsed form of a pattern, as the ``re`` module itself reads it. Should a later Python change
# it, every reading below gives None and each scan keeps its plain form: slower, never different.
try:
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other Pythons than 3.11-3.13
    _sre = _sre_parse = None

# Beyond this many first characters (most letters) skipping to them saves less than checking each costs:
# the funding phrases' 13 take a third off their scan, the place names' 26 add a fifth to theirs.
_MOST_FIRSTS = 16
_WORD_CHARACTER = re.compile(r"\w")


class _Firsts(NamedTuple):
    chars: frozenset[str]  # what a match can start with
    empty: bool  # whether it may match empty text
    bounded: bool  # whether a word boundary (``\b``) stands before each of those characters


def first_characters(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """The characters every match of ``pattern`` can start with, or None when unknown.

    None when the pattern can match empty text, ignores case, or opens with something whose first
    characters are not a short list (``.``, ``\\w``, a negated class, a back-reference). Look-arounds
    and anchors before the first character are passed over: they only ever narrow where a match starts.
    """
    firsts = _firsts(pattern, flags)
    return None if firsts is None else firsts.chars


def _firsts(pattern: str, flags: int) -> _Firsts | None:
    if _sre_parse is None or flags & re.IGNORECASE:
        return None
    try:
        parsed = _sre_parse.parse(pattern, flags)
        if parsed.state.flags & re.IGNORECASE:  # "(?i)" at the start of the pattern
            return None
        found = _sequence(list(parsed), after_boundary=False)
    except (re.error, TypeError, ValueError, AttributeError):
        return None
    return None if found is None or found.empty or not found.chars else found


def _sequence(items: list[tuple[Any, Any]], *, after_boundary: bool) -> _Firsts | None:
    """The first characters of parsed items one after another."""
    chars: set[str] = set()
    bounded = True
    for op, argument in items:
        if op is _sre.AT:
            after_boundary = after_boundary or argument is _sre.AT_BOUNDARY
            continue
        if op in (_sre.ASSERT, _sre.ASSERT_NOT):
            continue  # zero width: the first character comes after it
        one = _item(op, argument, after_boundary)
        if one is None:
            return None
        chars |= one.chars
        bounded = bounded and one.bounded
        if not one.empty:
            return _Firsts(frozenset(chars), False, bounded)
    return _Firsts(frozenset(chars), True, bounded)


def _item(op: Any, argument: Any, after_boundary: bool) -> _Firsts | None:
    if op is _sre.LITERAL:
        return _Firsts(frozenset(chr(argument)), False, after_boundary)
    if op is _sre.IN:
        chars = _class_members(argument)
        return None if chars is None else _Firsts(chars, False, after_boundary)
    if op is _sre.SUBPATTERN:
        _group, add_flags, _del_flags, body = argument
        return None if add_flags & re.IGNORECASE else _sequence(list(body), after_boundary=after_boundary)
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return _sequence(list(argument), after_boundary=after_boundary)
    if op is _sre.BRANCH:
        alternatives = [_sequence(list(branch), after_boundary=after_boundary) for branch in argument[1]]
        if any(one is None for one in alternatives):
            return None
        known = [one for one in alternatives if one is not None]
        return _Firsts(
            frozenset().union(*(one.chars for one in known)),
            any(one.empty for one in known),
            all(one.bounded for one in known),
        )
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
        least, _most, body = argument
        one = _sequence(list(body), after_boundary=after_boundary)
        return None if one is None else one._replace(empty=one.empty or least == 0)
    return None  # any character, a category, a back-reference: not a short list


def _class_members(members: list[tuple[Any, Any]]) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, argument in members:
        if op is _sre.LITERAL:
            chars.add(chr(argument))
        elif op is _sre.RANGE and argument[1] - argument[0] < 64:
            chars.update(chr(code) for code in range(argument[0], argument[1] + 1))
        else:
            return None  # a category (\d, \w), a negation, a wide range
    return frozenset(chars)


def _class(chars: frozenset[str]) -> str:
    return "[" + "".join(re.escape(ch) for ch in sorted(chars)) + "]"


class Skim:
    """``pattern``'s ``finditer`` and ``search``, with the same matches, skipping to where one can start.

    The scan is ``[firsts](?<=(?=pattern).)``: the class lets the engine skip in C to the next character
    a match can start with, and the look-behind holding a look-ahead tries the whole pattern from that
    character, so every place it stops is a match of ``pattern``. A pattern that opens with ``\\b`` also
    checks the boundary before the look-ahead (the character before is not a word character), which
    turns away most letters inside words at once. Matches are taken left to right, each from the end of
    the one before, exactly as ``finditer`` takes them. A pattern whose first characters are unknown, or
    may be most letters, is scanned as it is.
    """

    __slots__ = ("_starts", "pattern")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self._starts = _starts(pattern.pattern, pattern.flags)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self._starts is None:
            return self.pattern.finditer(text)
        return matches_at_starts(self._starts, self.pattern, text)

    def search(self, text: str) -> re.Match[str] | None:
        if self._starts is None:
            return self.pattern.search(text)
        start = self._starts.search(text)
        return None if start is None else self.pattern.match(text, start.start())


@cache
def _starts(pattern: str, flags: int) -> re.Pattern[str] | None:
    firsts = _firsts(pattern, flags)
    if firsts is None or len(firsts.chars) > _MOST_FIRSTS:
        return None
    word_first = firsts.bounded and all(_WORD_CHARACTER.match(ch) for ch in firsts.chars)
    boundary = r"(?<!\w.)" if word_first else ""  # \b before a word character: none stands before it
    return re.compile(f"{_class(firsts.chars)}{boundary}(?<=(?={pattern}).)", flags)


def matches_at_starts(start: re.Pattern[str], pattern: re.Pattern[str], source: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(source)``, trying ``pattern`` only where ``start`` matches.

    ``start`` must match wherever a match of ``pattern`` can begin (a zero-width lookahead of the same
    words, or just the characters a match starts with), and ``pattern`` must never match empty text.
    Worth it where ``start`` is one character class, which the engine skips to without trying the
    whole pattern at every position.
    """
    position = 0
    while (found := start.search(source, position)) is not None:
        match = pattern.match(source, found.start())
        if match is None:  # a start that goes no further (or, for a lookahead of the same words, never)
            position = found.start() + 1
            continue
        yield match
        position = match.end()


def word_starts(alternation: str, tail: str = "") -> re.Pattern[str]:
    r"""Where a whole word of ``alternation`` (then ``tail``) starts, case-sensitively.

    ``match.start()`` gives the same places as ``(?<![\w&])(?=(?:alternation)tail(?![\w&]))``, in
    about half the time: a pattern that opens with a look-behind makes Python's engine try it at every
    position, while this one opens with the characters such a word can start with, so the engine skips
    to the next of them in C, checks the boundary before it, and only then reads the words (from that
    character: a look-behind over it holding a look-ahead). Each match takes that one character; the
    next position is inside the word, where no word starts.
    """
    firsts = first_characters(alternation)
    if firsts is None:
        return re.compile(rf"(?<![\w&])(?=(?:{alternation}){tail}(?![\w&]))")
    return re.compile(rf"{_class(firsts)}(?<![\w&].)(?<=(?=(?:{alternation}){tail}(?![\w&])).)")
