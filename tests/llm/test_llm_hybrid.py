"""The hybrid evaluator: checks decide what they can, the LLM grades only the rest, or nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from icp.criteria import CompiledSegment, compile_segment
from icp.domain import CompanyProfile, Verdict
from icp.evaluators.base import Evaluator
from icp.evaluators.hybrid import HybridEvaluator
from icp.evaluators.llm import LLMEvaluator
from icp.testing import ChatRequest, FakeOpenAI, Reply, grade_answer

MakeEvaluator = Callable[..., LLMEvaluator]


@pytest.fixture
def checked_segment() -> CompiledSegment:
    """R2, R3 and N1 have structured checks; R1 (prose-ish) and R4 need the model."""
    return compile_segment(
        "Mid-market SaaS",
        "B2B SaaS company\n200-2,000 employees\nHeadquartered in Germany\nStrong product-led growth motion",
        "Uses Salesforce",
    )


@pytest.fixture
def acme() -> CompanyProfile:
    return CompanyProfile(
        name="Acme Logistics",
        domain="acme.de",
        employees=450,
        country="DE",
        description="Acme is a B2B SaaS platform with a strong product-led growth motion.",
        technologies=("Salesforce",),
    )


def test_hybrid_sends_only_undecided_criteria(
    fake_openai: FakeOpenAI,
    make_evaluator: MakeEvaluator,
    checked_segment: CompiledSegment,
    acme: CompanyProfile,
) -> None:
    def responder(request: ChatRequest) -> dict[str, object]:
        evidence = {"R1": ("met", "B2B SaaS platform"), "R4": ("met", "strong product-led growth motion")}
        return grade_answer(evidence, ids=list(request.criteria), summary="Strong fit.")

    fake_openai.responder = responder
    hybrid = HybridEvaluator(make_evaluator())

    grade = hybrid.grade(acme, checked_segment)

    assert isinstance(hybrid, Evaluator)
    assert grade.status == "ok", grade.error
    (request,) = fake_openai.chat_requests
    assert list(request.chat.criteria) == ["R1", "R4"]  # ids kept, checked criteria not sent
    schema = request.body["response_format"]["json_schema"]["schema"]
    assert schema["$defs"]["CriterionAnswer"]["properties"]["id"]["enum"] == ["R1", "R4"]
    assert [(r.id, r.verdict, r.source) for r in grade.results] == [
        ("R1", Verdict.MET, "llm"),
        ("R2", Verdict.MET, "check"),
        ("R3", Verdict.MET, "check"),
        ("R4", Verdict.MET, "llm"),
        ("N1", Verdict.MET, "check"),
    ]
    assert grade.summary == "Strong fit."
    assert grade.identity.evaluator == "hybrid"
    assert grade.identity.prompt_hash == hybrid.llm.identity.prompt_hash
    assert grade.usage.attempts == 1 and grade.usage.tokens_in > 0


def test_hybrid_makes_no_call_when_a_requirement_fails_by_check(
    fake_openai: FakeOpenAI,
    make_evaluator: MakeEvaluator,
    checked_segment: CompiledSegment,
    acme: CompanyProfile,
) -> None:
    small = acme.model_copy(update={"employees": 12})

    grade = HybridEvaluator(make_evaluator()).grade(small, checked_segment)

    assert fake_openai.chat_requests == []
    assert grade.status == "ok"
    r2 = grade.result("R2")
    assert r2 is not None and r2.verdict is Verdict.NOT_MET and r2.source == "check"
    r1 = grade.result("R1")
    assert r1 is not None and r1.verdict is Verdict.UNKNOWN
    assert r1.note == "not graded: requirement R2 already fails by structured check"
    assert [r.id for r in grade.failed_requirements] == ["R2"]
    assert grade.usage.attempts == 0 and grade.usage.cost_usd == 0


def test_hybrid_makes_no_call_when_checks_decide_everything(
    fake_openai: FakeOpenAI, make_evaluator: MakeEvaluator, acme: CompanyProfile
) -> None:
    segment = compile_segment("DACH mid-market", "200-2,000 employees\nHeadquartered in Germany")

    grade = HybridEvaluator(make_evaluator()).grade(acme, segment)

    assert fake_openai.chat_requests == []
    assert [r.verdict for r in grade.results] == [Verdict.MET, Verdict.MET]


def test_hybrid_sends_criteria_whose_fields_are_missing(
    fake_openai: FakeOpenAI, make_evaluator: MakeEvaluator, checked_segment: CompiledSegment, acme: CompanyProfile
) -> None:
    no_headcount = acme.model_copy(update={"employees": None})

    HybridEvaluator(make_evaluator()).grade(no_headcount, checked_segment)

    (request,) = fake_openai.chat_requests
    assert "R2" in request.chat.criteria  # the check could not decide from missing data: the model may


def test_hybrid_records_llm_failures(
    fake_openai: FakeOpenAI, make_evaluator: MakeEvaluator, checked_segment: CompiledSegment, acme: CompanyProfile
) -> None:
    fake_openai.enqueue(Reply.error_reply(401, "bad key"))

    grade = HybridEvaluator(make_evaluator()).grade(acme, checked_segment)

    assert grade.status == "failed"
    assert grade.error is not None and "401" in grade.error
    assert grade.identity.evaluator == "hybrid"
