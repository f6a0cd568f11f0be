"""Named things in criteria: funding stages, places, technologies and industries."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from typing import NamedTuple

from icp.checks._scan import _INDUSTRY_KEYS, _industry_matches, _may_start_with
from icp.checks._skim import Skim, matches_at_starts, word_starts
from icp.checks._text import (
    _ADJACENT_GAP,
    _Atom,
    _grouped_alternation,
    _split_alternatives,
    _Text,
    _word,
    ends_with,
)
from icp.checks._vocabulary import (
    _CODE_BLOCKLIST,
    _CODE_BLOCKLIST_IN_CAPS,
    _REGION_ALIASES,
    _SHOUTED_WORD,
    _SUBDIVISION_ALIASES,
    _VC_STAGES,
    COUNTRIES,
    FUNDING_LADDER,
    REGIONS,
    SUBDIVISIONS,
    TECH_CATEGORIES,
    TECHNOLOGIES,
    US_STATES,
)

# --- funding ------------------------------------------------------------------------------------

_SERIES_RE = Skim(
    re.compile(
        r"(?P<pre>\b(?:(?:post[- ]?|pre[- ](?!seed)|at least |up to |before |after |through |beyond |past |"
        r"later than |earlier than )(?:an? )?)?)"
        r"\b(?P<stage>pre[- ]?seed|seed|angel|series[- ]?[a-h])\b(?:[- ](?:stage|funded|round|funding))?"
        r"(?P<plus>\s?\+)?"
        r"(?P<more>(?:\s*(?:,|or|and|/)\s*(?:series[- ]?)?[a-h]\b(?!\.))*)"
        r"(?P<to>\s*(?:-|to|through)\s*(?:series[- ]?)?(?P<l2>[a-h])\b)?"
        r"(?P<post>\s*(?:(?:or|and) (?:later|beyond|above|higher|after|up|more|greater|later[- ]stages?|onwards?)|"
        r"onwards?|and on|(?:or|and) (?:earlier|before|below|lower|less|under))\b)?"
    )
)
_FUNDING_PHRASES: tuple[tuple[Skim, tuple[str, ...]], ...] = tuple(
    (Skim(pattern), stages)
    for pattern, stages in (
        (re.compile(r"\bpre[- ]ipo\b"), ("series_c", "series_d", "series_e_plus", "pe_backed")),
        (
            re.compile(
                r"\b(?:publicly[- ](?:traded|listed|held)|public (?:company|companies|corporations?)|"
                r"(?:is|are|went|gone|already) public|listed (?:on|company|companies)|post[- ]ipo|ipo(?:'?d)?|"
                r"stock[- ]exchange[- ]listed)\b"
            ),
            ("public",),
        ),
        (
            re.compile(
                r"\b(?:bootstrapped|self[- ]funded|founder[- ]funded|customer[- ]funded|"
                r"no (?:outside|external|vc|venture) (?:funding|capital|money))\b"
            ),
            ("bootstrapped",),
        ),
        (
            re.compile(r"\b(?:pe[- ](?:backed|owned|funded)|private[- ]equity(?:[- ](?:backed|owned|funded))?)\b"),
            ("pe_backed",),
        ),
        (
            re.compile(r"\b(?:vc[- ](?:backed|funded)|venture[- ](?:backed|funded)|venture capital(?:[- ]backed)?)\b"),
            _VC_STAGES,
        ),
        (re.compile(r"\bearly[- ]stage\b"), ("pre_seed", "seed", "series_a")),
        (re.compile(r"\bgrowth[- ]stage\b"), ("series_b", "series_c", "series_d")),
        (re.compile(r"\blate[- ]stage\b"), ("series_c", "series_d", "series_e_plus", "pe_backed")),
    )
)
# Whether any phrase stands anywhere: one scan (matching where one of the phrases would).
_ANY_FUNDING_PHRASE = Skim(re.compile("|".join(f"(?:{skim.pattern.pattern})" for skim, _ in _FUNDING_PHRASES)))
_BARE_PUBLIC = Skim(re.compile(r"\bpublic\b(?!\s+(?:sector|cloud|health|administration|relations|safety|transport))"))
_STAGE_WORDS = ("seed", "angel", "series")
_ARTICLE_AFTER = re.compile(r"\s+an?$")  # "after a" Series B
_FUNDING_LIST_GAP = re.compile(r"^\s*(?:,|or|and|/|&)?\s*(?:either\s+)?$")


def _stage_key(token: str) -> str:
    token = token.strip()
    if token.startswith("pre"):
        return "pre_seed"
    if token in ("seed", "angel"):
        return "seed"
    letter = token[-1]
    return "series_e_plus" if letter >= "e" else f"series_{letter}"


def _with_later(start: int) -> tuple[str, ...]:
    stages = list(FUNDING_LADDER[start:])
    if start >= FUNDING_LADDER.index("series_b"):
        stages.append("pe_backed")
    return tuple(stages)


def _extract_funding(text: _Text) -> list[_Atom]:
    atoms: list[_Atom] = []
    low = text.masked()
    # Every stage _SERIES_RE reads is spelt with one of these words, so text without them skips its scan.
    series = _SERIES_RE.finditer(low) if any(word in low for word in _STAGE_WORDS) else iter(())
    for m in series:
        idx = FUNDING_LADDER.index(_stage_key(m["stage"]))
        pre = _ARTICLE_AFTER.sub("", (m["pre"] or "").strip())
        post = (m["post"] or "").strip()
        stages: tuple[str, ...]
        if m["l2"]:
            end = FUNDING_LADDER.index(_stage_key(m["l2"]))
            stages = FUNDING_LADDER[min(idx, end) : max(idx, end) + 1]
        elif pre.startswith(("post", "after", "beyond", "past", "later than")):
            stages = _with_later(idx + 1)
        elif (
            m["plus"]
            or pre == "at least"
            or post.endswith(
                (
                    "later",
                    "beyond",
                    "above",
                    "higher",
                    "after",
                    "up",
                    "more",
                    "greater",
                    "stage",
                    "stages",
                    "onward",
                    "onwards",
                    "on",
                )
            )
        ):
            stages = _with_later(idx)
        elif pre.startswith(("pre", "before", "earlier than")):
            stages = FUNDING_LADDER[:idx]
        elif pre in ("up to", "through") or post.endswith(("earlier", "before", "below", "lower", "less", "under")):
            stages = FUNDING_LADDER[: idx + 1]
        else:
            extra = [FUNDING_LADDER.index(_stage_key(x)) for x in re.findall(r"\b([a-h])\b", m["more"] or "")]
            stages = tuple(FUNDING_LADDER[i] for i in sorted({idx, *extra}))
        atoms.append(_Atom(m.start("stage"), m.end(), "funding", stages))
        text.consume(m.start(), m.end())
    # No phrase anywhere means none can match after another's words are consumed either.
    low = text.masked()
    phrases = _FUNDING_PHRASES if _ANY_FUNDING_PHRASE.search(low) else ()
    for pattern, phrase_stages in phrases:
        low = text.masked()
        for m in pattern.finditer(low):
            atoms.append(_Atom(m.start(), m.end(), "funding", phrase_stages))
            text.consume(m.start(), m.end())
    if atoms:
        low = text.masked()
        # Only a stage in the same clause can be near: the separator would stand in the gap.
        by_clause: dict[int, list[_Atom]] = {}
        for atom in atoms:
            by_clause.setdefault(text.clause(atom.start)[0], []).append(atom)
        for m in _BARE_PUBLIC.finditer(low):
            same_clause = by_clause.setdefault(text.clause(m.start())[0], [])
            near = [
                a for a in same_clause if _FUNDING_LIST_GAP.match(low[min(a.end, m.end()) : max(a.start, m.start())])
            ]
            if near:
                atom = _Atom(m.start(), m.end(), "funding", ("public",))
                atoms.append(atom)
                same_clause.append(atom)
                text.consume(m.start(), m.end())
    return atoms


# --- geography ----------------------------------------------------------------------------------


class _Place(NamedTuple):
    label: str
    countries: tuple[str, ...]
    subdivisions: tuple[str, ...]


def _place_names() -> dict[str, _Place]:
    names: dict[str, _Place] = {}
    for country in COUNTRIES.values():
        place = _Place(country.name, (country.code,), ())
        for alias in (country.name.lower(), *country.aliases):
            names[alias] = place
    for code, name in SUBDIVISIONS.items():
        names[name.lower()] = _Place(name, (), (code,))
    for alias, code in _SUBDIVISION_ALIASES.items():
        names.setdefault(alias, _Place(SUBDIVISIONS[code], (), (code,)))
    names["american"] = names["united states"]
    for alias, region in _REGION_ALIASES.items():
        names[alias] = _Place(region, REGIONS[region], ())
    return names


_PLACE_NAMES = _place_names()
# Longest names first, grouped by first letter so the engine tries one group per position (the same
# matches as one flat alternation: names sharing a first letter keep their longest-first order).
_PLACE_NAME_RE = re.compile(
    _word(_grouped_alternation([re.escape(n) for n in sorted(_PLACE_NAMES, key=len, reverse=True)]))
)
# "U.S.", "U.K." or two to four capitals, as a whole word. It opens with the capital and checks the
# boundary before it only then, so the engine skips in C to the next capital (rare in most text)
# instead of trying every position.
_CODE_RE = re.compile(r"[A-Z](?<![\w.&][A-Z])(?:(?<=U)\.S\.(?:A\.)?|(?<=U)\.K\.|[A-Z]{1,3})(?![\w&])")
_ALPHA3 = {c.alpha3: c for c in COUNTRIES.values()}
_UPPER_REGION_CODES = {"NA": "North America", "NAM": "North America", "EU": "EU", "UKI": "UK&I", "ANZ": "ANZ"}
_STATE_CONTEXT = re.compile(r"(?<!united )\bstates?\b")
_STATE_CODE_EXCLUDED = frozenset({"OR", "IN", "ME", "OK", "HI", "ID"})
# Codes shared by a US state and a country read as the state ("MA", "CO", "PA"), except these two,
# which B2B criteria use for the country far more often ("US or CA", "DE/AT/CH").
_COUNTRY_FIRST = frozenset({"CA", "DE"})


def _extract_geo(text: _Text) -> list[_Atom]:
    atoms: list[_Atom] = []
    low = text.masked()
    for m in _PLACE_NAME_RE.finditer(low):
        place = _PLACE_NAMES[m.group()]
        atoms.append(_Atom(m.start(), m.end(), "geo", place))
        text.consume(m.start(), m.end())
    norm = text.masked(lower=False)
    by_clause: dict[tuple[int, int], list[re.Match[str]]] = {}
    for m in _CODE_RE.finditer(norm):
        by_clause.setdefault(text.clause(m.start()), []).append(m)
    named_starts = [a.start for a in atoms]  # in order: one scan found them
    for clause, codes in by_clause.items():
        named = atoms[bisect_left(named_starts, clause[0]) : bisect_left(named_starts, clause[1])]
        atoms.extend(_read_codes(text, clause, codes, named))
    return atoms


def _read_codes(text: _Text, clause: tuple[int, int], codes: list[re.Match[str]], named: list[_Atom]) -> list[_Atom]:
    """Places from the upper-case codes of one clause ("DE", "NY", "U.S."), ``named`` its places read by name.

    Whether "CA" is California or Canada, and whether "IN" is a code at all, depends on the clause
    around it: other states, the word "state", a clause written in capitals.
    """
    atoms: list[_Atom] = []
    groups = {m.group() for m in codes}
    # The context only decides codes that are both a state and a country read first as the country, and
    # capitals only block codes that are ordinary words in capitals: without such codes, neither is read.
    state_candidates = [m for m in codes if m.group() in US_STATES and m.group() not in _STATE_CODE_EXCLUDED]
    state_context = not groups.isdisjoint(_COUNTRY_FIRST) and (
        any(a.payload.subdivisions for a in named if isinstance(a.payload, _Place))
        or bool(_STATE_CONTEXT.search(text.low, *clause))
        or len({m.group() for m in state_candidates}) >= 2
    )
    shouting = any(g.replace(".", "") in _CODE_BLOCKLIST_IN_CAPS for g in groups) and bool(
        _SHOUTED_WORD.search(text.norm, *clause)
    )
    blocked = _CODE_BLOCKLIST | _CODE_BLOCKLIST_IN_CAPS if shouting else _CODE_BLOCKLIST
    for m in codes:
        code = m.group().replace(".", "")
        country = COUNTRIES.get(code) if code not in blocked else None
        country = country or _ALPHA3.get(code)
        if code in {"US", "USA"}:
            country = COUNTRIES["US"]
        if code == "UK":
            country = COUNTRIES["GB"]
        found: _Place | None = None
        if (
            code in US_STATES
            and code not in _STATE_CODE_EXCLUDED
            and (country is None or state_context or code not in _COUNTRY_FIRST)
        ):
            found = _Place(US_STATES[code], (), (f"US-{code}",))
        elif country is not None:
            found = _Place(country.name, (country.code,), ())
        elif code in _UPPER_REGION_CODES:
            region = _UPPER_REGION_CODES[code]
            found = _Place(region, REGIONS[region], ())
        if found is not None:
            atoms.append(_Atom(m.start(), m.end(), "geo", found))
            text.consume(m.start(), m.end())
    return atoms


# --- technologies -------------------------------------------------------------------------------

# The word boundaries sit outside the alternation, so the engine checks them once per position rather
# than once per technology (the same matches: it still backtracks into every alternative in order).
_TECH_RE = re.compile(
    _word("|".join(f"(?P<t{i}>{t.aliases})" for i, t in enumerate(TECHNOLOGIES) if not t.exact_case)), re.I
)
# Where any technology starts: the same alternatives grouped by first letter, several times faster to
# scan; _TECH_RE then reads which technology it is at those positions only.
_TECH_START = re.compile(
    rf"(?<![\w&])(?=(?:{_grouped_alternation([t.aliases for t in TECHNOLOGIES if not t.exact_case])})(?![\w&]))", re.I
)


def _tech_alternatives(first: str | None) -> str:
    """``_TECH_RE``'s alternatives, in order, keeping only those that can start with ``first`` (all when None)."""
    return _word(
        "|".join(
            f"(?P<t{i}>{t.aliases})"
            for i, t in enumerate(TECHNOLOGIES)
            if not t.exact_case and (first is None or _may_start_with(t.aliases, first))
        )
    )


