"""Who a description is talking about: the company itself, or its customers, founders, partners and effects.

A word in a description is not an identity. "Helps households improve their financial health" names
health as the customers' concern; "quantum computing will affect health care" names an effect;
"customers across consumer goods" names who buys; "founded by mechatronics engineering graduates"
names the founders. None says what the company *is*. :func:`read_context` splits a description into
clauses and marks the stretches that speak of others (``aside`` spans, each with its kind) and the
stretches where the company says what it is or does (``own`` spans: "Acme is a cybersecurity
company", "we build payroll software", "provider of ...", or a description that opens with its own
category, "Payments API for online marketplaces"). Everything else is neutral.

Rules read it this way: an industry named as the customers' ("software for hospitals") neither meets
a criterion nor lets a field fail it, since a company serving a sector may count as part of it; one
named about founders, partners, effects or someone else's things counts for nothing; one named in an
own span is the company's category, and answers industry criteria the way an industry field does; the
nouns after "for", "sells to", "serves", "customers include" are the company's own customers, which is
what B2B and B2C mean.

Each clause is read when a rule first asks about it, with one pattern for its cues: linear in the
length of the description.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from icp.checks._text import _grouped_alternation

# Characters that may end a clause (sentence ends, semicolons, colons, brackets, line breaks, dashes);
# _is_boundary says which do.
_BOUNDARY_CHAR = re.compile(r"[.!?;:\n()\[\]\u2013\u2014]")
_SELF_VERBS = (
    r"build|builds|make|makes|develop|develops|design|designs|sell|sells|offer|offers|provide|provides|operate|"
    r"operates|run|runs|manufacture|manufactures|produce|produces|create|creates|deliver|delivers|publish|"
    r"publishes|distribute|distributes|specialise in|specialises in|specialize in|specializes in|focus on|"
    r"focuses on|own|owns|brew|brews|bake|bakes|grow|grows|ship|ships"
)
_AUDIENCE_VERBS = (
    r"help|helps|helping|enable|enables|enabling|empower|empowers|empowering|support|supports|supporting|equip|"
    r"equips|lets|allows|gives|serve|serves|serving|connect|connects|connecting|protect|protects|protecting"
)
_SELL_VERBS = re.compile(
    r"\b(?:sell|sells|selling|sold|market|markets|marketed|offer|offers|offered|provide|provides|provided|"
    r"providing|deliver|delivers|delivered|license|licenses|licensed|licence|licences|rent|rents|lease|leases)\b"
)
_MODALS = ("will", "could", "may", "might", "can", "would", "to", "set to", "poised to")
_EFFECT_VERBS = r"(?:affect|impact|influence|disrupt|reshape|transform|revolutioni[sz]e|change|upend|shape|redefine)"
_SUBJECTS = ("we", "it", "the company", "this company", "our company", "@+")
_OWN_NOUNS = (
    "provider", "maker", "developer", "manufacturer", "operator", "publisher", "supplier", "distributor",
    "designer", "creator", "builder", "vendor", "producer", "brewer", "retailer", "chain",
)  # fmt: skip
# The cues, kind by kind: each begins a stretch of that kind. Every alternative starts with a literal
# letter so that one pattern, grouped by first letter, finds them all in one fast pass.
_CUE_TABLE: dict[str, list[str]] = {
    # the company says what it is or does
    "own": [
        *(
            rf"{subject}\s+(?:\w+ly\s+)?(?:is|are|'re|'s|was|has been|remains|operates as|began as|started as|"
            rf"{_SELF_VERBS})"
            for subject in _SUBJECTS
        ),
        *(f"{noun}s? of" for noun in _OWN_NOUNS),
    ],
    # who it is for: its own customers
    "audience": [
        *_AUDIENCE_VERBS.split("|"),
        *str.split("for to into targeting targets"),
        *(
            f"{verb} (?:by|for|to|at)"
            for verb in str.split("used trusted loved chosen built designed made tailored aimed")
        ),
        r"relied on by",
    ],
    # the markets its customers come from ("customers across consumer goods", "industries such as banking")
    "customers": [
        *(
            rf"{head}\s+(?:include|includes|including|are|in|across|from|such as|like|range from|ranging from|"
            r"span|spanning|among)"
            for head in ("customers?", "clients?", "buyers", "users", "customer base")
        ),
        r"across (?:industries|sectors|verticals)(?: such as| like| including)?",
        *(rf"{head}\s+(?:such as|like|including|from)" for head in ("industries", "sectors", "verticals", "markets")),
    ],
    # who founded, backs or staffs it
    "people": [
        r"(?:co-?)?founded by",
        r"co-?founded by",
        *str.split("founders? alumni graduates? veterans? former investors? advisors?"),
        r"founding team",
        r"ex-(?=\w)",
        *(f"{verb} by" for verb in str.split("backed advised led headed started created")),
        r"team (?:of|from)",
        r"previously (?:at|worked)",
    ],
    # what something will do to a field
    "effect": [
        *(rf"{modal}\s+(?:\w+\s+)?{_EFFECT_VERBS}" for modal in _MODALS),
        *str.split("affects affecting impacts impacting influences influencing disrupting reshaping"),
        *(
            rf"{noun}\s+(?:on|about|into|in|of|across)"
            for noun in str.split("research reports? news insights? studies analysis coverage trends")
        ),
    ],
    # someone else's things
    "possessive": [
        *(rf"{word}(?=\s)" for word in str.split("their your his her")),
        *(rf"{word}'(?=\s)" for word in str.split("customers clients users members patients")),
    ],
    # a feature inside the product, or a channel it sells through
    "feature": [
        r"with (?:an? |the |its )?(?:built-in|integrated|embedded|native|own)",
        r"includ(?:es|ing) (?:an? )?",
        r"featuring (?:an? )?",
        r"available (?:on|in|through) (?:the )?",
        r"listed (?:on|in) (?:the )?",
        *(rf"{verb} (?:on|through|via) (?:the )?" for verb in ("sold", "sells", "selling")),
    ],
    # partners and integrations
    "partner": [
        r"partner(?:s|ed|ing)? with",
        r"works with",
        r"working with",
        r"integrat(?:es|ed|ing|ion) (?:with|into)",
        r"in partnership with",
        r"alongside",
        r"competes? with",
        r"competing with",
        r"alternative to",
    ],
}
_CUES = re.compile(
    r"(?<![\w@'-])(?:"
    + _grouped_alternation([a for alternatives in _CUE_TABLE.values() for a in alternatives])
    + r")(?:(?<=[\s-])|(?!\w))"
)
# Lookaheads look past the matched phrase, so the classifier leaves them out.
_CUE_KINDS = [
    (kind, re.compile("|".join(re.sub(r"\(\?=[^)]*\)", "", a) for a in alternatives)))
    for kind, alternatives in _CUE_TABLE.items()
]


@lru_cache(maxsize=4096)
def _cue_kind(phrase: str) -> str:
    """The kind of a matched cue; the first kind in the table wins, as in the combined pattern."""
    for kind, pattern in _CUE_KINDS:
        if pattern.fullmatch(phrase):
            return kind
    return "neutral"  # pragma: no cover - every match comes from the table


# A relative clause or a new subject ends a stretch ("software for hospitals that automates billing").
_RESTART = re.compile(r"\b(?:that|which|who|whose|while|whereas|where|but|so|and (?:we|it|our|its))\b")
# One more item of a list ("hospitals, clinics and care homes"): up to three words, or two such joined.
_LIST_ITEM = re.compile(r"^\s*(?:and |or |& )?(?:[\w'&/-]+\s*){1,3}(?:(?:and|or|&)\s+(?:[\w'&/-]+\s*){1,3})?$")
# A description that opens with one of these is not naming its own category in its first words.
_NOT_A_CATEGORY_START = re.compile(
    rf"^\s*(?:we|our|i|you|your|it|they|their|the company|this|these|in|at|on|with|for|by|from|since|as|when|"
    rf"how|why|what|if|founded|backed|based|headquartered|after|before|today|every|most|many|all|{_AUDIENCE_VERBS})\b"
)
_POSSESSIVE_WORDS = 3
_ASIDES = frozenset({"audience", "customers", "people", "effect", "possessive", "feature", "partner"})
# "Online store for outdoor gear": after "for" may come the goods as well as the buyers, so words there
# still count when a criterion's words are matched (they never make an industry).
_NOT_THE_COMPANY = _ASIDES - {"audience"}


def _mark_name(text: str, name: str) -> str:
    """The company's name as a run of "@" wherever it stands as a whole word (offsets unchanged)."""
    parts: list[str] = []
    done = found = 0
    while (found := text.find(name, found)) >= 0:
        end = found + len(name)
        before, after = text[found - 1 : found], text[end : end + 1]
        if not (before.isalnum() or before == "-") and not (after.isalnum() or after == "-"):
            parts += [text[done:found], "@" * len(name)]
            done = end
        found = end
    return "".join([*parts, text[done:]])


