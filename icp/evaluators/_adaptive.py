"""Adaptive concurrency for the LLM path: additive increase, multiplicative decrease (AIMD).

A local server that generates one answer at a time is choked by eight requests at once: they queue,
pass the client's timeout, are abandoned and retried while the server still works on them. So the
number of requests in flight starts low (2), grows by one after a run of successes whose latency stays
near the best seen, and halves on a timeout, a 5xx or a 429; it never exceeds ``ICP_CONCURRENCY``.
After a timeout amid rising latencies the server is probably still busy with the abandoned request, so
new requests wait a while before going out (they are not re-sent on top of it).

An occasional failure among many successes is not overload: a provider answers some requests with a
503 or a 429 at any load. Once the endpoint has answered, the limit is lowered only
while at least a third of the last ``WINDOW`` answers (counting at least half a window) were overload
signals (timeouts, 5xx, 429s that exhaust the limit), so a 20% scatter of failures leaves the limit
where the successes put it; before any answer, and for a server that fails most requests or starts
timing out as it queues, every signal still halves it.

One overload is answered once: a failure of a request sent before the last decrease belongs to the
overload that decrease already answered (as TCP cuts its window once per round trip), so a burst of
errors from the requests in flight does not halve the limit once per request. And a timeout while
latencies stay stable is one slow request, not a queueing server: it lowers the limit but does not
pause the other requests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

START = 2
GROW_AFTER = 5  # consecutive stable successes before one more request may be in flight
LATENCY_SLACK = 1.5  # latency (smoothed) within this factor of the best seen counts as stable
SMOOTHING = 0.3
WINDOW = 20  # recent answers weighed when deciding whether failures mean overload
OVERLOAD_SHARE = 1 / 3  # overload signals among them that lower the limit


class AdaptiveLimit:
    """How many LLM requests may be in flight now; shared by every grading thread.

    Args:
        maximum: the ceiling (``ICP_CONCURRENCY``).
        start: the first limit (at most ``maximum``).
        grow_after: consecutive stable successes that add one to the limit.
        clock: a monotonic clock (tests pass their own).
    """

    def __init__(
        self,
        maximum: int,
        *,
        start: int = START,
        grow_after: int = GROW_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maximum = max(1, maximum)
        self.limit = max(1, min(start, self.maximum))
        self.grow_after = grow_after
        self._clock = clock
        self._cond = threading.Condition()
        self._in_flight = 0
        self._streak = 0
        self._smoothed: float | None = None
        self._best: float | None = None
        self._paused_until = 0.0
        self._decreased_at = float("-inf")
        self._recent: deque[bool] = deque(maxlen=WINDOW)  # True for an overload signal
        self._answered = False  # until a first success, every overload signal counts

    @property
    def in_flight(self) -> int:
        """Requests holding a slot now."""
        with self._cond:
            return self._in_flight

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the ``limit`` slots for one request (waits for a free one, and out any pause)."""
        with self._cond:
            while True:
                wait = self._paused_until - self._clock()
                if wait <= 0 and self._in_flight < self.limit:
                    break
                self._cond.wait(timeout=wait if wait > 0 else None)
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def succeeded(self, latency_s: float) -> None:
        """A request answered in ``latency_s``: count it towards growing when the latency is stable."""
        with self._cond:
            self._recent.append(False)
            self._answered = True
            smoothed = latency_s if self._smoothed is None else (1 - SMOOTHING) * self._smoothed + SMOOTHING * latency_s
            self._smoothed = smoothed
            self._best = smoothed if self._best is None else min(self._best, smoothed)
            if smoothed > LATENCY_SLACK * self._best:
                self._streak = 0  # requests are queueing at the server: do not add more
                return
            self._streak += 1
            if self._streak >= self.grow_after and self.limit < self.maximum:
                self.limit += 1
                self._streak = 0
                logger.debug("LLM concurrency raised to %d", self.limit)
                self._cond.notify_all()

    def overloaded(self, pause_s: float = 0.0, *, sent_at: float | None = None) -> None:
        """A timeout, 5xx or 429: halve the limit; after a timeout also pause new requests for ``pause_s``.

        Args:
            pause_s: after a timeout, how long new requests wait (only while latencies show queueing).
            sent_at: when the failed request was sent (this limit's clock); a request sent before the
                last decrease does not decrease the limit again.
        """
        with self._cond:
            self._recent.append(True)
            judged = max(len(self._recent), WINDOW // 2)  # a few answers are too few to call a share
            if self._answered and sum(self._recent) < OVERLOAD_SHARE * judged:
                return  # a scattered failure among successes
            if sent_at is not None and sent_at < self._decreased_at:
                return  # in flight when the limit was last lowered: that decrease answered it
            self.limit = max(1, self.limit // 2)
            self._streak = 0
            self._decreased_at = self._clock()
            if pause_s > 0 and not self._stable():
                self._paused_until = max(self._paused_until, self._clock() + pause_s)
            logger.info("LLM endpoint overloaded: concurrency lowered to %d", self.limit)

    def _stable(self) -> bool:
        """Answers come back about as fast as the best seen: requests are not queueing at the server."""
        return self._smoothed is not None and self._best is not None and self._smoothed <= LATENCY_SLACK * self._best
