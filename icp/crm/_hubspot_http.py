"""HubSpot's failures as :class:`CrmError`, and the retry policy for its rate limits.

HubSpot answers a rate limit with 429 and a body naming the policy (``"errorType": "RATE_LIMIT"``,
``"policyName": "TEN_SECONDLY_ROLLING"`` or ``"DAILY"``), plus ``Retry-After`` on some endpoints and the
``X-HubSpot-RateLimit-*`` headers. The ten-second burst limit is waited out; the daily limit is not
(retrying for hours helps nobody): it stops the run with a message saying when to try again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from icp.crm._provider import CrmError

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS = 6
MAX_WAIT_S = 30.0
SCOPES_HINT = "Add the scope in HubSpot: Settings > Integrations > Private Apps > your app > Scopes, then run again."


class HubSpotRateLimit(CrmError):
    """A 429 from HubSpot; ``wait_s`` is how long its headers say to wait."""

    def __init__(self, message: str, *, wait_s: float, hint: str = "") -> None:
        super().__init__(message, hint=hint, retryable=True)
        self.wait_s = wait_s


def _body(raw: Any) -> dict[str, Any]:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str) or not raw.strip():
        return {}
    try:
        decoded = json.loads(raw)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def missing_scopes(body: Mapping[str, Any]) -> list[str]:
    """The scopes a 403 ``MISSING_SCOPES`` body names."""
    found: list[str] = []
    for error in body.get("errors") or []:
        context = error.get("context") or {} if isinstance(error, dict) else {}
        for key in ("requiredGranularScopes", "requiredScopes", "requiredAnyScopes"):
            for scope in context.get(key) or []:
                if isinstance(scope, str) and scope not in found:
                    found.append(scope)
    return found


def translate(status: int, raw_body: Any, headers: Mapping[str, str] | None, doing: str) -> CrmError:
    """One HubSpot error answer as a readable :class:`CrmError` (never containing the token)."""
    body = _body(raw_body)
    message = str(body.get("message") or "").strip()[:300]
    category = str(body.get("category") or "")
    if status == 429 or body.get("errorType") == "RATE_LIMIT":
        policy = str(body.get("policyName") or "")
        if policy == "DAILY":
            return CrmError(
                f"HubSpot's daily API limit for this account is used up while {doing}.",
                hint="It resets at midnight in the account's time zone; run again then (the pull resumes where it "
                "stopped).",
            )
        wait = _seconds(_header(headers, "Retry-After"))
        if wait is None:
            remaining = _header(headers, "X-HubSpot-RateLimit-Remaining")
            interval = _seconds(_header(headers, "X-HubSpot-RateLimit-Interval-Milliseconds"))
            wait = (interval / 1000.0) if remaining == "0" and interval is not None else 1.0
        return HubSpotRateLimit(f"HubSpot rate limit ({policy or 'burst'}) while {doing}", wait_s=min(wait, MAX_WAIT_S))
    if status == 401 or category == "INVALID_AUTHENTICATION":
        return CrmError(
            "HubSpot rejected the access token (401 INVALID_AUTHENTICATION).",
            hint="Copy the private app's access token again into ICP_HUBSPOT_TOKEN (Settings > Integrations > "
            "Private Apps > your app > Auth); a rotated or deleted app's token stops working.",
        )
    if status == 403:
        scopes = missing_scopes(body)
        if scopes or category == "MISSING_SCOPES":
            named = ", ".join(scopes) if scopes else "a scope it needs"
            return CrmError(f"The HubSpot private app lacks {named} (needed for {doing}).", hint=SCOPES_HINT)
        return CrmError(f"HubSpot refused {doing} (403): {message or 'forbidden'}.", hint=SCOPES_HINT)
    if status == 404:
        return CrmError(
            f"HubSpot answered 404 Not Found for {doing}: {message or 'no such endpoint'}.",
            hint="Check ICP_HUBSPOT_BASE_URL (default https://api.hubapi.com).",
        )
    if status >= 500 or status == 0:
        return CrmError(f"HubSpot failed while {doing} (HTTP {status}): {message or 'server error'}.", retryable=True)
    return CrmError(f"HubSpot refused {doing} (HTTP {status} {category}): {message or 'bad request'}.")


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, HubSpotRateLimit):
        return exc.wait_s
    backoff: float = 0.5 * 2 ** (state.attempt_number - 1)
    return min(backoff, MAX_WAIT_S)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, CrmError) and exc.retryable


def with_retries(call: Callable[[], T], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run ``call``, waiting out rate limits and server errors as HubSpot's headers say."""

    def _log(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.info("HubSpot: %s; retrying (attempt %d)", exc, state.attempt_number + 1)

    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=_wait,
        retry=retry_if_exception(_retryable),
        before_sleep=_log,
        reraise=True,
    )
    return retrying(call)
