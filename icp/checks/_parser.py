"""Parsing one criterion's words into a check: ranges, places, industries, tools, funding, founding year, negation.

Each family (``_amounts``, ``_names``) finds its atoms in the text; this module applies negation,
groups adjacent atoms of one family into alternatives, and assembles the check tree.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Literal

from icp.checks._amounts import _extract_founded, _extract_ranges
from icp.checks._models import (
    AllOf,
    AnyOf,
    Check,
    FoundedCheck,
    FundingCheck,
    GeoCheck,
    IndustryCheck,
    NotCheck,
    RangeCheck,
    RangeField,
    TechCheck,
)
from icp.checks._names import _SIMILAR_RE, _extract_funding, _extract_geo, _extract_industries, _extract_tech, _Place
from icp.checks._skim import Skim
from icp.checks._text import _ADJACENT_GAP, CLAUSE_SEPARATOR, _Atom, _Text
from icp.checks._vocabulary import (
    FUNDING_STAGES,
    REFERENCE_YEAR,
    TECH_BY_NAME,
)

# --- negation, grouping, assembly ---------------------------------------------------------------

_PREFIX_NEGATION = re.compile(
    r"\b(?:not|no|never|without|excluding|exclude|excludes|except(?: for)?|other than|outside(?: of)?|"
    r"anywhere but|anything but|avoid|avoiding|nor|\w+n't)\b|\bnon(?:-|\b)"
)
# The same without its contractions ("don't", "isn't"): finding "n't" makes the engine read each word
# to its end and back, a third of the scan, so text with no "n't" anywhere takes this one, which can
# also skip to the few letters a negation starts with.
_PREFIX_NEGATION_PLAIN = Skim(re.compile(_PREFIX_NEGATION.pattern.replace(r"|\w+n't", "", 1)))
_SUFFIX_NEGATION = Skim(
    re.compile(
        r"\b(?:excluded|not allowed|need not apply|are out|is out|disqualif\w*|out of scope|not a fit|"
        r"(?:do|does) not qualify|don't qualify|doesn't qualify|not wanted|unwanted|(?:are|is) a no|dealbreakers?)\b"
    )
)
_OR_GAP = re.compile(r"\b(?:or|either|nor)\b|/")
_LIST_GAP = re.compile(r"\b(?:or|and|nor)\b|/|&")
_AND_GAP = re.compile(r"^\s*,?\s*(?:and|&|\+|plus)\s*$")


def _scope(atoms: list[_Atom], low: str) -> list[_Atom]:
    """The run of same-family atoms a negation covers: a comma ends it unless the run is a list ("A, B or C")."""
    if not atoms:
        return []
    family = atoms[0].family
    run = [atoms[0]]
    for atom in atoms[1:]:
        if atom.family != family or " but " in low[run[-1].end : atom.start]:
            break
        run.append(atom)
    gaps = [low[a.end : b.start] for a, b in zip(run, run[1:], strict=False)]
    for index, gap in enumerate(gaps):
        if "," in gap and not any(_LIST_GAP.search(g) for g in gaps[index:]):
            return run[: index + 1]
    return run


# A negation governs the run of facts next to it; no run in a criterion is longer than this, and the
# bound keeps a pasted wall of text linear (each negation looks at a fixed number of facts).
_SCOPE_REACH = 64


def _apply_negations(
    low: str, atoms: list[_Atom], suffixes: list[tuple[int, int]], prefixes: list[tuple[int, int]]
) -> None:
    """Flip the atoms each negation governs; ``atoms`` are in order of their start, ``suffixes`` and
    ``prefixes`` the spans of the negations after and before what they govern (see _negations)."""
    if not suffixes and not prefixes:
        return  # most criteria negate nothing: no need to index their facts
    by_start = atoms
    starts = [a.start for a in by_start]
    by_end = sorted(atoms, key=lambda a: a.end)
    ends = [a.end for a in by_end]
    taken: list[tuple[int, int]] = []
    for suffix in suffixes:
        taken.append(suffix)
        last = bisect_right(ends, suffix[0])
        before = sorted(by_end[max(0, last - _SCOPE_REACH) : last], key=lambda a: a.start, reverse=True)
        for atom in _scope(before, low):
            atom.negated = not atom.negated
    taken_starts = [s for s, _ in taken]
    for prefix_start, prefix_end in prefixes:
        index = bisect_right(taken_starts, prefix_start) - 1
        if index >= 0 and taken[index][0] <= prefix_start < taken[index][1]:
            continue
        first = bisect_left(starts, prefix_end - 1)
        for atom in _scope(by_start[first : first + _SCOPE_REACH], low):
            atom.negated = not atom.negated


def _negations(masked: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The spans of the negations in the masked text: those after what they govern, then those before."""
    prefix = _PREFIX_NEGATION if "n't" in masked else _PREFIX_NEGATION_PLAIN
    return [m.span() for m in _SUFFIX_NEGATION.finditer(masked)], [m.span() for m in prefix.finditer(masked)]


