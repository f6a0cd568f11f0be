"""Bounded, streaming concurrency for I/O-bound work (LLM calls): the one place threads and processes are managed."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_unordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    concurrency: int = 1,
    thread_name_prefix: str = "icp",
    processes: bool = False,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[tuple[T, R]]:
    """Apply ``fn`` to every item, yielding ``(item, result)`` as each completes (not in input order).

    At most ``concurrency`` calls run at once and at most ``2 * concurrency`` items are taken from
    ``items`` ahead of the consumer, so a million items never sit in memory and a consumer that stops
    early (a budget reached, an interrupt) leaves little work in flight; queued work is cancelled.
    With ``concurrency <= 1`` everything runs in the calling thread. An exception from ``fn`` is
    raised to the consumer when its item's turn comes.

    ``processes=True`` runs ``fn`` in worker processes instead (for CPU-bound work such as offline
    grading): ``fn`` must then be a module-level function and items and results picklable;
    ``initializer(*initargs)`` runs once in each worker to set up what every call shares. Workers end
    with this process, even when it is killed with SIGKILL (see :func:`die_with_parent`).
    """
    if concurrency <= 1:
        if initializer is not None:
            initializer(*initargs)
        for item in items:
            yield item, fn(item)
        return
    iterator = iter(items)
    pool: Executor = (
        ProcessPoolExecutor(
            max_workers=concurrency,
            initializer=_worker_initializer,
            initargs=(os.getpid(), initializer, initargs),
        )
        if processes
        else ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix=thread_name_prefix, initializer=initializer, initargs=initargs
        )
    )
    with pool:
        in_flight: dict[Future[R], T] = {}

        def submit_next() -> bool:
            for item in iterator:
                in_flight[pool.submit(fn, item)] = item
                return True
            return False

        while len(in_flight) < 2 * concurrency and submit_next():
            pass
        try:
            while in_flight:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    item = in_flight.pop(future)
                    yield item, future.result()
                    submit_next()
        finally:
            for future in in_flight:
                future.cancel()


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_WATCH_PARENT_EVERY_S = 1.0


def _worker_initializer(parent_pid: int, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    die_with_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


def die_with_parent(parent_pid: int) -> None:
    """Make this (worker) process end when ``parent_pid`` does, however the parent ends.

    A killed parent never shuts its pool down, and its workers would wait for work forever (each holding
    its share of memory). On Linux the kernel sends the worker SIGKILL when the parent dies
    (``prctl(PR_SET_PDEATHSIG)``); everywhere, a daemon thread checks the parent pid every second and
    exits the worker once the worker has been re-parented.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl here: the watchdog below still applies
            pass
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="icp-parent-watch", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    stop = threading.Event()
    while not stop.wait(_WATCH_PARENT_EVERY_S):
        if os.getppid() != parent_pid:
            os._exit(1)