# The case-sensitive twins, for ASCII text read through its lower case (no upper-case literals in the
# aliases, so nothing else differs); per first character, only the technologies that can start with it.
if any(ch.isupper() for t in TECHNOLOGIES if not t.exact_case for ch in t.aliases):
    raise ValueError("technology aliases must be lower-case (escapes like \\W included)")
_TECH_RE_LOWER = re.compile(_tech_alternatives(None))
_TECH_START_LOWER = word_starts(_grouped_alternation([t.aliases for t in TECHNOLOGIES if not t.exact_case]))
_TECH_BY_FIRST = {first: re.compile(_tech_alternatives(first)) for first in "abcdefghijklmnopqrstuvwxyz0123456789"}


def _exact_alternatives() -> str:
    """The case-sensitive technologies ("Gong", "Lever"), each group behind its capital: a pattern that
    opens with plain characters lets the engine skip in C to the next capital that can begin one
    (capitals are rare in most text), where a leading look-behind made it try every position. The
    word boundary is checked right after the capital; each ``t<index>`` group spans the rest."""
    by_first: dict[str, list[str]] = {}
    for i, t in enumerate(TECHNOLOGIES):
        if t.exact_case:
            if not t.aliases[:1].isalpha() or len(_split_alternatives(t.aliases)) > 1:
                raise ValueError(f"case-sensitive alias must start with a letter and be one word: {t.aliases!r}")
            by_first.setdefault(t.aliases[0].upper(), []).append(f"(?P<t{i}>{t.aliases[1:]})")
    groups = (rf"{first}(?<![\w&]{first})(?:{'|'.join(rests)})" for first, rests in by_first.items())
    return rf"(?:{'|'.join(groups)})(?![\w&])"