class DescriptionContext:
    """Stretches of one description, by whom they speak of; each clause is read when first asked about.

    Most descriptions name an industry in one clause of several, so reading only the clauses asked
    about keeps this cheap on the path every company takes.
    """

    __slots__ = ("_text", "_first", "_opens", "_ends", "_clauses", "_all")

    def __init__(self, lower: str, name: str = "") -> None:
        text = lower
        name = name.strip().lower()
        if len(name) > 1 and name in text:
            text = _mark_name(text, name)
        self._text = text
        self._first = len(text) - len(text.lstrip())
        self._opens = not _NOT_A_CATEGORY_START.match(text, self._first)
        self._ends: list[int] | None = None  # where each clause ends (the last at the end of the text)
        self._clauses: dict[int, tuple[tuple[int, int, str], ...]] = {}
        self._all: tuple[tuple[int, int, str], ...] | None = None

    def kind_at(self, position: int) -> str:
        """``own``, ``neutral`` or an aside kind (``audience``, ``people``, ...) at a character offset."""
        ends = self._clause_ends()
        index = bisect_right(ends, position)
        if index >= len(ends):
            return "neutral"
        spans = self._clauses.get(index)
        if spans is None:
            spans = self._read(index)
        for span_start, span_end, kind in spans:
            if span_start <= position < span_end:
                return kind
        return "neutral"

    def clause_end(self, position: int) -> int:
        """Where the clause holding ``position`` ends."""
        ends = self._clause_ends()
        return ends[min(bisect_right(ends, position), len(ends) - 1)]

    def is_aside(self, position: int) -> bool:
        """Whether the word at ``position`` speaks of customers, founders, partners, effects or others' things."""
        return self.kind_at(position) in _ASIDES

    @property
    def spans(self) -> tuple[tuple[int, int, str], ...]:
        """Every stretch that is not neutral, in order: ``(start, end, kind)``."""
        if self._all is None:
            self._all = tuple(
                span
                for index in range(len(self._clause_ends()))
                for span in (self._clauses.get(index) or self._read(index))
            )
        return self._all

    def stretches(self, kind: str) -> list[tuple[int, int]]:
        """Every stretch of one kind, in order."""
        return [(start, end) for start, end, k in self.spans if k == kind]

    def _clause_ends(self) -> list[int]:
        if self._ends is None:
            text = self._text
            ends = [m.start() for m in _BOUNDARY_CHAR.finditer(text) if _is_boundary(text, m.start())]
            self._ends = [*ends, len(text)]
        return self._ends

    def _read(self, index: int) -> tuple[tuple[int, int, str], ...]:
        text, ends = self._text, self._clause_ends()
        start, end = (ends[index - 1] + 1 if index else 0), ends[index]
        result: tuple[tuple[int, int, str], ...] = ()
        if end > start:
            cues = [(m.start(), m.end(), _cue_kind(m.group())) for m in _CUES.finditer(text, start, end)]
            opens = self._opens and start <= self._first < end
            if cues or opens:  # a clause with no cue, past the first, is neutral throughout
                spans: list[tuple[int, int, str]] = []
                _read_clause(text, start, end, cues, "own" if opens else "neutral", spans)
                result = tuple(s for s in spans if s[1] > s[0] and s[2] != "neutral")
        self._clauses[index] = result
        return result


