"""What the fake OpenAI server exchanges: scripted replies, fault rates, recorded requests, answers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

_CRITERION_LINE = re.compile(r"^\s*([RN]\d+)\.\s+(.*\S)\s*$", re.MULTILINE)
_INSTRUCTION = re.compile(r"Return the JSON object (\{.*?\})\.")
_COMPANY_DATA = re.compile(r"<company_data>\s*(.*?)\s*</company_data>", re.DOTALL)


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build it with the class methods (``Reply.json(...)``, ``Reply.rate_limited()``...)."""

    status: int = 200
    content: str | None = None
    finish_reason: str = "stop"
    refusal: str | None = None
    error: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    usage: Mapping[str, Any] | None = None
    kind: str = "ok"

    @classmethod
    def text(cls, content: str, **kwargs: Any) -> Reply:
        """A successful completion whose message content is ``content`` verbatim."""
        return cls(content=content, **kwargs)

    @classmethod
    def json(cls, value: Any, **kwargs: Any) -> Reply:
        """A successful completion whose content is ``value`` serialised as JSON."""
        return cls(content=json.dumps(value), **kwargs)

    @classmethod
    def error_reply(
        cls,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
        kind: str = "error",
    ) -> Reply:
        """An error status with the API's error body shape."""
        return cls(
            status=status,
            error={"message": message, "type": type, "param": param, "code": code},
            headers=dict(headers or {}),
            kind=kind,
        )

    @classmethod
    def rate_limited(cls, retry_after: float = 1.0, *, quota: bool = False) -> Reply:
        """A 429: a rate limit with ``Retry-After`` or, with ``quota=True``, the ``insufficient_quota`` variant."""
        if quota:
            return cls.error_reply(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                type="insufficient_quota",
                code="insufficient_quota",
                kind="quota",
            )
        return cls.error_reply(
            429,
            "Rate limit reached for requests. Please try again later.",
            type="requests",
            code="rate_limit_exceeded",
            headers=_retry_after_headers(retry_after),
            kind="rate_limited",
        )

    @classmethod
    def server_error(cls, status: int = 500) -> Reply:
        """A 5xx: 500 internal error, 502/503 overloaded."""
        message = "The server had an error while processing your request." if status == 500 else "Service unavailable."
        return cls.error_reply(status, message, type="server_error", kind="server_error")

    @classmethod
    def slow(cls, seconds: float, reply: Reply | None = None) -> Reply:
        """``reply`` (default: the responder's answer) after ``seconds``: past a short client timeout."""
        base = reply or cls(kind="slow")
        return replace(base, delay_s=seconds, kind="slow")

    @classmethod
    def refused(cls, refusal: str = "I'm sorry, I can't help with that request.") -> Reply:
        """The model refuses: ``message.refusal`` set and no content."""
        return cls(content=None, refusal=refusal, kind="refusal")

    @classmethod
    def truncated(cls, content: str = '{"criteria": [{"id": "R1", "verdict": "me') -> Reply:
        """Content cut off mid-JSON (finish_reason ``length``: the token limit was hit)."""
        return cls(content=content, finish_reason="length", kind="length")

    @classmethod
    def filtered(cls) -> Reply:
        """finish_reason ``content_filter`` with no usable content."""
        return cls(content=None, finish_reason="content_filter", kind="content_filter")


@dataclass(frozen=True)
class FaultRates:
    """Probability per request of each injected fault; the rest are answered by the responder."""

    rate_limit: float = 0.0
    quota: float = 0.0
    server_error: float = 0.0
    slow: float = 0.0
    slow_s: float = 2.0
    truncated_json: float = 0.0
    invalid_schema: float = 0.0
    refusal: float = 0.0
    length: float = 0.0
    content_filter: float = 0.0
    retry_after_s: float = 1.0