_TECH_EXACT_RE = re.compile(_exact_alternatives())

_CATEGORY_RE = re.compile(_word("|".join(f"(?P<{key}>{rx})" for key, (_, rx) in TECH_CATEGORIES.items())))
_CATEGORY_START = word_starts(_grouped_alternation([rx for _, rx in TECH_CATEGORIES.values()]))
_SIMILAR_RE = re.compile(
    r"\b(?:similar|equivalents?|comparable|alternatives?|competitors?|competing|or (?:any )?other|or another|"
    r"or the like|such as|e\.g\.|for example|like)\b|-like\b"
)


def _tech_index(match: re.Match[str]) -> int:
    assert match.lastgroup is not None
    return int(match.lastgroup[1:])


def _tech_matches(source: str) -> Iterator[re.Match[str]]:
    """``_TECH_RE.finditer(source)`` for lower-case ``source``, reading each technology's start first.

    On ASCII text (lower-case throughout) the case-sensitive twins find exactly what the
    case-insensitive patterns find, and at each start only the technologies that can begin with that
    character are tried, in their original order, so the first alternative to match is the same one.
    """
    if not source.isascii():
        yield from matches_at_starts(_TECH_START, _TECH_RE, source)
        return
    position = 0
    while (found := _TECH_START_LOWER.search(source, position)) is not None:
        at = found.start()
        match = _TECH_BY_FIRST.get(source[at], _TECH_RE_LOWER).match(source, at)
        if match is None:  # cannot happen: both patterns accept the same words at the same places
            position = at + 1
            continue
        yield match
        position = match.end()


