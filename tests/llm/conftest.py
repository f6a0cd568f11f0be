"""Fixtures for the LLM evaluator: a real local fake OpenAI server and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openai import OpenAI

from icp.criteria import CompiledSegment, Criterion
from icp.domain import CompanyProfile, CriterionKind
from icp.evaluators.llm import LLMEvaluator, RetryPolicy
from icp.settings import Settings
from icp.testing import ChatRequest, FakeOpenAI, grade_answer

REQ = CriterionKind.REQUIREMENT
NICE = CriterionKind.NICE_TO_HAVE

# Verdicts for the ``segment`` fixture whose evidence is in the ``company`` fixture's data.
GROUNDED = {
    "R1": ("met", "B2B SaaS platform"),
    "R2": ("met", "employees: 450"),
    "R3": ("met", "country: DE"),
    "N1": ("met", "technologies: Salesforce"),
}


def _grounded(request: ChatRequest) -> dict[str, Any]:
    return grade_answer(GROUNDED, ids=list(request.criteria))


@pytest.fixture
def grounded_responder() -> Callable[[ChatRequest], dict[str, Any]]:
    """Answers the criteria in the prompt with evidence that is in the ``company`` fixture's data."""
    return _grounded


@pytest.fixture
def grounded() -> dict[str, tuple[str, str]]:
    """id -> (verdict, evidence) grounded in the ``company`` fixture for the ``segment`` fixture."""
    return dict(GROUNDED)


@pytest.fixture
def segment() -> CompiledSegment:
    """Three requirements and a nice-to-have, without structured checks (the LLM decides all)."""
    return CompiledSegment(
        name="Mid-market SaaS",
        criteria=(
            Criterion(id="R1", kind=REQ, text="B2B SaaS company"),
            Criterion(id="R2", kind=REQ, text="200-2,000 employees"),
            Criterion(id="R3", kind=REQ, text="Headquartered in Germany"),
            Criterion(id="N1", kind=NICE, text="Uses Salesforce"),
        ),
    )


@pytest.fixture
def company() -> CompanyProfile:
    """A company whose data supports every criterion of ``segment``."""
    return CompanyProfile(
        name="Acme Logistics",
        domain="acme.de",
        employees=450,
        country="DE",
        description="Acme is a B2B SaaS platform for logistics teams.",
        technologies=("Salesforce", "AWS"),
    )


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running fake server answering ``grounded_responder`` unless a test scripts otherwise."""
    with FakeOpenAI(responder=_grounded, seed=1234) as fake:
        yield fake


@pytest.fixture
def settings(fake_openai: FakeOpenAI) -> Settings:
    """Settings pointed at the fake server with short timeouts."""
    return Settings(
        openai_base_url=fake_openai.base_url,
        openai_api_key="test",
        request_timeout_s=5.0,
        max_retries=3,
        max_output_retries=2,
        requests_per_minute=60_000,  # the limiter has its own tests; elsewhere it should not pace
    )


@pytest.fixture
def make_evaluator(fake_openai: FakeOpenAI, settings: Settings) -> Iterator[Callable[..., LLMEvaluator]]:
    """Build an LLMEvaluator against ``fake_openai`` with near-zero backoff; settings overridable by keyword."""
    clients: list[OpenAI] = []

    def make(server: FakeOpenAI | None = None, **overrides: Any) -> LLMEvaluator:
        server = server or fake_openai
        current = settings.model_copy(update={"openai_base_url": server.base_url, **overrides})
        client = OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        clients.append(client)
        policy = RetryPolicy(max_attempts=current.max_retries + 1, initial_backoff_s=0.001, max_backoff_s=0.01)
        return LLMEvaluator(client, current, retry_policy=policy)

    yield make
    for client in clients:
        client.close()
