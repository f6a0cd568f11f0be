"""Evidence grounding: a verdict stands only if its evidence is really in the company's data.

Evidence is either a short quote (checked case-, whitespace- and punctuation-insensitively against the
company's field values) or a ``field: value`` reference (checked against that field's value, numbers
compared as numbers). Evidence that only cites the company's name or domain, or that quotes an
instruction planted in the data ("ignore previous instructions..."), does not count either. Callers
demote ungrounded ``met``/``not_met`` verdicts to ``unknown`` and record why.
"""

from __future__ import annotations

import re
from typing import Any

from icp.criteria import Criterion
from icp.domain import GRADED_FIELDS, CompanyProfile, CriterionResult, Verdict
from icp.evaluators._response import CriterionAnswer
from icp.evaluators.offline import decide_by_check, summarize
from icp.screening import addresses_the_grader
from icp.summaries import summary_contradictions

# Fields that identify the company but say nothing about fit: "never infer from the name alone".
IDENTITY_FIELDS = frozenset({"name", "domain", "website"})
NUMERIC_FIELDS = frozenset({"employees", "revenue", "founded_year"})

_FIELD_ALIASES = {
    "employee_count": "employees",
    "employees_count": "employees",
    "headcount": "employees",
    "staff": "employees",
    "arr": "revenue",
    "annual_revenue": "revenue",
    "tech": "technologies",
    "tech_stack": "technologies",
    "technology": "technologies",
    "stack": "technologies",
    "tag": "tags",
    "hq_country": "country",
    "state": "region",
    "funding": "funding_stage",
    "stage": "funding_stage",
    "founded": "founded_year",
    "year_founded": "founded_year",
}
_FIELD_REF = re.compile(r"^\s*([A-Za-z][A-Za-z_ ]{0,30}?)\s*[:=]\s*(.+?)\s*$", re.DOTALL)
_PIECE_SPLIT = re.compile(r"\s*(?:\.\.\.|…|;|\n)\s*")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_NUMBER = re.compile(r"(\d[\d,._ ]*)(?:\s*([kmb]|thousand|million|billion))?\b", re.IGNORECASE)
# Words that carry no fact on their own: a quote made only of these ("we", "the company", "it is") proves nothing.
_FUNCTION_WORDS = frozenset(
    str.split(
        "the and for with our your their its are was were has have had this that these those they them you "
        "who what which from into onto than then also very more most such any all each every some other own "
        "company companies business businesses firm team teams people customer customers client clients "
        "product products platform platforms solution solutions service services offering offerings "
        "is it we us an of to in on at by as or be"
    )
)
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9}


