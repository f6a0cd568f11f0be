"""Throughput under scattered faults: failures among successes do not collapse concurrency or stall everyone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile
from icp.evaluators._adaptive import AdaptiveLimit
from icp.evaluators._ratelimit import RateLimiter
from icp.evaluators.llm import LLMEvaluator
from icp.testing import FakeOpenAI, Reply
from tests.llm.test_llm_adaptive import Clock

MakeEvaluator = Callable[..., LLMEvaluator]


def test_scattered_failures_among_successes_leave_the_limit_where_the_successes_put_it() -> None:
    limit = AdaptiveLimit(16, start=8, grow_after=5, clock=Clock())
    for _ in range(20):
        limit.succeeded(0.3)
    reached = limit.limit
    for answer in range(120):  # one answer in six fails: a 503, a timeout or a 429, scattered
        if answer % 6 == 5:
            limit.overloaded()
        else:
            limit.succeeded(0.3)
    assert limit.limit >= reached  # before: halved at every failure, down to 1 or 2


def test_a_server_failing_most_requests_still_has_the_limit_halved() -> None:
    limit = AdaptiveLimit(16, start=16, clock=Clock())
    for _ in range(10):
        limit.succeeded(0.3)
    for _ in range(8):
        limit.overloaded()
    assert limit.limit <= 2


def test_failures_of_requests_already_in_flight_when_the_limit_fell_do_not_lower_it_again() -> None:
    clock = Clock()
    limit = AdaptiveLimit(16, start=16, clock=clock)
    sent = clock.now
    clock.now += 1.0
    for _ in range(8):  # eight requests sent together all fail: one overload, one decrease
        limit.overloaded(sent_at=sent)
    assert limit.limit == 8
    clock.now += 1.0
    limit.overloaded(sent_at=clock.now)  # a request sent after the decrease fails too: a second decrease
    assert limit.limit == 4


def test_a_timeout_amid_stable_latencies_does_not_pause_the_other_requests() -> None:
    limit = AdaptiveLimit(8, start=8, clock=Clock())
    for _ in range(10):
        limit.succeeded(0.3)
    limit.overloaded(pause_s=30.0)
    entered = threading.Event()

    def send() -> None:
        with limit.slot():
            entered.set()

    worker = threading.Thread(target=send)
    worker.start()
    assert entered.wait(5)  # one slow request, not a queueing server: nobody waits 30 s
    worker.join(5)


def test_a_429_that_leaves_requests_and_tokens_pauses_and_slows_nobody_else() -> None:
    clock = Clock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    limiter = RateLimiter(6000, 10_000_000, clock=clock, sleep=sleep)
    limiter.on_rate_limited(retry_after=5.0, exhausted=False)
    limiter.acquire()
    assert sum(slept) < 0.1 and limiter.fraction == 1.0
    limiter.on_rate_limited(retry_after=5.0)  # the limit is used up: everyone waits
    limiter.acquire()
    assert sum(slept) == pytest.approx(5.0, abs=0.05)


def test_only_the_refused_request_waits_when_the_429_says_requests_are_left(
    make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment
) -> None:
    with FakeOpenAI(rpm_limit=600_000) as fake:  # its answers carry x-ratelimit-remaining-requests
        time.sleep(0.05)  # the server's bucket fills
        evaluator = make_evaluator(server=fake, concurrency=8)
        evaluator.adaptive.limit = 8
        fake.enqueue(Reply.rate_limited(0.2))
        grade = evaluator.grade(company, segment)
        assert grade.status == "ok", grade.error
        assert evaluator.limiter.fraction == 1.0 and evaluator.adaptive.limit == 8
        assert evaluator.limiter.rate_limited_count == 1
        # The refused request itself waited its Retry-After before going again.
        first, second = fake.chat_requests
        assert second.received_at - first.received_at >= 0.2
