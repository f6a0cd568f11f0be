"""The LLM path's circuit breaker: stop sending when every request fails the same unfixable way.

A rejected key (401/403), an exhausted quota (429 ``insufficient_quota``) or an unknown model (404)
fails every request alike, and retrying cannot fix it. After ``threshold`` such failures in a row
(any success in between resets the count) the breaker opens: every later request raises
:class:`~icp.errors.CircuitOpenError` carrying the diagnosis ``icp llm check`` gives, without being
sent, and the cycle stops instead of paying one failed request per pair.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import openai

from icp.errors import CircuitOpenError
from icp.evaluators._retry import is_quota_error
from icp.redact import redact

if TYPE_CHECKING:
    from icp.llm_check import EndpointDiagnosis

UNFIXABLE_STATUS = frozenset({401, 403, 404})


def is_unfixable(exc: BaseException) -> bool:
    """True for the failures that every request to this endpoint will repeat: key, quota, model."""
    return isinstance(exc, openai.APIStatusError) and (exc.status_code in UNFIXABLE_STATUS or is_quota_error(exc))


class CircuitBreaker:
    """Counts consecutive unfixable failures across threads; opens at ``threshold``.

    Args:
        threshold: consecutive unfixable failures that open the breaker.
        diagnose: turns the last failure into the diagnosis shown to the operator (``icp llm check``'s).
    """

    def __init__(self, threshold: int, diagnose: Callable[[openai.APIError], EndpointDiagnosis]) -> None:
        self.threshold = threshold
        self._diagnose = diagnose
        self._lock = threading.Lock()
        self._consecutive = 0
        self._open: CircuitOpenError | None = None

    def check(self) -> None:
        """Raise :class:`CircuitOpenError` when the breaker is open; called before every request."""
        if self._open is not None:
            raise self._open

    def succeeded(self) -> None:
        """A request worked: the endpoint is usable, start counting again."""
        with self._lock:
            self._consecutive = 0

    def failed(self, exc: openai.APIError) -> None:
        """Count ``exc`` when it is unfixable; any other failure (a 500, a timeout) neither counts nor resets."""
        if not is_unfixable(exc):
            return
        with self._lock:
            self._consecutive += 1
            if self._consecutive < self.threshold or self._open is not None:
                return
            diagnosis = self._diagnose(exc)
            self._open = CircuitOpenError(
                redact(
                    f"The LLM endpoint failed {self._consecutive} requests in a row the same way ({diagnosis.status}), "
                    f"so the cycle stopped rather than send one failing request per pair. {diagnosis.message} "
                    f"{diagnosis.hint}".strip()
                ),
                status=diagnosis.status,
                hint=redact(diagnosis.hint),
            )