def normalise(text: str) -> str:
    """Lower-case, punctuation to spaces, whitespace collapsed: the form quotes are compared in."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def _contains(haystack: str, needle: str) -> bool:
    return bool(needle) and f" {needle} " in f" {haystack} "


def _field_texts(value: Any) -> list[str]:
    """The texts a field value can be quoted as: each list element, numbers with and without separators."""
    if isinstance(value, (list, tuple)):
        texts = [str(v) for v in value]
        return [*texts, ", ".join(texts)]
    if isinstance(value, bool):
        return [str(value)]
    if isinstance(value, (int, float)):
        number = int(value) if float(value).is_integer() else value
        return [str(number), f"{number:,}"]
    return [str(value)]


def _parse_number(text: str) -> float | None:
    match = _NUMBER.search(text)
    if not match:
        return None
    digits = re.sub(r"[,_ ]", "", match.group(1)).rstrip(".")
    try:
        number = float(digits)
    except ValueError:
        return None
    if match.group(2):
        number *= _MULTIPLIERS[match.group(2).lower()]
    return number


def _field_name(raw: str) -> str | None:
    key = "_".join(raw.strip().lower().split())
    key = _FIELD_ALIASES.get(key, key)
    return key if key in GRADED_FIELDS else None


def ungrounded_reason(evidence: str, company: CompanyProfile) -> str | None:
    """Why ``evidence`` does not support a verdict about ``company``, or None when it is grounded."""
    if not evidence.strip():
        return "no evidence given"
    if addresses_the_grader(evidence):
        return "evidence quotes an instruction embedded in the company data, not a fact about the company"
    data = company.graded_fields()
    pieces = [p for p in _PIECE_SPLIT.split(evidence.strip()) if normalise(p)]
    if not pieces:
        return "evidence has no words to check"
    for piece in pieces:
        reason = _piece_reason(piece, data)
        if reason is not None:
            return reason
    return None


def rests_on_description(evidence: str, company: CompanyProfile) -> bool:
    """True when grounded ``evidence`` quotes only the description: a claim the company makes about itself."""
    data = company.graded_fields()
    for piece in _PIECE_SPLIT.split(evidence.strip()):
        needle = normalise(piece.strip().strip("'\"`"))
        if not needle:
            continue
        reference = _FIELD_REF.match(piece)
        if reference and _field_name(reference.group(1)) is not None:
            return False
        fields = {f for f, v in data.items() if any(_contains(normalise(t), needle) for t in _field_texts(v))}
        if fields - {"description"}:
            return False
    return True


def _piece_reason(piece: str, data: dict[str, Any]) -> str | None:
    reference = _FIELD_REF.match(piece)
    if reference:
        field = _field_name(reference.group(1))
        if field is not None:
            return _reference_reason(field, reference.group(2).strip().strip("'\"`"), data)
    needle = normalise(piece.strip().strip("'\"`"))
    if len(needle) < 2:
        return f"evidence {piece!r} is too short to check"
    if not any(len(word) >= 3 and word not in _FUNCTION_WORDS or word.isdigit() for word in needle.split()):
        return f"evidence {piece!r} has no word that says anything about the company"
    matches = [
        field for field, value in data.items() if any(_contains(normalise(t), needle) for t in _field_texts(value))
    ]
    if not matches:
        return f"evidence not found in company data: {piece!r}"
    if all(field in IDENTITY_FIELDS for field in matches):
        return "evidence only cites the company's name or domain"
    return None


def _reference_reason(field: str, value: str, data: dict[str, Any]) -> str | None:
    if field in IDENTITY_FIELDS:
        return "evidence only cites the company's name or domain"
    if field not in data:
        return f"evidence cites {field}, but the company data has no {field}"
    actual = data[field]
    if field in NUMERIC_FIELDS:
        claimed = _parse_number(value)
        if claimed is None:
            return f"evidence {field}: {value!r} is not a number"
        if abs(claimed - float(actual)) > max(0.5, abs(float(actual)) * 0.005):
            return f"evidence says {field}: {value}, but the company data says {field}: {actual}"
        return None
    needle = normalise(value)
    if not needle:
        return f"evidence cites {field} without a value"
    if any(_contains(normalise(t), needle) for t in _field_texts(actual)):
        return None
    # "technologies: Salesforce, HubSpot" names several list elements at once.
    if isinstance(actual, (list, tuple)):
        parts = [normalise(p) for p in re.split(r",|\band\b", value) if normalise(p)]
        elements = [normalise(str(v)) for v in actual]
        if parts and all(any(_contains(e, p) for e in elements) for p in parts):
            return None
    return f"evidence says {field}: {value}, but the company data says {field}: {_display(actual)}"


def _display(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def checked_summary(summary: str, company: CompanyProfile, results: tuple[CriterionResult, ...]) -> tuple[str, str]:
    """The model's summary, or one composed from the verdicts when it states what the data or verdicts deny.

    Returns ``(summary, note)``; the note (empty when the summary stands) says what was replaced and why.
    """
    problems = summary_contradictions(summary, company, results)
    if not problems:
        return summary, ""
    note = f"The model's summary {summary[:300]!r} was replaced by one composed from the verdicts: " + "; ".join(
        problems
    )
    return summarize(results), note + "."


# A claim the company makes about itself in its description is worth less than a field: it is self-reported.
DESCRIPTION_CONFIDENCE = 0.7


def ground_answer(criterion: Criterion, given: CriterionAnswer, company: CompanyProfile) -> CriterionResult:
    """The model's answer on one criterion, as far as the company's (screened) data supports it.

    1. Evidence must be in the data and carry substance (see :mod:`icp.evaluators._grounding`); otherwise
       the verdict is demoted to unknown, with the reason.
    2. A criterion a structured field settles is decided by that field: a verdict resting on description
       text that contradicts the field is replaced, and the note says what the description claimed.
    3. A verdict resting only on the description is self-reported: its confidence is capped.
    """
    verdict = Verdict(given.verdict)
    evidence = given.evidence.strip()
    confidence = given.confidence
    note = ""
    if verdict is Verdict.UNKNOWN:
        evidence = ""
    else:
        reason = ungrounded_reason(evidence, company)
        if reason is not None:
            note = f"demoted from {verdict.value}: {reason}"
            verdict, evidence, confidence = Verdict.UNKNOWN, "", 0.0
    decided = decide_by_check(company, criterion)
    if decided is not None and decided.verdict is not verdict:
        claim = f"the model answered {verdict.value}" + (f" from {evidence[:120]!r}" if evidence else "")
        if evidence and rests_on_description(evidence, company):
            claim = f"the description claims {evidence[:120]!r}"
        return decided.model_copy(update={"note": f"{claim}; {decided.evidence} decides"})
    if verdict is not Verdict.UNKNOWN and rests_on_description(evidence, company):
        confidence = min(confidence, DESCRIPTION_CONFIDENCE)
    return CriterionResult(
        id=criterion.id,
        kind=criterion.kind,
        text=criterion.text,
        verdict=verdict,
        evidence=evidence[:500],
        confidence=confidence,
        source="llm",
        note=note,
    )
