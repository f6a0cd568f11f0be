"""SDR feedback on grades: agree, or wrong with the correct verdict per criterion and a note.

Feedback rows are the raw material of new golden eval cases (``icp evals from-feedback``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from icp.domain import Verdict
from icp.errors import InputError, NotFoundError
from icp.store.tables import Company, Feedback, Grade, SegmentVersion
from icp.team.audit import record
from icp.team.roles import LOCAL_OPERATOR, Actor, Permission, author_of, require

FeedbackKind = Literal["agree", "wrong"]


class CriterionCorrection(BaseModel):
    """The verdict an SDR says a criterion should have had."""

    model_config = ConfigDict(extra="forbid")

    criterion_id: str = Field(min_length=1)
    correct_verdict: Verdict


class FeedbackInfo(BaseModel):
    """One stored feedback row, with what it is about."""

    id: int
    grade_id: int
    company_name: str
    domain: str
    segment: str
    segment_version: int
    kind: str
    criterion_id: str | None
    correct_verdict: str | None
    note: str
    author: str
    created_at: datetime


def _of_company(session: Session, company_id: int) -> str:
    company = session.get(Company, company_id)
    return f" ({company.domain})" if company is not None else ""


def record_feedback(
    session: Session,
    grade_id: int,
    kind: FeedbackKind,
    *,
    corrections: list[CriterionCorrection] | None = None,
    note: str = "",
    author: str = "",
    actor: Actor = LOCAL_OPERATOR,
    audit: bool = True,
) -> list[int]:
    """Store feedback on a grade; a 'wrong' with corrections stores one row per corrected criterion.

    A signed-in ``actor`` is the author whatever ``author`` says; without sign-in ``author`` is kept as
    typed. ``audit=False`` is for feedback another audited action writes (a confirmed verdict).
    Returns the ids of the rows written.
    """
    require(actor, Permission.GIVE_FEEDBACK)
    author = author_of(actor, author)
    grade = session.get(Grade, grade_id)
    if grade is None:
        raise NotFoundError(f"No grade with id {grade_id}.")
    known_ids = {str(r["id"]) for r in grade.results}
    corrections = corrections or []
    if kind == "agree" and corrections:
        raise InputError("'agree' feedback cannot carry corrections; use 'wrong' to correct a verdict.")
    if kind == "wrong" and not corrections and not note.strip():
        raise InputError("Say what is wrong: pick the correct verdict for at least one criterion, or add a note.")
    unknown_ids = sorted({c.criterion_id for c in corrections} - known_ids)
    if unknown_ids:
        raise InputError(
            f"Grade {grade_id} has no criterion {', '.join(unknown_ids)}; it has {', '.join(sorted(known_ids))}."
        )
    base = {
        "grade_id": grade_id,
        "company_id": grade.company_id,
        "segment_version_id": grade.segment_version_id,
        "kind": kind,
        "note": note.strip(),
        "author": author.strip(),
    }
    rows = [
        Feedback.model_validate({**base, "criterion_id": c.criterion_id, "correct_verdict": c.correct_verdict.value})
        for c in corrections
    ] or [Feedback.model_validate(base)]
    session.add_all(rows)
    if audit:
        what = ", ".join(f"{c.criterion_id} should be {c.correct_verdict.value}" for c in corrections)
        record(
            session,
            actor=actor,
            action="feedback.record",
            object_type="grade",
            object_id=grade_id,
            summary=f"{kind} on grade {grade_id}{_of_company(session, grade.company_id)}"
            + (f": {what}" if what else "")
            + (f" ({note.strip()})" if note.strip() else ""),
            after={"kind": kind, "corrections": [c.model_dump(mode="json") for c in corrections], "note": note.strip()},
        )
    session.commit()
    return [row.id for row in rows if row.id is not None]


def list_feedback(session: Session, *, grade_id: int | None = None, limit: int | None = 200) -> list[FeedbackInfo]:
    """Feedback, newest first."""
    stmt = (
        select(Feedback, Company, SegmentVersion)
        .join(Company, col(Company.id) == col(Feedback.company_id))
        .join(SegmentVersion, col(SegmentVersion.id) == col(Feedback.segment_version_id))
        .order_by(col(Feedback.id).desc())
    )
    if grade_id is not None:
        stmt = stmt.where(Feedback.grade_id == grade_id)
    if limit:
        stmt = stmt.limit(limit)
    out = []
    for fb, company, version in session.exec(stmt):
        assert fb.id is not None
        out.append(
            FeedbackInfo(
                id=fb.id,
                grade_id=fb.grade_id,
                company_name=company.name,
                domain=company.domain,
                segment=version.name,
                segment_version=version.version,
                kind=fb.kind,
                criterion_id=fb.criterion_id,
                correct_verdict=fb.correct_verdict,
                note=fb.note,
                author=fb.author,
                created_at=fb.created_at,
            )
        )
    return out