# Checks are frozen, and a long text names the same few places, tools and industries thousands of
# times: each distinct check is validated once and then shared. Bounded, so a stream of distinct
# texts cannot grow it without limit.
_MADE: dict[tuple[object, ...], Check] = {}
_MADE_LIMIT = 16_384


def clear_memos() -> None:
    """Forget every check made and every clause parsed: what a benchmark's cold run starts from."""
    _MADE.clear()
    _parse.cache_clear()
    _industry_check.cache_clear()


def _made(model: type[Check], **fields: object) -> Check:
    """``model(**fields)``, or the equal check already made."""
    key = (model, *fields.items())
    made = _MADE.get(key)
    if made is None:
        if len(_MADE) >= _MADE_LIMIT:
            _MADE.clear()
        made = _MADE[key] = model(**fields)
    return made


_BUSINESS_MODELS = frozenset({"b2b", "b2c", "saas", "marketplace"})


def _build_leaf(family: str, group: list[_Atom], low: str) -> Check:
    if family.startswith("range:"):
        field: RangeField = "employees" if family == "range:employees" else "revenue"
        lo: float | None = None
        hi: float | None = None
        lo_inc = hi_inc = True
        for atom in group:
            _, a_lo, a_hi, a_lo_inc, a_hi_inc = atom.payload
            if a_lo is not None and (lo is None or a_lo > lo):
                lo, lo_inc = a_lo, a_lo_inc
            if a_hi is not None and (hi is None or a_hi < hi):
                hi, hi_inc = a_hi, a_hi_inc
        return _made(RangeCheck, field=field, minimum=lo, maximum=hi, min_inclusive=lo_inc, max_inclusive=hi_inc)
    if family == "geo":
        places = [a.payload for a in group if isinstance(a.payload, _Place)]
        return _made(
            GeoCheck,
            places=tuple(dict.fromkeys(p.label for p in places)),
            countries=tuple(sorted({c for p in places for c in p.countries})),
            subdivisions=tuple(sorted({s for p in places for s in p.subdivisions})),
        )
    if family == "industry":
        return _industry_leaf(group, low)
    if family == "tech":
        names = [a.payload[1] for a in group if a.payload[0] == "tech"]
        categories = [a.payload[1] for a in group if a.payload[0] == "category"]
        span = low[group[0].start : min(len(low), group[-1].end + 25)]
        if names:
            similar = bool(_SIMILAR_RE.search(span)) or bool(categories and "(" in span)
            categories = (
                [*categories, *(TECH_BY_NAME[n].categories[0] for n in names)]
                if similar and not categories
                else categories
                if similar
                else []
            )
        name_gaps = [
            low[a.end : b.start]
            for a, b in zip(group, group[1:], strict=False)
            if a.payload[0] == "tech" and b.payload[0] == "tech"
        ]
        match_all = len(names) > 1 and len(name_gaps) == len(names) - 1 and all(_AND_GAP.match(g) for g in name_gaps)
        return _made(
            TechCheck,
            technologies=tuple(dict.fromkeys(names)),
            categories=tuple(dict.fromkeys(categories)),
            match="all" if match_all else "any",
        )
    if family == "funding":
        wanted = {s for a in group for s in a.payload}
        return _made(FundingCheck, stages=tuple(s for s in FUNDING_STAGES if s in wanted))
    lo_year: int | None = None
    hi_year: int | None = None
    for atom in group:
        a_lo, a_hi = atom.payload
        if a_lo is not None and (lo_year is None or a_lo > lo_year):
            lo_year = a_lo
        if a_hi is not None and (hi_year is None or a_hi < hi_year):
            hi_year = a_hi
    return _made(FoundedCheck, min_year=lo_year, max_year=hi_year)