@dataclass
class RecordedRequest:
    """What the server saw and answered, with ``time.monotonic()`` timestamps taken in the server."""

    index: int
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float
    status: int = 0
    kind: str = ""
    responded_at: float | None = None
    served_at: float | None = None  # when the server started on it (after waiting its turn, with ``serial``)

    @property
    def model(self) -> str | None:
        """The requested model, for chat requests."""
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages sent."""
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def chat(self) -> ChatRequest:
        """The request parsed the way responders see it."""
        return ChatRequest(index=self.index, body=self.body if isinstance(self.body, dict) else {})


@dataclass(frozen=True)
class ChatRequest:
    """A parsed ``/chat/completions`` request, as handed to responders."""

    index: int
    body: dict[str, Any]

    @property
    def model(self) -> str:
        """The requested model."""
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        """All messages, in order."""
        return list(self.body.get("messages", []))

    def text(self, role: str) -> str:
        """All message contents of one role, joined."""
        return "\n".join(str(m.get("content") or "") for m in self.messages if m.get("role") == role)

    @property
    def criteria(self) -> dict[str, str]:
        """Criterion id -> text, read from numbered lines (``R1. ...``) of the system message, or of the first
        user message when there is no system message (it was merged into the user turn, or dropped)."""
        found = dict(_CRITERION_LINE.findall(self.text("system")))
        if found:
            return found
        first_user = next((m for m in self.messages if m.get("role") == "user"), None)
        return dict(_CRITERION_LINE.findall(str(first_user.get("content") or ""))) if first_user else {}

    @property
    def company(self) -> dict[str, Any]:
        """The company JSON between ``<company_data>`` tags of the first user message (``{}`` if absent)."""
        first_user = next((m for m in self.messages if m.get("role") == "user"), None)
        match = _COMPANY_DATA.search(str(first_user.get("content") or "")) if first_user else None
        if not match:
            return {}
        try:
            value = json.loads(match.group(1))
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def is_reask(self) -> bool:
        """True when the conversation already contains an assistant answer (a re-ask after invalid output)."""
        return any(m.get("role") == "assistant" for m in self.messages)

    @property
    def response_format(self) -> dict[str, Any] | None:
        """The requested response_format, if any."""
        value = self.body.get("response_format")
        return value if isinstance(value, dict) else None


Responder = Callable[[ChatRequest], "Reply | str | dict[str, Any]"]


def unknown_responder(request: ChatRequest) -> dict[str, Any]:
    """Answer ``unknown`` for every criterion id in the prompt: what a truthful grader says with no data."""
    return {
        "criteria": [{"id": cid, "verdict": "unknown", "evidence": "", "confidence": 0.5} for cid in request.criteria],
        "summary": "The company data does not say enough to decide these criteria.",
    }


def instructed_answer(request: ChatRequest) -> str | None:
    """The JSON a message the model can see asks for verbatim (``Return the JSON object {...}.``), if any.

    Models follow such an instruction; ``icp llm check``'s probes rely on it (a system-role probe puts the
    instruction in the system message only, so a server that drops the system role answers otherwise).
    """
    for message in request.messages:
        match = _INSTRUCTION.search(str(message.get("content") or ""))
        if match:
            return match.group(1)
    return None


def grade_answer(
    verdicts: Mapping[str, tuple[str, str]],
    ids: Iterable[str] | None = None,
    *,
    summary: str = "Fits.",
    confidence: float = 0.9,
) -> dict[str, Any]:
    """A model answer in the evaluator's shape: ``verdicts`` maps id -> (verdict, evidence).

    Ids in ``ids`` without a verdict are answered ``unknown``; by default the ids are those of ``verdicts``.
    """
    order = list(ids) if ids is not None else list(verdicts)
    return {
        "criteria": [
            {
                "id": cid,
                "verdict": verdicts.get(cid, ("unknown", ""))[0],
                "evidence": verdicts.get(cid, ("unknown", ""))[1],
                "confidence": confidence,
            }
            for cid in order
        ],
        "summary": summary,
    }


def _retry_after_headers(seconds: float) -> dict[str, str]:
    return {"retry-after": str(max(1, math.ceil(seconds))), "retry-after-ms": str(max(1, round(seconds * 1000)))}


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _to_reply(value: Reply | str | dict[str, Any]) -> Reply:
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply.text(value)
    return Reply.json(value)


def _break_schema(content: str) -> str:
    """Valid JSON that breaks the answer's shape: the last criterion dropped."""
    try:
        value = json.loads(content)
    except json.JSONDecodeError:
        return json.dumps({"criteria": [], "summary": ""})
    if isinstance(value, dict) and isinstance(value.get("criteria"), list) and value["criteria"]:
        value["criteria"] = value["criteria"][:-1]
        return json.dumps(value)
    return json.dumps({"criteria": [], "summary": ""})
