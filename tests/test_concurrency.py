"""Bounded streaming concurrency used by cycles and eval runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from icp.concurrency import map_unordered


def test_every_item_is_processed_once_and_results_match() -> None:
    results = dict(map_unordered(lambda x: x * x, range(200), concurrency=8))
    assert results == {x: x * x for x in range(200)}


def test_items_are_pulled_lazily_and_at_most_twice_the_concurrency_ahead() -> None:
    pulled = 0
    lock = threading.Lock()

    def items() -> Iterator[int]:
        nonlocal pulled
        for i in range(1000):
            with lock:
                pulled += 1
            yield i

    stream = map_unordered(lambda x: time.sleep(0.001) or x, items(), concurrency=4)
    next(stream)
    assert pulled <= 2 * 4 + 1
    stream.close()
    assert pulled < 1000


def test_runs_at_most_concurrency_calls_at_once() -> None:
    running = peak = 0
    lock = threading.Lock()

    def work(x: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.005)
        with lock:
            running -= 1
        return x

    list(map_unordered(work, range(60), concurrency=3))
    assert peak == 3


def test_an_exception_reaches_the_consumer() -> None:
    def work(x: int) -> int:
        if x == 5:
            raise ValueError("boom")
        return x

    with pytest.raises(ValueError, match="boom"):
        list(map_unordered(work, range(20), concurrency=4))


def test_concurrency_one_runs_in_the_calling_thread() -> None:
    caller = threading.get_ident()
    assert {t for _, t in map_unordered(lambda _: threading.get_ident(), range(5))} == {caller}
