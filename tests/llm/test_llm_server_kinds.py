"""The LLM path against servers as people run them: bounded answers, response modes, system roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile
from icp.evaluators.base import grade_pairs
from icp.evaluators.llm import LLMEvaluator, output_token_cap
from icp.testing import ChatRequest, FakeOpenAI, Reply

MakeEvaluator = Callable[..., LLMEvaluator]
Responder = Callable[[ChatRequest], dict[str, Any]]


# -- bounded answers ---------------------------------------------------------------------------------


def test_every_request_carries_max_tokens_sized_from_the_criteria(
    fake_openai: FakeOpenAI, make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment
) -> None:
    evaluator = make_evaluator()

    grade = evaluator.grade(company, segment)
    body = evaluator.request_body(company, segment)

    assert grade.status == "ok", grade.error
    sent = fake_openai.chat_requests[0].body["max_tokens"]
    assert sent == body["max_tokens"] == output_token_cap(len(segment.criteria))
    assert 256 <= sent <= 4096
    assert output_token_cap(1) == 256 and output_token_cap(200) == 4096  # floor and cap
    assert output_token_cap(10) > output_token_cap(4)


def test_max_output_tokens_setting_overrides_the_size(
    fake_openai: FakeOpenAI, make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment
) -> None:
    make_evaluator(max_output_tokens=700).grade(company, segment)

    assert fake_openai.chat_requests[0].body["max_tokens"] == 700


def test_a_runaway_answer_is_asked_once_for_a_shorter_one(
    fake_openai: FakeOpenAI, make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment
) -> None:
    fake_openai.enqueue(Reply.truncated('{"criteria": [{"id": "R1", "verdict": "met", "evidence": "B2B SaaS B2B SaaS'))

    grade = make_evaluator().grade(company, segment)

    assert grade.status == "ok", grade.error
    first, second = fake_openai.chat_requests
    assert second.body["max_tokens"] == first.body["max_tokens"]
    last_user = [m for m in second.messages if m["role"] == "user"][-1]["content"]
    assert "evidence at most 12 words, summary one sentence" in last_user
    assert [m["role"] for m in second.messages] == [m["role"] for m in first.messages]  # roles still alternate
    assert grade.usage.attempts == 2


def test_an_answer_cut_off_twice_is_a_readable_failure(
    fake_openai: FakeOpenAI, make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment
) -> None:
    fake_openai.enqueue(Reply.truncated(), Reply.truncated())

    grade = make_evaluator().grade(company, segment)

    assert grade.status == "failed"
    assert grade.error is not None
    assert "cut off at its token limit" in grade.error and "shorter answer" in grade.error
    assert "ICP_MAX_OUTPUT_TOKENS" in grade.error
    assert len(fake_openai.chat_requests) == 2


# -- response modes ----------------------------------------------------------------------------------


def test_auto_mode_falls_back_from_a_500_on_json_schema_without_a_retry_storm(
    make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment, grounded_responder: Responder
) -> None:
    with FakeOpenAI(responder=grounded_responder, supports_json_schema=False, json_schema_status=500) as fake:
        evaluator = make_evaluator(server=fake, max_retries=4)
        first = evaluator.grade(company, segment)
        second = evaluator.grade(company.model_copy(update={"domain": "other.de"}), segment)

        assert first.status == "ok", first.error
        assert second.status == "ok", second.error
        kinds = [r.body["response_format"]["type"] for r in fake.chat_requests]
        assert kinds == ["json_schema", "json_object", "json_object"]  # the failing mode is not asked again
        schema = fake.chat_requests[1].body["response_format"]["schema"]
        assert schema["$defs"]["CriterionAnswer"]["properties"]["id"]["enum"] == ["R1", "R2", "R3", "N1"]
        assert evaluator.modes.current == "json_object_schema"


def test_auto_mode_falls_back_to_plain_json_object(
    make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment, grounded_responder: Responder
) -> None:
    def no_schemas(request: ChatRequest) -> Reply | dict[str, Any]:
        if "schema" in (request.response_format or {}):
            return Reply.error_reply(400, "'schema' is not supported in response_format", param="response_format")
        return grounded_responder(request)

    with FakeOpenAI(responder=no_schemas, supports_json_schema=False) as fake:
        evaluator = make_evaluator(server=fake)
        grade = evaluator.grade(company, segment)

        assert grade.status == "ok", grade.error
        assert [r.body["response_format"] for r in fake.chat_requests][-1] == {"type": "json_object"}
        assert len(fake.chat_requests) == 3
        assert evaluator.modes.current == "json_object"


def test_auto_mode_falls_back_once_for_many_threads(
    make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment, grounded_responder: Responder
) -> None:
    with FakeOpenAI(responder=grounded_responder, supports_json_schema=False, json_schema_status=500) as fake:
        evaluator = make_evaluator(server=fake)
        companies = [company.model_copy(update={"domain": f"c{i}.de"}) for i in range(12)]
        grades = dict(grade_pairs(evaluator, ((c.domain, c, segment) for c in companies), concurrency=4))

        assert all(g.status == "ok" for g in grades.values()), [g.error for g in grades.values()]
        rejected = [r for r in fake.chat_requests if r.status == 500]
        assert len(rejected) <= 4  # at most the requests already in flight when the first 500 came back
        assert len(fake.chat_requests) == 12 + len(rejected)


def test_a_fixed_mode_is_not_retried_when_the_server_rejects_it(
    make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment
) -> None:
    with FakeOpenAI(supports_json_schema=False, json_schema_status=500) as fake:
        grade = make_evaluator(server=fake, llm_mode="json_schema", max_retries=4).grade(company, segment)

        assert grade.status == "failed"
        assert len(fake.chat_requests) == 1
        assert grade.error is not None and "ICP_LLM_MODE=auto" in grade.error


def test_json_object_schema_mode_sends_the_schema_inside_json_mode(
    fake_openai: FakeOpenAI, make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment
) -> None:
    grade = make_evaluator(llm_mode="json_object_schema").grade(company, segment)

    assert grade.status == "ok", grade.error
    response_format = fake_openai.chat_requests[0].body["response_format"]
    assert response_format["type"] == "json_object"
    assert set(response_format["schema"]["properties"]) == {"criteria", "summary"}
    # The grammar the server builds from it holds a small model to one entry per criterion.
    entries = response_format["schema"]["properties"]["criteria"]
    assert entries["minItems"] == entries["maxItems"] == len(segment.criteria)


# -- system role ---------------------------------------------------------------------------------------


def test_merged_system_message_survives_a_server_that_drops_the_system_role(
    make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment, grounded_responder: Responder
) -> None:
    with FakeOpenAI(responder=grounded_responder, drop_system_role=True) as fake:
        kept = make_evaluator(server=fake, max_output_retries=0).grade(company, segment)
        merged = make_evaluator(server=fake, llm_system_role="merge").grade(company, segment)

        assert kept.status == "failed"  # the server never saw the criteria
        assert merged.status == "ok", merged.error
        assert [r.verdict.value for r in merged.results] == ["met", "met", "met", "met"]
        roles = [m["role"] for m in fake.chat_requests[-1].messages]
        assert roles == ["user"]
        content = fake.chat_requests[-1].messages[0]["content"]
        assert content.index("R1.") < content.rindex("<company_data>")  # instructions first, company last
