"""Compile a segment's plain-language Requirements and Nice to Haves into numbered criteria.

Each line, bullet, sentence or ``;``-separated clause becomes one criterion (R1..Rn for
requirements, N1..Nm for nice-to-haves) that keeps the sales leader's original words. Where the
words have a recognisable structure ("200–2,000 employees", "in DACH", "uses Salesforce") the
criterion also carries a structured :mod:`check <icp.checks>` that decides it from the company's
fields without a model.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from icp.checks import Check, check_fields, parse_checks
from icp.domain import GRADED_FIELDS, CriterionKind
from icp.hashing import content_hash


class Criterion(BaseModel):
    """One numbered criterion of a segment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="R1..Rn (requirements) or N1..Nm (nice-to-haves).")
    kind: CriterionKind
    text: str = Field(description="The sales leader's words, unchanged apart from trimming bullets.")
    check: Check | None = Field(default=None, description="Structured check, when the text has one.")


class CompiledSegment(BaseModel):
    """A segment version ready for grading."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    criteria: tuple[Criterion, ...]

    @property
    def requirements(self) -> tuple[Criterion, ...]:
        """The hard criteria."""
        return tuple(c for c in self.criteria if c.kind is CriterionKind.REQUIREMENT)

    @property
    def nice_to_haves(self) -> tuple[Criterion, ...]:
        """The bonus criteria."""
        return tuple(c for c in self.criteria if c.kind is CriterionKind.NICE_TO_HAVE)

    def criterion(self, criterion_id: str) -> Criterion | None:
        """Look a criterion up by id."""
        return next((c for c in self.criteria if c.id == criterion_id), None)

    def fingerprint(self) -> str:
        """Hash of the compiled criteria (texts and checks)."""
        return content_hash(self.model_dump(mode="json"))


# Bullets and numbering at the start of a line: "-", "*", "•", "1.", "2)", "a)".
_BULLET = re.compile(r"^\s*(?:[-*•·▪‣–—]+|\(?\d{1,2}[.)]|\(?[a-zA-Z][.)](?=\s))\s*")
# Sentence ends: a full stop/!/? followed by space and an upper-case letter or digit. Decimal points
# ("$1.5M") and abbreviations inside a clause ("e.g. Gong") are left alone because the next char is
# lower-case or there is no space.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "approx.", "incl.", "inc.", "ltd.", "co.", "corp.", "st.", "no.")


def split_criteria(text: str) -> list[str]:
    """Split free text into criterion clauses: new lines, bullets, ``;`` and sentence ends.

    Commas and "and"/"or" are *not* split on: "HubSpot or Salesforce" is one criterion with alternatives.
    """
    clauses: list[str] = []
    for raw_line in text.replace("\r\n", "\n").split("\n"):
        line = _BULLET.sub("", raw_line).strip()
        if not line:
            continue
        for part in line.split(";"):
            for sentence in _split_sentences(part):
                clause = sentence.strip().strip(" .,;:").strip()
                if clause:
                    clauses.append(clause)
    return clauses


def _split_sentences(text: str) -> list[str]:
    if "." not in text and "!" not in text and "?" not in text:
        return [text]  # a sentence ends only after one of these
    pieces = _SENTENCE_END.split(text)
    merged: list[str] = []
    for piece in pieces:
        if merged and merged[-1].lower().endswith(_ABBREVIATIONS):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def compile_segment(name: str, requirements: str, nice_to_haves: str = "") -> CompiledSegment:
    """Number the criteria and attach structured checks. Pure and cached: same text, same result."""
    return _compile(name, requirements or "", nice_to_haves or "")


@lru_cache(maxsize=1024)
def _compile(name: str, requirements: str, nice_to_haves: str) -> CompiledSegment:
    criteria: list[dict[str, object]] = []
    for prefix, kind, text in (
        ("R", CriterionKind.REQUIREMENT, requirements),
        ("N", CriterionKind.NICE_TO_HAVE, nice_to_haves),
    ):
        clauses = split_criteria(text)
        for index, (clause, check) in enumerate(zip(clauses, parse_checks(clauses), strict=True), start=1):
            criteria.append({"id": f"{prefix}{index}", "kind": kind, "text": clause, "check": check})
    # Validated in one call: a pasted document has thousands of criteria, and one call per criterion
    # costs a third more.
    return CompiledSegment.model_validate({"name": name, "criteria": criteria})


_FIELD_LABELS = {"funding_stage": "funding stage", "founded_year": "founding year", "technologies": "tech stack"}


def answering_fields(criterion: Criterion) -> tuple[str, ...]:
    """The company fields that would settle a criterion, most decisive first (what to research or fill in)."""
    if criterion.check is None:
        return ("description", "tags")
    fields = check_fields(criterion.check)
    ordered = [f for f in GRADED_FIELDS if f in fields and f != "description"]
    return (*ordered, "description") if "description" in fields else tuple(ordered)


def research_hint(criterion: Criterion) -> str:
    """``"R1 Fintech company — confirm from industry, tags or description"``: what an SDR must find out."""
    labels = [_FIELD_LABELS.get(f, f) for f in answering_fields(criterion)]
    where = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"
    return f"{criterion.id} {criterion.text} — no {where} settles it; confirm it"