def _is_boundary(text: str, index: int) -> bool:
    """Whether the character at ``index`` ends a clause.

    A sentence end, semicolon or colon before a space, a line break, a bracket, or a dash between spaces.
    """
    ch = text[index]
    after = text[index + 1 : index + 2]
    if ch in ".!?;:":
        return not after or after.isspace()
    if ch in "\n()[]":
        return True
    return text[index - 1 : index].isspace() and after.isspace()


def read_context(lower: str, name: str = "") -> DescriptionContext:
    """Mark a lower-cased description's own, neutral and aside stretches (read lazily, clause by clause).

    Args:
        lower: The description, lower-cased (offsets index the original).
        name: The company's name: a sentence whose subject is the name speaks of the company.

    Returns:
        The stretches; anything not covered is neutral.
    """
    return DescriptionContext(lower, name)


def _read_clause(
    text: str, start: int, end: int, cues: list[tuple[int, int, str]], kind: str, spans: list[tuple[int, int, str]]
) -> None:
    # kind "own" at the start: "Payments API for online marketplaces." opens with the company's category
    position = start
    for cue_start, cue_end, group in cues:
        if cue_start < position:
            continue  # inside a possessive's words
        if group == "audience" and text[cue_start:cue_end] in ("to", "into"):
            before = text[max(start, cue_start - 60) : cue_start]
            if not _SELL_VERBS.search(" ".join(before.split()[-5:])):
                continue  # "to" names buyers only after a selling verb ("sells software to hospitals")
        if group == "possessive":
            # "their financial health": a few words of someone else's, then the stretch goes on as before
            words_end = _after_words(text, cue_end, end, _POSSESSIVE_WORDS)
            _run(text, spans, position, cue_end, kind)
            spans.append((cue_end, words_end, "possessive"))
            position = words_end
            continue
        _run(text, spans, position, cue_start, kind)
        spans.append((cue_start, cue_end, "own" if group == "own" else kind))
        position, kind = cue_end, group
    _run(text, spans, position, end, kind)


