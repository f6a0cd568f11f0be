"""A model's summary that contradicts the company's data or its own (demoted) verdicts is replaced and flagged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from icp.criteria import CompiledSegment, Criterion
from icp.domain import CompanyProfile, CriterionKind
from icp.evaluators.llm import LLMEvaluator
from icp.settings import Settings
from icp.store.tables import Grade as GradeRow
from icp.testing import ChatRequest, FakeOpenAI, grade_answer
from tests.inprocess import run_icp

SPANISH = CompanyProfile(
    name="Acme Iberia",
    domain="acme.es",
    country="Spain",
    employees=260,
    industry="Software",
    founded_year=2012,
    description="Acme sells route planning software to logistics teams.",
)
SEGMENT = CompiledSegment(
    name="Logistics software",
    criteria=(
        Criterion(id="R1", kind=CriterionKind.REQUIREMENT, text="Sells to logistics teams"),
        Criterion(id="R2", kind=CriterionKind.REQUIREMENT, text="SOC 2 certified"),
        Criterion(id="N1", kind=CriterionKind.NICE_TO_HAVE, text="Uses Salesforce"),
    ),
)


def _answer(summary: str, evidence: str = "ISO 27001 certified, SOC 2 type II") -> Callable[[ChatRequest], Any]:
    """Every verdict 'met' on evidence the company's data does not contain (so grounding demotes it)."""

    def respond(request: ChatRequest) -> dict[str, Any]:
        return grade_answer({cid: ("met", evidence) for cid in request.criteria}, summary=summary)

    return respond


@pytest.mark.parametrize(
    ("summary", "reasons"),
    [
        (
            "A German company with 120 employees.",
            [
                "'German company', but the company's country is Spain",
                "'120 employees', but the company data says employees: 260",
            ],
        ),  # fmt: skip
        ("Headquartered in Munich, Germany; a strong fit.", ["'Headquartered in Munich, Germany'", "'strong fit'"]),
        ("Berlin-based... a Germany-based vendor with a headcount of 1,200.", ["Germany-based", "headcount of 1,200"]),
        ("Founded in 2019, this healthcare company meets every requirement.", ["founded_year: 2012", "industry"]),
        ("Acme is not a Spanish company.", ["not 'Spanish company', but the company's country is Spain"]),
        ("Meets all requirements.", ["but the verdicts have R1, R2 unknown"]),
        ("Acme is ISO 27001 certified, SOC 2 type II.", ["the evidence of R1 that the company data does not contain"]),
    ],
)
def test_a_contradicting_summary_is_replaced_by_one_from_the_verdicts(
    fake_openai: FakeOpenAI, make_evaluator: Callable[..., LLMEvaluator], summary: str, reasons: list[str]
) -> None:
    fake_openai.responder = _answer(summary)
    grade = make_evaluator().grade(SPANISH, SEGMENT)
    assert grade.status == "ok"
    assert all(r.verdict.value == "unknown" and r.note.startswith("demoted from met") for r in grade.results)
    assert grade.summary == "Meets 0 of 2 requirements; R1, R2 unknown; 0 of 1 nice-to-haves."
    assert grade.note.startswith(f"The model's summary {summary!r} was replaced by one composed from the verdicts: ")
    for reason in reasons:
        assert reason in grade.note


@pytest.mark.parametrize(
    "summary",
    [
        "A Spanish route-planning software company with about 250 employees.",
        "Sells to logistics teams; SOC 2 status unknown.",
        "Not a German company; founded in 2012.",
    ],
)
def test_a_summary_the_data_supports_is_kept(
    fake_openai: FakeOpenAI, make_evaluator: Callable[..., LLMEvaluator], summary: str
) -> None:
    fake_openai.responder = _answer(summary)
    grade = make_evaluator().grade(SPANISH, SEGMENT)
    assert (grade.summary, grade.note) == (summary, "")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    from icp.companies import import_companies
    from icp.segments import import_segments
    from icp.store import open_engine

    companies = tmp_path / "companies.json"
    companies.write_text(json.dumps([SPANISH.model_dump(mode="json")]), encoding="utf-8")
    path = tmp_path / "icp.db"
    engine = open_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        import_segments(
            session,
            [{"name": "Logistics software", "requirements": "Sells to logistics teams\nSOC 2 certified",
              "nice_to_haves": "Uses Salesforce"}],
        )  # fmt: skip
        import_companies(session, companies)
    engine.dispose()
    return path


def test_the_replacement_and_its_note_reach_the_cli_and_the_stored_grade(db: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = _answer("A German company with 120 employees.")
    env = {
        "ICP_OPENAI_BASE_URL": fake_openai.base_url,
        "ICP_OPENAI_API_KEY": "test",
        "ICP_REQUESTS_PER_MINUTE": "60000",
    }
    args = ("grade", "--segment", "Logistics software", "--company", "acme.es", "--evaluator", "llm")
    shown = " ".join(run_icp(db, *args, env=env).stdout.split())
    assert "A German company" not in shown.split("Note:")[0]  # the replaced summary is not shown as the summary
    assert "Meets 0 of 2 requirements" in shown
    assert "Note: The model's summary 'A German company with 120 employees.' was replaced" in shown
    payload = json.loads(run_icp(db, *args, "--format", "json", env=env).stdout)
    assert "country is Spain" in payload["grade"]["note"]

    run_icp(db, "cycle", "run", "--evaluator", "llm", "--format", "json", env=env)
    from icp.store import open_engine

    engine = open_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        (stored,) = session.exec(select(GradeRow)).all()
    engine.dispose()
    assert stored.summary.startswith("Meets 0 of 2 requirements")
    assert "'120 employees', but the company data says employees: 260" in stored.note


def test_the_hybrid_evaluator_composes_the_replacement_from_every_verdict(
    fake_openai: FakeOpenAI, settings: Settings
) -> None:
    from openai import OpenAI

    from icp.criteria import compile_segment
    from icp.evaluators.hybrid import HybridEvaluator

    fake_openai.responder = _answer("A German company with 120 employees.")
    segment = compile_segment("Logistics software", "200-2,000 employees\nSOC 2 certified", "")
    with OpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0) as client:
        grade = HybridEvaluator(LLMEvaluator(client, settings)).grade(SPANISH, segment)
    assert grade.result("R1") is not None and grade.result("R1").verdict.value == "met"  # decided by the check
    assert grade.summary == "Meets 1 of 2 requirements; R2 unknown."  # both criteria, not the LLM's one
    assert "'German company', but the company's country is Spain" in grade.note
