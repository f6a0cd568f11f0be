"""Skimming a pattern: reading what its matches start with, and scanning with the same matches as finditer."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icp.checks import _amounts, _names, _parser
from icp.checks._skim import Skim, first_characters


@pytest.mark.parametrize(
    ("pattern", "firsts"),
    [
        (r"\b(?:not|no|never)\b", {"n"}),
        (r"\b(?:excluded|disqualif\w*|(?:do|does) not qualify)\b", {"e", "d"}),
        (r"(?P<pre>\b(?:post |at least )?)\b(?:seed|angel)", {"p", "a", "s"}),  # an optional group, then more
        (r"(?:microsoft |ms )?dynamics", {"m", "d"}),
        (r"(?<![\w&])[a-c]x", {"a", "b", "c"}),
        (r"(?=ab)a|\$5", {"a", "$"}),
        (r"\d+", None),  # a category: any of hundreds of digits
        (r".x", None),
        (r"[^a]x", None),
        (r"a?", None),  # may match nothing
        (r"(?i)abc", None),  # ignores case
        (r"(?:a|)b", {"a", "b"}),
        (r"(a)\1", {"a"}),
    ],
)
def test_first_characters_are_read_from_the_pattern(pattern: str, firsts: set[str] | None) -> None:
    assert first_characters(pattern) == (None if firsts is None else frozenset(firsts))


def test_a_pattern_ignoring_case_is_scanned_as_it_is() -> None:
    assert first_characters("abc", re.IGNORECASE) is None
    skim = Skim(re.compile(r"\bfoo\b", re.IGNORECASE))
    assert [m.span() for m in skim.finditer("a FOO foo")] == [(2, 5), (6, 9)]


def _criteria_skims() -> list[Skim]:
    skims = [_parser._PREFIX_NEGATION_PLAIN, _parser._SUFFIX_NEGATION, _names._SERIES_RE, _names._BARE_PUBLIC]
    skims += [_amounts._FOUNDED_RE, _amounts._FOUNDED_RECENT_RE]
    skims += [skim for skim, _ in (*_names._FUNDING_PHRASES, *_amounts._AGE_PATTERNS)]
    return skims


_SKIMS = _criteria_skims()
_WORDS = sorted(
    {word for skim in _SKIMS for word in re.findall(r"[a-z']{2,}", skim.pattern.pattern)}
    | {"a", "b", "h", "ipo", "don't", "x"}
)
_PIECES = [" ", "  ", "-", ",", ".", "/", "&", ";", "+", "1999", "2012", "5", "10", "ö", "é", "\n", "_", "'s"]


def test_the_criteria_patterns_mostly_skip() -> None:
    skipping = [skim for skim in _SKIMS if skim._starts is not None]
    assert len(skipping) >= len(_SKIMS) - 3  # three age patterns open with a digit class


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_WORDS), st.sampled_from(_PIECES)), min_size=1, max_size=16))
def test_skimming_finds_exactly_what_finditer_and_search_find(parts: list[str]) -> None:
    text = " ".join(parts) if len(parts) % 2 else "".join(parts)
    for skim in _SKIMS:
        expected = [(m.span(), m.groups()) for m in skim.pattern.finditer(text)]
        assert [(m.span(), m.groups()) for m in skim.finditer(text)] == expected, skim.pattern.pattern
        first = skim.pattern.search(text)
        found = skim.search(text)
        assert (found and (found.span(), found.groups())) == (first and (first.span(), first.groups()))
