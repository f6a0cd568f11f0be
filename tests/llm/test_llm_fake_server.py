"""The fake OpenAI server itself: what tests and benchmarks rely on."""

from __future__ import annotations

import contextlib

import openai
import pytest
from openai import OpenAI

from icp.testing import FakeOpenAI, FaultRates, Reply, unknown_responder

MESSAGES = [
    {"role": "system", "content": "Criteria:\nR1. (requirement) B2B\nN1. (nice-to-have) Uses Salesforce"},
    {"role": "user", "content": '<company_data>\n{"name": "Acme", "domain": "acme.com"}\n</company_data>'},
]


def ask(fake: FakeOpenAI, **kwargs: object) -> openai.types.chat.ChatCompletion:
    with OpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as client:
        return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **kwargs)  # type: ignore[call-overload,no-any-return]


def test_default_responder_answers_unknown_for_every_criterion_with_usage() -> None:
    with FakeOpenAI() as fake:
        completion = ask(fake)
        (record,) = fake.requests

    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.content is not None
    assert '"id": "R1"' in completion.choices[0].message.content
    assert '"id": "N1"' in completion.choices[0].message.content
    assert completion.usage is not None and completion.usage.prompt_tokens > 0
    assert completion.usage.prompt_tokens_details is not None
    assert record.chat.criteria == {"R1": "(requirement) B2B", "N1": "(nice-to-have) Uses Salesforce"}
    assert record.chat.company == {"name": "Acme", "domain": "acme.com"}
    assert record.status == 200 and record.responded_at is not None


def test_scripted_replies_come_first_then_the_responder() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(Reply.text("first"), {"second": True})
        assert ask(fake).choices[0].message.content == "first"
        assert ask(fake).choices[0].message.content == '{"second": true}'
        assert "criteria" in (ask(fake).choices[0].message.content or "")
        assert fake.pending == 0


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply.rate_limited(1), openai.RateLimitError),
        (Reply.rate_limited(quota=True), openai.RateLimitError),
        (Reply.server_error(503), openai.InternalServerError),
        (Reply.error_reply(400, "bad"), openai.BadRequestError),
    ],
)
def test_error_replies_map_to_sdk_exceptions(reply: Reply, error: type[Exception]) -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(reply)
        with pytest.raises(error):
            ask(fake)


def test_fault_injection_is_deterministic_under_a_seed() -> None:
    faults = FaultRates(server_error=0.3, refusal=0.2)

    def kinds(seed: int) -> list[str]:
        with FakeOpenAI(faults=faults, seed=seed) as fake:
            for _ in range(15):
                with contextlib.suppress(openai.APIStatusError):
                    ask(fake)
            return [r.kind for r in fake.requests]

    first = kinds(3)
    assert first == kinds(3)
    assert {"server_error", "refusal", "ok"} <= set(first)


def test_rpm_limit_answers_429_with_retry_after() -> None:
    with FakeOpenAI(rpm_limit=60, rpm_burst=2) as fake:
        ask(fake)
        ask(fake)
        with pytest.raises(openai.RateLimitError) as raised:
            ask(fake)

    assert float(raised.value.response.headers["retry-after-ms"]) > 0
    assert raised.value.response.headers["x-ratelimit-limit-requests"] == "60"


def test_lists_models_and_rejects_unknown_ones() -> None:
    with FakeOpenAI(models=["only-model"]) as fake, OpenAI(base_url=fake.base_url, api_key="t", max_retries=0) as c:
        assert [m.id for m in c.models.list().data] == ["only-model"]
        with pytest.raises(openai.NotFoundError, match="only-model|does not exist"):
            c.chat.completions.create(model="other", messages=MESSAGES)  # type: ignore[arg-type]


def test_unknown_responder_is_the_truthful_default() -> None:
    from icp.testing import ChatRequest

    body = {"model": "m", "messages": MESSAGES}
    answer = unknown_responder(ChatRequest(index=0, body=body))
    assert [c["verdict"] for c in answer["criteria"]] == ["unknown", "unknown"]
