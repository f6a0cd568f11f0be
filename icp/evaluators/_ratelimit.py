"""A thread-safe client-side limiter for requests/minute and tokens/minute that adapts to 429s.

Each call reserves a start time by virtual scheduling (GCRA, the token bucket expressed as a
"theoretical arrival time"): requests are spaced ``60 / rpm`` seconds apart, and a request's estimated
tokens push the token schedule forward by ``tokens / (tpm / 60)`` seconds, with up to one second of
tokens allowed as a burst. Reservations are first come, first served, so many threads waiting do not
wake together and stampede.

On a 429 the limiter pauses every caller until ``Retry-After`` has passed and cuts its rate
(multiplicative decrease); every success restores a little of it (additive increase), so it settles
just under a limit it was not told about, such as another process sharing the key. The cut is made
once per overload: 429s for requests sent before the last cut were part of it. A 429 whose rate-limit
headers show requests and tokens left (a transient refusal, not an exhausted limit) pauses and slows
no one else: only its own request waits its ``Retry-After``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Spaces requests to stay under ``requests_per_minute`` and ``tokens_per_minute``.

    Args:
        requests_per_minute: the request budget (the provider's limit, or less).
        tokens_per_minute: the token budget (input + output tokens).
        min_fraction: the rate never drops below this fraction of the configured one.
        decrease_factor: on a 429 the rate is multiplied by this.
        recovery_per_success: each success adds this fraction of the configured rate back.
        clock: monotonic clock (tests may pass a fake one).
        sleep: sleep function (tests may pass a fake one).
    """

    def __init__(
        self,
        requests_per_minute: float,
        tokens_per_minute: float,
        *,
        min_fraction: float = 0.1,
        decrease_factor: float = 0.7,
        recovery_per_success: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_minute <= 0 or tokens_per_minute <= 0:
            raise ValueError("requests_per_minute and tokens_per_minute must be positive")
        self.requests_per_minute = float(requests_per_minute)
        self.tokens_per_minute = float(tokens_per_minute)
        self.min_fraction = min_fraction
        self.decrease_factor = decrease_factor
        self.recovery_per_success = recovery_per_success
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._fraction = 1.0
        now = clock()
        self._next_request_at = now
        self._next_tokens_at = now
        self._paused_until = now
        self._cut_at = float("-inf")
        self.rate_limited_count = 0

    @property
    def fraction(self) -> float:
        """The current rate as a fraction of the configured one (1.0 until a 429 is seen)."""
        with self._lock:
            return self._fraction

    def acquire(self, tokens: int = 0) -> float:
        """Block until a request estimated at ``tokens`` tokens may start; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                request_rate = self.requests_per_minute * self._fraction / 60.0
                token_rate = self.tokens_per_minute * self._fraction / 60.0
                # Up to one second's worth of tokens may go out at once; a single request larger than
                # that simply waits for its share.
                token_burst = 1.0
                start = max(now, self._paused_until, self._next_request_at, self._next_tokens_at - token_burst)
                self._next_request_at = max(self._next_request_at, start) + 1.0 / request_rate
                self._next_tokens_at = max(self._next_tokens_at, start - token_burst) + max(0, tokens) / token_rate
                delay = start - now
            if delay > 0:
                self._sleep(delay)
                waited += delay
            with self._lock:
                # A 429 seen while we slept pauses everyone, including reservations already made.
                if self._clock() + 1e-6 >= self._paused_until:
                    return waited

    def reconcile(self, estimated_tokens: int, actual_tokens: int) -> None:
        """Correct the token schedule once the response says how many tokens the request really used."""
        difference = actual_tokens - estimated_tokens
        if difference == 0:
            return
        with self._lock:
            token_rate = self.tokens_per_minute * self._fraction / 60.0
            self._next_tokens_at += difference / token_rate

    def on_rate_limited(
        self, retry_after: float | None, *, sent_at: float | None = None, exhausted: bool = True
    ) -> None:
        """A 429 arrived: pause everyone for ``retry_after`` seconds (default 1) and lower the rate.

        Args:
            retry_after: the server's ``Retry-After``, in seconds.
            sent_at: when the refused request was sent (this limiter's clock); one sent before the last
                cut does not cut the rate again.
            exhausted: False when the response said requests and tokens were left: nobody else waits.
        """
        with self._lock:
            self.rate_limited_count += 1
            if not exhausted:
                return
            now = self._clock()
            pause = retry_after if retry_after is not None and retry_after > 0 else 1.0
            self._paused_until = max(self._paused_until, now + pause)
            if sent_at is not None and sent_at < self._cut_at:
                return
            self._fraction = max(self.min_fraction, self._fraction * self.decrease_factor)
            self._cut_at = now

    def on_success(self) -> None:
        """A request succeeded: give back a little of the rate lost to earlier 429s."""
        with self._lock:
            if self._fraction < 1.0:
                self._fraction = min(1.0, self._fraction + self.recovery_per_success)
