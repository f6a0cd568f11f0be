"""Transport retry policy and error descriptions for the LLM evaluator.

One owner per failure: tenacity retries connection errors, timeouts and 408/409/429/5xx here, honouring
``Retry-After``; the SDK's own retries stay off. Quota exhaustion and 400/401/403/404 are never retried.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import openai
import tenacity

from icp.evaluators._modes import is_format_rejection
from icp.redact import redact
from icp.settings import Settings

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """How transport failures are retried: data, so tests can shrink the waits.

    ``Retry-After`` (or ``retry-after-ms``) from the server always wins over the computed backoff.

    Attributes:
        max_attempts: total tries per request (1 = no retry).
        initial_backoff_s: first backoff without Retry-After; doubles each retry.
        max_backoff_s: cap of the exponential backoff.
        max_retry_after_s: a Retry-After longer than this is not waited for; the pair fails instead.
        jitter: fraction of random reduction applied to the backoff, to de-synchronise threads.
    """

    max_attempts: int = 5
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 8.0
    max_retry_after_s: float = 120.0
    jitter: float = 0.25

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """``settings.max_retries`` retries after the first attempt."""
        return cls(max_attempts=settings.max_retries + 1)

    def is_retryable(self, exc: BaseException) -> bool:
        """Transport errors, timeouts and 408/409/429/5xx, except quota exhaustion or an over-long Retry-After."""
        if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
            return True
        if not isinstance(exc, openai.APIStatusError):
            return False
        if is_quota_error(exc) or is_format_rejection(exc):
            return False
        if exc.status_code not in RETRYABLE_STATUS and exc.status_code < 500:
            return False
        retry_after = retry_after_seconds(exc)
        return retry_after is None or retry_after <= self.max_retry_after_s

    def wait_seconds(self, retry_state: tenacity.RetryCallState) -> float:
        """Retry-After when the server sent one, else exponential backoff with jitter."""
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = retry_after_seconds(exc) if exc is not None else None
        if retry_after is not None and retry_after > 0:
            return retry_after
        backoff = min(self.max_backoff_s, self.initial_backoff_s * 2.0 ** (retry_state.attempt_number - 1))
        return float(backoff * (1 - self.jitter * random.random()))

    def retrying(self, sleep: Callable[[float], None] = time.sleep) -> tenacity.Retrying:
        """A fresh tenacity ``Retrying`` for one request (re-raises the last error when it gives up)."""
        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            retry=tenacity.retry_if_exception(self.is_retryable),
            wait=self.wait_seconds,
            sleep=sleep,
            reraise=True,
            before_sleep=_log_retry,
        )


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    sleep = state.next_action.sleep if state.next_action else 0.0
    logger.info("LLM request attempt %d failed (%s); retrying in %.2fs", state.attempt_number, _short(exc), sleep)


def _short(exc: BaseException | None) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}, request_id={exc.request_id}"
    return type(exc).__name__ if exc is not None else "no error"


def is_quota_error(exc: BaseException) -> bool:
    """True for the 429 that means the account is out of credit: waiting will not help."""
    return (
        isinstance(exc, openai.APIStatusError)
        and exc.status_code == 429
        and "insufficient_quota"
        in (
            str(exc.code or ""),
            str(exc.type or ""),
        )
    )


def retry_after_seconds(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``retry-after``), if it said."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            continue
    return None


def limit_exhausted(exc: BaseException) -> bool:
    """Whether a 429 means the key's limit is used up, by the ``x-ratelimit-remaining-*`` headers.

    Providers send how many requests and tokens are left with every answer. A 429 that says some of
    both are left is a transient refusal (an overloaded engine, a burst); only its request should wait.
    Without the headers the limit is assumed used up, so everyone waits, as before.
    """
    if not isinstance(exc, openai.APIStatusError):
        return True
    remaining = []
    for name in ("x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens"):
        value = exc.response.headers.get(name)
        if value is None:
            continue
        try:
            remaining.append(float(value))
        except ValueError:
            return True
    return not remaining or min(remaining) < 1


def describe_api_error(exc: openai.APIError, settings: Settings, *, attempts: int = 1) -> str:
    """A readable reason (what happened, what to do) for an API error, without secrets."""
    return redact(_describe(exc, settings, attempts))


def _describe(exc: openai.APIError, settings: Settings, attempts: int) -> str:
    where = settings.openai_base_url or "the default OpenAI endpoint"
    tries = f" after {attempts} attempt(s)" if attempts > 1 else ""
    detail = _api_message(exc)
    if isinstance(exc, openai.APITimeoutError):
        return (
            f"The LLM endpoint did not answer within {settings.request_timeout_s:g}s{tries}. "
            "Raise ICP_REQUEST_TIMEOUT_S or check the server's load."
        )
    if isinstance(exc, openai.APIConnectionError):
        return f"Could not connect to the LLM endpoint at {where}{tries}. Check ICP_OPENAI_BASE_URL and the server."
    if not isinstance(exc, openai.APIStatusError):
        return f"The LLM endpoint returned an unusable response{tries}: {detail}"
    status = exc.status_code
    if is_quota_error(exc):
        return (
            f"The provider account has no quota left (429 insufficient_quota): add credit or raise the limit. {detail}"
        )
    if status == 429:
        return f"Still rate limited (429){tries}; lower ICP_REQUESTS_PER_MINUTE or ICP_CONCURRENCY. {detail}"
    if status == 401:
        return f"The LLM endpoint rejected the API key (401). Check ICP_OPENAI_API_KEY. {detail}"
    if status == 403:
        return f"The API key may not use this model or endpoint (403). {detail}"
    if status == 404:
        return (
            f"Not found (404) at {where}: the model {settings.model!r} does not exist there, or the base URL is "
            f"wrong (it usually ends in /v1). {detail}"
        )
    if is_format_rejection(exc):
        return (
            f"The endpoint does not accept the {settings.llm_mode} response format (HTTP {status} naming the "
            "response format). Set ICP_LLM_MODE=auto to fall back to a mode it accepts, or ICP_LLM_MODE=json_object "
            f"(`icp llm check` says which modes work). {detail}"
        )
    if status >= 500 or status in RETRYABLE_STATUS:
        return f"The LLM endpoint kept failing (HTTP {status}){tries}. Try again later. {detail}"
    return f"The LLM endpoint rejected the request (HTTP {status}). {detail}"


def _api_message(exc: openai.APIError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:300]
    return str(exc.message)[:300]
