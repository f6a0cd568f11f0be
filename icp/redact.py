"""One redaction function for every edge that shows or stores text: credentials never leave as written.

Endpoint URLs may carry credentials (``https://user:pass@host/v1``, ``?api-key=...`` for Azure-style
gateways), and provider errors may echo headers or keys. Every message the CLI prints, every stored
``grade.error``, every ``icp llm check`` diagnosis and every log line of the CLI passes through
:func:`redact`. Pure: no I/O, no settings.
"""

from __future__ import annotations

import logging
import re

__all__ = ["MASK", "RedactingFilter", "redact"]

MASK = "***"

_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/?#@]+@")
_SECRET_PARAM = re.compile(
    r"(?P<name>[?&;](?:api[-_]?key|key|token|access[-_]?token|auth|secret|client[-_]?secret|password|passwd|pwd"
    r"|sig|signature|code)=)[^&#\s\"'<>]+",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"(?P<name>\b(?:authorization|proxy-authorization|x-api-key|api-key|openai-api-key)[\"']?\s*[:=]\s*[\"']?)"
    r"(?:(?:bearer|basic|token)\s+)?[^\s\"',;&]+",
    re.IGNORECASE,
)
_SCHEME_TOKEN = re.compile(r"(?P<name>\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE)
# OpenAI-style keys, and HubSpot private app tokens ("pat-na1-<uuid>", "pat-eu1-...").
_KEY = re.compile(r"\b(?P<name>sk-|pat-[a-z]{2,3}\d?-)[A-Za-z0-9_-]{6,}")


def redact(text: str) -> str:
    """``text`` with URL credentials, secret query parameters, auth headers, bearer tokens and API keys masked.

    >>> redact("https://bob:hunter2@llm.example/v1?api-key=abc&x=1")
    'https://***@llm.example/v1?api-key=***&x=1'
    """
    if not text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    text = _SECRET_PARAM.sub(lambda m: f"{m['name']}{MASK}", text)
    text = _HEADER.sub(lambda m: f"{m['name']}{MASK}", text)
    text = _SCHEME_TOKEN.sub(lambda m: f"{m['name']}{MASK}", text)
    return _KEY.sub(lambda m: f"{m['name']}{MASK}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message (arguments included) before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