def _industry_leaf(group: list[_Atom], low: str) -> Check:
    """Industries named together; a business model ("B2B", "SaaS") beside them qualifies each of them."""
    gaps = tuple(low[a.end : b.start] for a, b in zip(group, group[1:], strict=False))
    return _industry_check(tuple(a.payload for a in group), gaps)


@lru_cache(maxsize=4096)
def _industry_check(payloads: tuple[tuple[str, ...], ...], gaps: tuple[str, ...]) -> Check:
    """The check of industries named together: it depends only on their keys and the words between them,
    which a long text repeats (most often a single industry, with no words between)."""
    keys = tuple(dict.fromkeys(k for payload in payloads for k in payload))
    adjacent = len(payloads) > 1 and all(_ADJACENT_GAP.match(g) for g in gaps)
    models = tuple(k for k in keys if k in _BUSINESS_MODELS)
    others = tuple(k for k in keys if k not in _BUSINESS_MODELS)
    if models and others:
        model_other_gaps = [
            gap
            for a, b, gap in zip(payloads, payloads[1:], gaps, strict=False)
            if (set(a) <= _BUSINESS_MODELS) != (set(b) <= _BUSINESS_MODELS)
        ]
        if not any(_OR_GAP.search(g) for g in model_other_gaps):
            # "B2B fintech or insurance": the business model qualifies every industry named with it.
            model_match: Literal["any", "all"] = "all" if adjacent or not _OR_GAP.search(" ".join(gaps)) else "any"
            return _made(
                AllOf,
                checks=(
                    _made(IndustryCheck, industries=models, match=model_match),
                    _made(IndustryCheck, industries=others, match="any"),
                ),
            )
    return _made(IndustryCheck, industries=keys, match="all" if adjacent else "any")


def _combine(kind: Literal["any_of", "all_of"], checks: list[Check]) -> Check:
    if len(checks) == 1 and checks[0].kind != kind:
        return checks[0]  # the common case: nothing to flatten or deduplicate
    flat: list[Check] = []
    seen: set[Check] = set()  # what flat holds, for a membership test that stays linear
    for check in checks:
        if check.kind == kind:
            flat.extend(check.checks)
            seen.update(check.checks)
        elif check not in seen:
            flat.append(check)
            seen.add(check)
    if len(flat) == 1:
        return flat[0]
    return _made(AnyOf if kind == "any_of" else AllOf, checks=tuple(flat))


def parse_check(text: str, *, reference_year: int = REFERENCE_YEAR) -> Check | None:
    """Return the structured check ``text`` expresses, or None when it has no recognisable structure.

    Families are read in a fixed order (founding year, funding, numbers, places, tools, industries),
    each consuming its words so one phrase is never read twice. Negations ("not", "no", "excluding",
    "non-", "... excluded") flip the run of same-family facts they govern; "or" between facts of
    different families makes alternatives, anything else means all of them. Pure and cached.

    Args:
        text: One criterion clause as the sales leader wrote it.
        reference_year: Year that relative ages ("at least 5 years old") are resolved against; the
            result is stored with the segment version, so grading stays deterministic.

    Returns:
        The check tree, or None: the criterion is then graded by keywords (offline) or by the LLM.
    """
    return _parse(text, reference_year)