def _extract_tech(text: _Text) -> list[_Atom]:
    atoms: list[_Atom] = []
    for lower in (True, False):
        source = text.masked(lower=lower)
        found = _tech_matches(source) if lower else _TECH_EXACT_RE.finditer(source)
        for m in found:
            atoms.append(_Atom(m.start(), m.end(), "tech", ("tech", TECHNOLOGIES[_tech_index(m)].name)))
            text.consume(m.start(), m.end())
    for m in matches_at_starts(_CATEGORY_START, _CATEGORY_RE, text.masked()):
        assert m.lastgroup is not None
        atoms.append(_Atom(m.start(), m.end(), "tech", ("category", m.lastgroup)))
        text.consume(m.start(), m.end())
    return atoms


# --- industries ---------------------------------------------------------------------------------

# "Uses Workday for HR and finance", "software for banks", "sells to hospitals": the words after these
# describe customers or a use, not the company's own industry, so they are left to keywords or the LLM.
_AUDIENCE_CUES = ("for", "to", "serving", "serves", "targeting", "targets", "helping", "helps")
# Each cue is a whole word: "\b" before it, written as a look-behind after it ("for(?<!\wfor)") so the
# pattern starts with the cues' letters and the engine skips straight to where one of them stands.
_AUDIENCE = re.compile(
    "(?:" + "|".join(rf"{cue}(?<!\w{cue})" for cue in _AUDIENCE_CUES) + r")\s+(?:the\s+|their\s+|other\s+)?"
    r"(?:[a-z]+\s+(?:and|&|or)\s+)?$"
)
# The audience cue ends right before the industry word, so only this many characters before it are read:
# searching from the start of the text for every industry named made a long criterion quadratic.
_AUDIENCE_REACH = 80
_ROLE_NOUN = re.compile(r"^(?:manufacturers?|makers?|agency|agencies)$")
# The words an audience phrase ends with, right before the spaces ahead of the industry: nearly every
# industry named has none of them before it, and is spared the search.
_AUDIENCE_LAST_WORDS = (*_AUDIENCE_CUES, "the", "their", "other", "and", "&", "or")


