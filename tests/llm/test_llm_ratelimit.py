"""The client-side rate limiter: unit behaviour on a fake clock, then against the server's rpm limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile
from icp.evaluators._ratelimit import RateLimiter
from icp.evaluators.base import grade_pairs
from icp.evaluators.llm import LLMEvaluator
from icp.testing import FakeOpenAI
from icp.testing.fake_openai import Responder


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_limiter(rpm: float = 60, tpm: float = 1_000_000) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(rpm, tpm, clock=clock, sleep=clock.sleep), clock


def test_spaces_requests_evenly() -> None:
    limiter, clock = make_limiter(rpm=120)

    starts = []
    for _ in range(5):
        limiter.acquire()
        starts.append(clock.now)

    assert [round(b - a, 6) for a, b in zip(starts, starts[1:], strict=False)] == [0.5] * 4


def test_limits_tokens_per_minute() -> None:
    limiter, clock = make_limiter(rpm=100_000, tpm=6_000)  # 100 tokens/s, one second of burst

    for _ in range(4):
        limiter.acquire(tokens=100)

    assert clock.now - 100.0 == pytest.approx(2.0)  # 400 tokens: 100 in the burst, then 1 s per 100


def test_reconcile_credits_back_overestimated_tokens() -> None:
    limiter, clock = make_limiter(rpm=100_000, tpm=6_000)
    limiter.acquire(tokens=500)
    limiter.reconcile(estimated_tokens=500, actual_tokens=100)

    limiter.acquire(tokens=100)

    assert clock.now - 100.0 == pytest.approx(0.0, abs=0.01)  # only the request spacing, no token wait


def test_pauses_everyone_on_429_then_slows_and_recovers() -> None:
    limiter, clock = make_limiter(rpm=60)
    limiter.acquire()

    limiter.on_rate_limited(retry_after=3.0)
    assert limiter.fraction == pytest.approx(0.7)
    limiter.acquire()

    assert clock.now == pytest.approx(103.0)  # waited for the Retry-After, not just the 1 s spacing
    for _ in range(100):
        limiter.on_success()
    assert limiter.fraction == 1.0


def test_rate_never_drops_below_the_floor() -> None:
    limiter, _ = make_limiter()
    for _ in range(50):
        limiter.on_rate_limited(None)
    assert limiter.fraction == pytest.approx(0.1)


def test_is_safe_across_threads() -> None:
    limiter = RateLimiter(6000, 10_000_000)  # 100/s
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            limiter.acquire()
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    starts.sort()
    assert len(starts) == 40
    assert starts[-1] - starts[0] >= 39 * 0.01 * 0.9  # 40 requests at 100/s: no burst beyond the rate


def test_keeps_requests_under_the_servers_rpm_limit(
    make_evaluator: Callable[..., LLMEvaluator],
    grounded_responder: Responder,
    company: CompanyProfile,
    segment: CompiledSegment,
) -> None:
    companies = [company.model_copy(update={"domain": f"c{i}.example.com"}) for i in range(20)]
    with FakeOpenAI(responder=grounded_responder, rpm_limit=600, latency_s=0.05) as fake:
        evaluator = make_evaluator(server=fake, requests_per_minute=600)
        grades = list(grade_pairs(evaluator, ((c.domain, c, segment) for c in companies), concurrency=8))

        assert all(g.status == "ok" for _, g in grades)
        assert [r.status for r in fake.chat_requests].count(429) == 0
        assert len(fake.chat_requests) == 20

    # Control: without the client-side limiter the same burst is throttled by the server.
    with FakeOpenAI(responder=grounded_responder, rpm_limit=600, latency_s=0.05) as fake:
        evaluator = make_evaluator(server=fake, requests_per_minute=60_000)
        grades = list(grade_pairs(evaluator, ((c.domain, c, segment) for c in companies), concurrency=8))

        assert all(g.status == "ok" for _, g in grades)  # 429s were retried after Retry-After
        assert [r.status for r in fake.chat_requests].count(429) > 0
        assert evaluator.limiter.rate_limited_count > 0
