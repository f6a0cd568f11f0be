"""Adaptive concurrency (AIMD) in the LLM path: start low, grow while stable, halve on overload, stay under the cap."""

from __future__ import annotations

import threading
from collections.abc import Callable

from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile
from icp.evaluators._adaptive import AdaptiveLimit
from icp.evaluators.base import grade_pairs
from icp.evaluators.llm import LLMEvaluator
from icp.testing import FakeOpenAI, RecordedRequest, Reply

MakeEvaluator = Callable[..., LLMEvaluator]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_starts_low_grows_after_stable_successes_and_never_passes_the_maximum() -> None:
    limit = AdaptiveLimit(4, start=2, grow_after=3, clock=Clock())

    assert limit.limit == 2
    for _ in range(3):
        limit.succeeded(1.0)
    assert limit.limit == 3
    for _ in range(30):
        limit.succeeded(1.0)
    assert limit.limit == 4  # the maximum


def test_rising_latency_stops_the_growth() -> None:
    limit = AdaptiveLimit(8, start=2, grow_after=3, clock=Clock())
    limit.succeeded(1.0)
    for _ in range(20):
        limit.succeeded(4.0)  # requests queue at the server

    assert limit.limit == 2


def test_overload_halves_the_limit_and_a_timeout_pauses_new_requests() -> None:
    clock = Clock()
    limit = AdaptiveLimit(8, start=8, clock=clock)

    limit.overloaded()
    assert limit.limit == 4
    limit.overloaded(pause_s=5.0)
    assert limit.limit == 2

    entered = threading.Event()

    def send() -> None:
        with limit.slot():
            entered.set()

    worker = threading.Thread(target=send)
    worker.start()
    assert not entered.wait(0.2)  # paused: the abandoned request may still be running on the server
    clock.now += 5.0
    with limit._cond:
        limit._cond.notify_all()
    assert entered.wait(5)
    worker.join(5)
    limit.overloaded()
    limit.overloaded()
    assert limit.limit == 1  # never below one


def in_flight_at_most(requests: list[RecordedRequest]) -> int:
    events = sorted(
        [(r.received_at, 1) for r in requests] + [(r.responded_at or r.received_at, -1) for r in requests],
        key=lambda e: (e[0], e[1]),
    )
    most = current = 0
    for _, step in events:
        current += step
        most = max(most, current)
    return most


def test_a_one_at_a_time_server_is_not_flooded(
    make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment
) -> None:
    with FakeOpenAI(serial=True, latency_s=0.02) as fake:
        evaluator = make_evaluator(server=fake, concurrency=8)
        companies = [company.model_copy(update={"domain": f"c{i}.de"}) for i in range(16)]
        grades = dict(grade_pairs(evaluator, ((c.domain, c, segment) for c in companies), concurrency=8))

        assert all(g.status == "ok" for g in grades.values()), [g.error for g in grades.values()]
        assert in_flight_at_most(fake.chat_requests) <= 8
        assert len(fake.chat_requests) == 16


def test_server_errors_lower_the_limit(
    fake_openai: FakeOpenAI, make_evaluator: MakeEvaluator, company: CompanyProfile, segment: CompiledSegment
) -> None:
    evaluator = make_evaluator(concurrency=8)
    evaluator.adaptive.limit = 8
    fake_openai.enqueue(Reply.server_error(503), Reply.rate_limited(0.01))

    grade = evaluator.grade(company, segment)

    assert grade.status == "ok", grade.error
    assert evaluator.adaptive.limit == 2  # halved twice


def test_adaptive_concurrency_can_be_switched_off(make_evaluator: MakeEvaluator) -> None:
    assert make_evaluator(concurrency=6, adaptive_concurrency=False).adaptive.limit == 6
    assert make_evaluator(concurrency=6).adaptive.limit == 2