def parse_checks(clauses: Sequence[str], *, reference_year: int = REFERENCE_YEAR) -> list[Check | None]:
    """:func:`parse_check` of each clause, reading them all together: each family scans them once.

    A segment pasted from a document has thousands of clauses, and each family's scans cost about as
    much for a short clause as for a page; the clauses are joined by a separator no pattern can match or
    cross, every window around a fact stops at its clause, and each clause is then negated and assembled
    on its own, so every check is the one :func:`parse_check` gives for that clause alone.
    """
    with _collector_paused():
        if len(clauses) < 2 or any(CLAUSE_SEPARATOR in clause for clause in clauses):
            return [_parse(clause, reference_year) for clause in clauses]
        return _parse_joined(clauses, reference_year)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cycle collector while clauses are parsed (unless the caller already paused it).

    A long text makes hundreds of thousands of short-lived objects (facts, matches, checks) that form
    no reference cycles; their allocation keeps triggering collections, and the full ones walk every
    object in the process, which cost about a fifth of the parsing time. Nothing is lost: the
    collector resumes afterwards with the same thresholds.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _parse_joined(clauses: Sequence[str], reference_year: int) -> list[Check | None]:
    work = _Text(CLAUSE_SEPARATOR.join(clauses), clauses=True)
    atoms = _extract(work, reference_year)
    suffixes, prefixes = _negations(work.masked())  # no negation reaches past its clause either
    checks: list[Check | None] = []
    taken = suffixes_taken = prefixes_taken = 0
    for start, end in zip(work.starts, work.ends, strict=True):
        first = taken
        while taken < len(atoms) and atoms[taken].start < end:
            atoms[taken].start -= start
            atoms[taken].end -= start
            taken += 1
        first_suffix, first_prefix = suffixes_taken, prefixes_taken
        while suffixes_taken < len(suffixes) and suffixes[suffixes_taken][0] < end:
            suffixes_taken += 1
        while prefixes_taken < len(prefixes) and prefixes[prefixes_taken][0] < end:
            prefixes_taken += 1
        if first == taken:
            checks.append(None)
            continue
        own_suffixes = [(s - start, e - start) for s, e in suffixes[first_suffix:suffixes_taken]]
        own_prefixes = [(s - start, e - start) for s, e in prefixes[first_prefix:prefixes_taken]]
        checks.append(_assemble(atoms[first:taken], work.low[start:end], own_suffixes, own_prefixes))
    return checks


@lru_cache(maxsize=4096)
def _parse(text: str, reference_year: int) -> Check | None:
    work = _Text(text)
    atoms = _extract(work, reference_year)
    return _assemble(atoms, work.low, *_negations(work.masked())) if atoms else None


def _extract(work: _Text, reference_year: int) -> list[_Atom]:
    """Every family's facts, in the fixed order (each consumes its words), sorted by where they start."""
    atoms = [
        *_extract_founded(work, reference_year),
        *_extract_funding(work),
        *_extract_ranges(work),
        *_extract_geo(work),
        *_extract_tech(work),
        *_extract_industries(work),
    ]
    atoms.sort(key=lambda a: a.start)
    return atoms


def _assemble(atoms: list[_Atom], low: str, suffixes: list[tuple[int, int]], prefixes: list[tuple[int, int]]) -> Check:
    """One clause's check from its facts (in order of their start) and negations: groups, alternatives."""
    _apply_negations(low, atoms, suffixes, prefixes)
    # Consecutive atoms of one family and polarity form a group; "or" between groups splits alternatives.
    groups: list[list[_Atom]] = []
    for atom in atoms:
        if groups and groups[-1][-1].family == atom.family and groups[-1][-1].negated == atom.negated:
            groups[-1].append(atom)
        else:
            groups.append([atom])
    alternatives: list[list[Check]] = [[]]
    for index, group in enumerate(groups):
        leaf: Check = _build_leaf(group[0].family, group, low)
        if group[0].negated:
            leaf = _made(NotCheck, check=leaf)
        if index and _OR_GAP.search(low[groups[index - 1][-1].end : group[0].start]):
            alternatives.append([])
        alternatives[-1].append(leaf)
    return _combine("any_of", [_combine("all_of", alt) for alt in alternatives])
