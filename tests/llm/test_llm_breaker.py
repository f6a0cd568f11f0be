"""The circuit breaker: unfixable failures in a row stop the LLM path with icp llm check's diagnosis."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile
from icp.errors import CircuitOpenError
from icp.evaluators.llm import LLMEvaluator
from icp.testing import FakeOpenAI, Reply


@pytest.mark.parametrize(
    ("reply", "status", "hint"),
    [
        (Reply.rate_limited(quota=True), "quota_exhausted", "Add credit"),
        (Reply.error_reply(401, "Incorrect API key provided."), "bad_key", "ICP_OPENAI_API_KEY"),
        (Reply.error_reply(403, "Project does not have access."), "bad_key", "ICP_OPENAI_API_KEY"),
    ],
)
def test_unfixable_failures_in_a_row_open_the_breaker(
    fake_openai: FakeOpenAI,
    make_evaluator: Callable[..., LLMEvaluator],
    company: CompanyProfile,
    segment: CompiledSegment,
    reply: Reply,
    status: str,
    hint: str,
) -> None:
    evaluator = make_evaluator(circuit_breaker_failures=3)
    fake_openai.enqueue(*[reply] * 10)
    grades = [evaluator.grade(company, segment) for _ in range(3)]
    assert all(g.status == "failed" for g in grades)
    with pytest.raises(CircuitOpenError) as opened:
        evaluator.grade(company, segment)
    assert opened.value.status == status and hint in str(opened.value)
    assert "3 requests in a row" in str(opened.value)
    assert len(fake_openai.chat_requests) == 3  # the fourth pair was never sent


def test_transient_failures_and_successes_keep_the_breaker_closed(
    fake_openai: FakeOpenAI,
    make_evaluator: Callable[..., LLMEvaluator],
    company: CompanyProfile,
    segment: CompiledSegment,
) -> None:
    evaluator = make_evaluator(circuit_breaker_failures=2, max_retries=0)
    unfixable = Reply.error_reply(401, "Incorrect API key provided.")
    fake_openai.enqueue(unfixable, Reply.server_error(503), unfixable)  # a 503 neither counts nor resets
    for _ in range(2):
        assert evaluator.grade(company, segment).status == "failed"
    with pytest.raises(CircuitOpenError):
        evaluator.grade(company, segment)
        evaluator.grade(company, segment)

    evaluator = make_evaluator(circuit_breaker_failures=2)
    fake_openai.enqueue(unfixable)  # then the grounded answer: a success resets the count
    assert evaluator.grade(company, segment).status == "failed"
    assert evaluator.grade(company, segment).status == "ok"
    fake_openai.enqueue(unfixable)
    assert evaluator.grade(company, segment).status == "failed"