def _named_for_an_audience(low: str, start: int, reach_from: int) -> bool:
    """Whether an audience cue governs the industry named at ``start`` ("software for banks")."""
    if not (
        start > reach_from and low[start - 1].isspace() and ends_with(low, reach_from, start, _AUDIENCE_LAST_WORDS)
    ):
        return False  # the cue and what may follow it end with one of those words, then spaces
    return _AUDIENCE.search(low, reach_from, start) is not None


def _longest_first(spans: dict[tuple[int, int], list[str]]) -> Iterator[tuple[tuple[int, int], list[str]]]:
    """``spans`` (in order of their start) longest first, then by start, within each run of overlapping
    spans: which of them is taken depends only on the others it overlaps, so each run is ordered on its
    own, and most runs are a single span with nothing to sort."""
    run: list[tuple[tuple[int, int], list[str]]] = []
    reach = -1  # where the current run of overlapping spans ends
    for item in spans.items():
        (start, end) = item[0]
        if start >= reach and run:
            yield from run if len(run) == 1 else sorted(run, key=_longest)
            run = []
        run.append(item)
        reach = max(reach, end)
    yield from run if len(run) == 1 else sorted(run, key=_longest)


def _longest(item: tuple[tuple[int, int], list[str]]) -> tuple[int, int]:
    return item[0][0] - item[0][1], item[0][0]


def _extract_industries(text: _Text) -> list[_Atom]:
    low = text.masked()
    spans: dict[tuple[int, int], list[str]] = {}
    for index, start, end in _industry_matches(low):
        spans.setdefault((start, end), []).append(_INDUSTRY_KEYS[index])
    # Longest spans first; a span inside an already-taken one ("health" in "digital health") is dropped.
    atoms: list[_Atom] = []
    for (start, end), keys in _longest_first(spans):
        if text.free(start, end):
            text.consume(start, end)
            if not _named_for_an_audience(low, start, max(text.clause(start)[0], start - _AUDIENCE_REACH)):
                atoms.append(_Atom(start, end, "industry", tuple(keys)))
    atoms.sort(key=lambda a: a.start)
    # "medical device manufacturers", "car makers": the noun names the role of the industry before it.
    return [
        atom
        for index, atom in enumerate(atoms)
        if not (
            index
            and _ROLE_NOUN.match(low[atom.start : atom.end])
            and _ADJACENT_GAP.match(low[atoms[index - 1].end : atom.start])
        )
    ]