def _run(text: str, spans: list[tuple[int, int, str]], start: int, end: int, kind: str) -> int:
    """Record ``[start, end)`` as ``kind``, ending an aside early at a relative clause or a new subject."""
    if kind == "neutral" or start >= end:
        return end
    stop = end
    restart = _RESTART.search(text, start, end)
    if restart is not None:
        stop = restart.start()
    comma = text.find(",", start, stop)
    while comma >= 0:
        following = text.find(",", comma + 1, end)
        segment = text[comma + 1 : following if following >= 0 else end]
        if not _LIST_ITEM.match(segment) or _RESTART.search(segment):
            stop = comma  # "for hospitals, clinics and labs" continues; ", we also build X" does not
            break
        comma = following if following >= 0 and following < stop else -1
    spans.append((start, stop, kind))
    if stop < end:
        spans.append((stop, end, "neutral"))
    return end


_WORD = re.compile(r"\s*[\w'&/-]+")


def _after_words(text: str, start: int, end: int, count: int) -> int:
    position = start
    for _ in range(count):
        match = _WORD.match(text, position, end)
        if match is None:
            break
        position = match.end()
    return position


def masked(text: str, context: DescriptionContext, keep: str) -> str:
    """``text`` with some stretches blanked (same length, so offsets still index ``text``).

    ``keep="company"`` blanks what is said of customers' markets, founders, partners and effects;
    ``keep="audience"`` keeps only the stretches that name the company's own customers.
    """
    chars = list(text)
    if keep == "audience":
        stretches = sorted([*context.stretches("audience"), *context.stretches("customers")])
        kept = [(0, 0), *stretches, (len(text), len(text))]
        for (_, end), (start, _) in zip(kept, kept[1:], strict=False):
            chars[end:start] = " " * (start - end)
    else:
        for start, end, kind in context.spans:
            if kind in _NOT_THE_COMPANY:
                chars[start:end] = " " * (end - start)
    return "".join(chars)


# A criterion about who the company sells to: its words after the cue must name the company's customers.
AUDIENCE_CRITERION = re.compile(
    r"\b(?:(?:sells?|selling|sold|markets?|marketing)\s+(?:[\w-]+\s+){0,3}?(?:in)?to|serv(?:es|ing|e)|"
    r"targets?|targeting|used by|for|customers?\s+(?:are|is|include|in))\b"
)
