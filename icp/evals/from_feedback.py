"""Turn SDR feedback into candidate golden cases, for a person to review before they join a suite.

One candidate per graded (company, segment version) with feedback: the company snapshot and segment
wording as graded, the grade's verdicts as expected, with every SDR correction applied. An ``agree``
confirms the grade as it was. Candidates carry the tags ``from-feedback`` and ``needs-review`` and are
written to a file; nothing is merged into a suite automatically.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import Session, col, select

from icp.domain import CompanyProfile, Verdict
from icp.evals.cases import CaseProblem, GoldenCase, dump_cases
from icp.store.tables import Company, Feedback, Grade, SegmentVersion


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "x"


def cases_from_feedback(
    session: Session, *, segment: str | None = None, limit: int | None = None
) -> tuple[list[GoldenCase], list[CaseProblem]]:
    """Candidate cases from stored feedback, and the feedback that could not become one (with why)."""
    stmt = select(Feedback).order_by(col(Feedback.grade_id), col(Feedback.id))
    by_grade: dict[int, list[Feedback]] = defaultdict(list)
    for row in session.exec(stmt):
        by_grade[row.grade_id].append(row)
    cases: list[GoldenCase] = []
    problems: list[CaseProblem] = []
    for grade_id, rows in by_grade.items():
        grade = session.get(Grade, grade_id)
        if grade is None:
            continue
        version = session.get(SegmentVersion, grade.segment_version_id)
        company = session.get(Company, grade.company_id)
        if version is None or company is None:
            continue
        if segment is not None and version.name.lower() != segment.lower():
            continue
        where = f"feedback {', '.join(str(r.id) for r in rows)}"
        if grade.status != "ok" or not grade.results:
            problems.append(CaseProblem(path=where, line=0, message=f"grade {grade_id} failed; nothing to label"))
            continue
        verdicts = {str(r["id"]): Verdict(str(r["verdict"])) for r in grade.results}
        corrections = {r.criterion_id: r.correct_verdict for r in rows if r.kind == "wrong" and r.criterion_id}
        for criterion_id, verdict in corrections.items():
            if criterion_id in verdicts and verdict:
                verdicts[criterion_id] = Verdict(verdict)
        notes = [r.note for r in rows if r.note]
        authors = sorted({r.author for r in rows if r.author}) or ["unknown SDR"]
        kinds = sorted({r.kind for r in rows})
        changed = ", ".join(f"{k} -> {v}" for k, v in sorted(corrections.items()) if v)
        rationale = "; ".join(
            [
                f"SDR feedback ({'/'.join(kinds)}) on grade {grade_id} by {grade.evaluator}"
                + (f" {grade.prompt_id}" if grade.prompt_id else ""),
                *([f"corrected {changed}"] if changed else ["verdicts confirmed as graded"]),
                *notes,
            ]
        )
        profile = CompanyProfile.model_validate(
            {
                "name": company.name,
                "domain": company.domain,
                "website": company.website,
                "industry": company.industry,
                "employees": company.employees,
                "revenue": company.revenue,
                "country": company.country,
                "region": company.region,
                "city": company.city,
                "description": company.description,
                "tags": tuple(company.tags),
                "technologies": tuple(company.technologies),
                "funding_stage": company.funding_stage,
                "founded_year": company.founded_year,
            }
        )
        data = {
            "id": f"fb-{grade_id}-{_slug(version.name)}-{_slug(company.domain)}",
            "description": f"{company.name} vs {version.name} v{version.version}, from SDR feedback",
            "segment": {
                "name": version.name,
                "requirements": version.requirements,
                "nice_to_haves": version.nice_to_haves,
            },
            "company": profile,
            "expected": {"verdicts": verdicts},
            "tags": ["from-feedback", "needs-review"],
            "labelled_by": ", ".join(authors),
            "rationale": rationale,
        }
        try:
            cases.append(GoldenCase.model_validate(data))
        except ValidationError as exc:
            problems.append(CaseProblem(path=where, line=0, message=str(exc.errors()[0]["msg"])))
        if limit is not None and len(cases) >= limit:
            break
    return cases, problems


def write_candidates(cases: list[GoldenCase], path: Path) -> Path:
    """Write candidate cases as a YAML case file (review, then move the good ones into a suite)."""
    header = (
        "# Candidate golden cases from SDR feedback. Review every case (labels, rationale, tags) before\n"
        "# moving it into evals/datasets/<suite>/; drop the 'needs-review' tag when you do."
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_cases(cases, header=header), encoding="utf-8")
    return path
