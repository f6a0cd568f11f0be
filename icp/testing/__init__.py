"""Test helpers that ship with the package so tests, evals and benchmarks share them.

:mod:`icp.testing.fake_openai` is a real local HTTP server speaking enough of the OpenAI chat
completions API for the official SDK: scripted replies, fault injection and request recording.
"""

from icp.testing.fake_openai import (
    ChatRequest,
    FakeOpenAI,
    FaultRates,
    RecordedRequest,
    Reply,
    grade_answer,
    unknown_responder,
)

__all__ = ["ChatRequest", "FakeOpenAI", "FaultRates", "RecordedRequest", "Reply", "grade_answer", "unknown_responder"]
