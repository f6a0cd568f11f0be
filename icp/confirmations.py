"""Confirmed verdicts: a person's answer to a criterion the data could not settle (or settled wrongly).

An SDR who researched "Fintech company" for acme.io records the verdict once; it overrides the
evaluator's verdict for that company and that criterion text in every segment that asks it, from the
next cycle on (and at once wherever evidence is shown). It holds while the company's data is what the
person saw: when the data changes, the company is re-graded and the confirmation is shown as stale.
Confirmations are kept with their author and feed ``icp evals from-feedback``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from icp.companies import get_company
from icp.criteria import compile_segment
from icp.domain import CriterionResult, Verdict
from icp.errors import InputError, NotFoundError
from icp.feedback import CriterionCorrection, record_feedback
from icp.segments import get_segment
from icp.store.tables import Company, ConfirmedVerdict, Grade
from icp.team.audit import record
from icp.team.roles import LOCAL_OPERATOR, Actor, Permission, author_of, require


def criterion_key(text: str) -> str:
    """The form criterion texts are matched in: case-folded, whitespace collapsed."""
    return " ".join(text.casefold().split())


def criterion_text(session: Session, segment: str, criterion_id: str) -> str:
    """The text of criterion ``criterion_id`` (R1, N2...) in the current version of ``segment``."""
    info = get_segment(session, segment)
    compiled = compile_segment(info.name, info.requirements, info.nice_to_haves)
    wanted = criterion_id.strip().upper()
    for criterion in compiled.criteria:
        if criterion.id == wanted:
            return criterion.text
    ids = ", ".join(c.id for c in compiled.criteria)
    raise NotFoundError(f"Segment {info.name!r} has no criterion {criterion_id!r}; it has {ids}.")


class ConfirmationInfo(BaseModel):
    """A confirmed verdict as listed."""

    id: int
    domain: str
    company_name: str
    criterion: str
    verdict: str
    evidence: str
    note: str
    author: str
    created_at: datetime
    stale: bool


class Confirmation(BaseModel):
    """The latest confirmation of one criterion for one company, and whether it still applies."""

    row: ConfirmedVerdict
    stale: bool


def confirm_verdict(
    session: Session,
    domain: str,
    criterion: str,
    verdict: Verdict,
    *,
    author: str,
    note: str = "",
    evidence: str = "",
    grade_id: int | None = None,
    actor: Actor = LOCAL_OPERATOR,
) -> ConfirmationInfo:
    """Record a person's verdict on ``criterion`` (its text) for the company at ``domain``. Commits.

    A signed-in ``actor`` is the author whatever ``author`` says; without sign-in ``author`` is required.
    """
    require(actor, Permission.CONFIRM_VERDICTS)
    author = author_of(actor, author)
    if not author:
        raise InputError("Say who confirms the verdict (--author): a confirmation overrides the evaluator.")
    text = " ".join(criterion.split())
    if not text:
        raise InputError("Name the criterion to confirm (its text, or a segment and its id such as R1).")
    company = get_company(session, domain)
    assert company.id is not None
    row = ConfirmedVerdict.model_validate(
        {
            "company_id": company.id,
            "criterion_key": criterion_key(text),
            "criterion_text": text,
            "verdict": Verdict(verdict).value,
            "evidence": evidence.strip()[:500],
            "note": note.strip()[:2000],
            "author": author[:200],
            "company_hash": company.content_hash,
            "grade_id": grade_id,
        }
    )
    session.add(row)
    record(
        session,
        actor=actor,
        action="verdict.confirm",
        object_type="company",
        object_id=company.domain,
        summary=f"confirmed {text!r} = {row.verdict} for {company.domain}" + (f" ({row.note})" if row.note else ""),
        after={"criterion": text, "verdict": row.verdict, "note": row.note, "evidence": row.evidence, "author": author},
    )
    session.commit()
    _record_as_feedback(session, row, actor)
    return _info(row, company)


def _record_as_feedback(session: Session, row: ConfirmedVerdict, actor: Actor) -> None:
    """A confirmation is also feedback on the newest grade that asked the criterion, so it can become an eval case."""
    grades = session.exec(
        select(Grade)
        .where(Grade.company_id == row.company_id, Grade.status == "ok")
        .order_by(col(Grade.id).desc())
        .limit(200)
    )
    for grade in grades:
        for result in grade.results:
            if criterion_key(str(result["text"])) != row.criterion_key:
                continue
            assert grade.id is not None
            note = f"confirmed {row.criterion_text!r} = {row.verdict}" + (f": {row.note}" if row.note else "")
            if result["verdict"] == row.verdict:
                record_feedback(session, grade.id, "agree", note=note, author=row.author, actor=actor, audit=False)
            else:
                correction = CriterionCorrection(criterion_id=str(result["id"]), correct_verdict=Verdict(row.verdict))
                record_feedback(
                    session,
                    grade.id,
                    "wrong",
                    corrections=[correction],
                    note=note,
                    author=row.author,
                    actor=actor,
                    audit=False,
                )
            return


def _info(row: ConfirmedVerdict, company: Company) -> ConfirmationInfo:
    assert row.id is not None
    return ConfirmationInfo(
        id=row.id,
        domain=company.domain,
        company_name=company.name,
        criterion=row.criterion_text,
        verdict=row.verdict,
        evidence=row.evidence,
        note=row.note,
        author=row.author,
        created_at=row.created_at,
        stale=row.company_hash != company.content_hash,
    )


def list_confirmations(
    session: Session, *, domain: str | None = None, limit: int | None = 500
) -> list[ConfirmationInfo]:
    """Confirmed verdicts, newest first (every one, including those a later one replaced)."""
    stmt = (
        select(ConfirmedVerdict, Company)
        .join(Company, col(Company.id) == col(ConfirmedVerdict.company_id))
        .order_by(col(ConfirmedVerdict.id).desc())
    )
    if domain:
        company = get_company(session, domain)
        stmt = stmt.where(ConfirmedVerdict.company_id == company.id)
    if limit:
        stmt = stmt.limit(limit)
    return [_info(row, company) for row, company in session.exec(stmt)]


def confirmations_for(
    session: Session, company_ids: Iterable[int] | None = None, *, as_of: datetime | None = None
) -> dict[int, dict[str, Confirmation]]:
    """The latest confirmation per (company, criterion), marked stale when the company's data changed since.

    ``as_of`` keeps only confirmations made by then (how a past cycle saw the account).
    """
    stmt = (
        select(ConfirmedVerdict, Company.content_hash)
        .join(Company, col(Company.id) == col(ConfirmedVerdict.company_id))
        .order_by(col(ConfirmedVerdict.id))
    )
    if as_of is not None:
        stmt = stmt.where(col(ConfirmedVerdict.created_at) <= as_of)
    if company_ids is not None:
        ids = list(dict.fromkeys(company_ids))
        if not ids:
            return {}
        stmt = stmt.where(col(ConfirmedVerdict.company_id).in_(ids))
    found: dict[int, dict[str, Confirmation]] = {}
    for row, company_hash in session.exec(stmt):
        found.setdefault(row.company_id, {})[row.criterion_key] = Confirmation(
            row=row, stale=row.company_hash != company_hash
        )
    return found


def apply_confirmations(
    results: Sequence[CriterionResult], confirmations: Mapping[str, Confirmation]
) -> tuple[list[CriterionResult], bool]:
    """``results`` with every applicable confirmation in place of the evaluator's verdict, and whether any applied.

    A stale confirmation does not apply; the criterion keeps the evaluator's (fresh) verdict and says so.
    """
    if not confirmations:
        return list(results), False
    out: list[CriterionResult] = []
    applied = False
    for result in results:
        found = confirmations.get(criterion_key(result.text))
        if found is None:
            out.append(result)
            continue
        row = found.row
        when = row.created_at.date().isoformat()
        if found.stale:
            stale_note = (
                f"{row.author}'s confirmation ({row.verdict}, {when}) is stale: the company's data changed since"
            )
            out.append(result.model_copy(update={"note": "; ".join(n for n in (result.note, stale_note) if n)}))
            continue
        applied = True
        said = f"the evaluator said {result.verdict.value}"
        note = f"confirmed by {row.author} on {when}" + (f": {row.note}" if row.note else "") + f"; {said}"
        out.append(
            result.model_copy(
                update={
                    "verdict": Verdict(row.verdict),
                    "evidence": row.evidence or (f"confirmed by {row.author}" if row.verdict != "unknown" else ""),
                    "confidence": 1.0,
                    "source": "person",
                    "note": note,
                }
            )
        )
    return out, applied
