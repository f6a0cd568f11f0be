"""SDR feedback becomes candidate golden cases, written to a file for review."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session
from typer.testing import CliRunner

from icp.cli import app
from icp.evals.cases import parse_case_file
from icp.evals.from_feedback import cases_from_feedback
from icp.feedback import CriterionCorrection, record_feedback
from icp.store.tables import Company, Grade, Segment, SegmentVersion


def _graded(session: Session) -> int:
    segment = Segment.model_validate(
        {"name": "DACH SaaS", "name_key": "dach saas", "requirements": "In DACH\nUses Salesforce"}
    )
    session.add(segment)
    session.flush()
    version = SegmentVersion.model_validate(
        {
            "segment_id": segment.id,
            "version": 1,
            "name": "DACH SaaS",
            "requirements": "In DACH\nUses Salesforce",
            "content_hash": "b2:v",
        }  # fmt: skip
    )
    company = Company.model_validate(
        {"domain": "acme.de", "name": "Acme", "country": "DE", "technologies": ["HubSpot"], "content_hash": "b2:c"}
    )
    session.add_all([version, company])
    session.flush()
    grade = Grade.model_validate(
        {
            "input_hash": "b2:i",
            "company_id": company.id,
            "segment_version_id": version.id,
            "company_hash": "b2:c",
            "evaluator": "offline",
            "results": [
                {"id": "R1", "kind": "requirement", "text": "In DACH", "verdict": "met"},
                {"id": "R2", "kind": "requirement", "text": "Uses Salesforce", "verdict": "unknown"},
            ],
        }
    )
    session.add(grade)
    session.commit()
    assert grade.id is not None
    return grade.id


def test_wrong_feedback_becomes_a_corrected_candidate_case(session: Session) -> None:
    grade_id = _graded(session)
    record_feedback(
        session,
        grade_id,
        "wrong",
        corrections=[CriterionCorrection(criterion_id="R2", correct_verdict="not_met")],
        note="They use HubSpot, not Salesforce.",
        author="sam@sdr",
    )
    cases, problems = cases_from_feedback(session)
    assert not problems and len(cases) == 1
    case = cases[0]
    assert case.expected.verdicts["R1"].value == "met"
    assert case.expected.verdicts["R2"].value == "not_met"
    assert case.expected_member is False
    assert case.labelled_by == "sam@sdr"
    assert "HubSpot, not Salesforce" in case.rationale
    assert "needs-review" in case.tags
    assert case.company.technologies == ("HubSpot",)


def test_cli_writes_candidates_to_a_file_not_the_suite(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "fb.db"
    from icp.store import open_engine

    file_engine = open_engine(f"sqlite:///{db}")
    with Session(file_engine) as session:
        grade_id = _graded(session)
        record_feedback(session, grade_id, "agree", author="kim@sdr")
    file_engine.dispose()
    out = tmp_path / "candidates.yaml"
    result = CliRunner().invoke(app, ["--db", str(db), "evals", "from-feedback", "--out", str(out)])
    assert result.exit_code == 0, result.output
    loaded, problems = parse_case_file(out.read_text(encoding="utf-8"), source=str(out))
    assert not problems
    assert [c.expected.verdicts["R2"].value for c, _ in loaded] == ["unknown"]
