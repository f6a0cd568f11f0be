"""Posting digests to webhooks: short timeouts, a few retries with backoff, never an exception to the caller.

A cycle's work is done before alerts go out; a webhook that is down costs a warning line, never the cycle.
Webhook URLs are secrets (Slack's carries its token): messages name only the host.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from pydantic import BaseModel

from icp.alerts._digest import Digest, json_body, slack_body
from icp.settings import Webhook

logger = logging.getLogger(__name__)

ATTEMPTS = 3
TIMEOUT_S = 5.0
MAX_RETRY_AFTER_S = 10.0


class Delivery(BaseModel):
    """What happened to one digest posted to one webhook."""

    webhook: str
    motion: str
    owner: str
    ok: bool
    status: int | None
    attempts: int
    error: str = ""


def webhook_label(webhook: Webhook) -> str:
    """A webhook as messages show it: scheme and host only (the path and query hold its secret)."""
    parts = urlsplit(webhook.url.get_secret_value())
    return f"{parts.scheme}://{parts.hostname or '?'}" + (f":{parts.port}" if parts.port else "")


def _wanted(webhook: Webhook, digest: Digest) -> bool:
    return (webhook.motion is None or webhook.motion == digest.motion) and (
        webhook.owner is None or webhook.owner == digest.owner
    )


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", "User-Agent": "icp-alerts"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        return int(response.status)


def deliver(
    digests: Sequence[Digest], webhooks: Sequence[Webhook], *, sleep: Callable[[float], None] = time.sleep
) -> list[Delivery]:
    """Post every digest to every webhook that wants it; retries 5xx, 429 (honouring Retry-After) and timeouts."""
    results: list[Delivery] = []
    for webhook in webhooks:
        label = webhook_label(webhook)
        for digest in digests:
            if not _wanted(webhook, digest):
                continue
            body = json.dumps(slack_body(digest) if webhook.format == "slack" else json_body(digest)).encode()
            results.append(_deliver_one(webhook.url.get_secret_value(), label, digest, body, sleep))
    return results


def _deliver_one(url: str, label: str, digest: Digest, body: bytes, sleep: Callable[[float], None]) -> Delivery:
    status: int | None = None
    error = ""
    for attempt in range(1, ATTEMPTS + 1):
        wait = 0.5 * 2 ** (attempt - 1)
        try:
            status = _post(url, body)
            return Delivery(
                webhook=label, motion=digest.motion, owner=digest.owner, ok=True, status=status, attempts=attempt
            )
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
            if exc.code != 429 and exc.code < 500:
                break  # the webhook refuses this body: retrying will not help
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            if retry_after and retry_after.strip().isdigit():
                wait = min(float(retry_after), MAX_RETRY_AFTER_S)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            error = f"could not reach it ({type(reason).__name__})"
        if attempt < ATTEMPTS:
            sleep(wait)
    logger.warning("alert to %s for %s/%s not delivered: %s", label, digest.motion, digest.owner, error)
    return Delivery(
        webhook=label, motion=digest.motion, owner=digest.owner, ok=False, status=status, attempts=attempt, error=error
    )
