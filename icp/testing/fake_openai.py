"""A fake OpenAI-compatible server: a real HTTP server on 127.0.0.1 for tests and benchmarks.

It speaks ``POST /v1/chat/completions`` and ``GET /v1/models`` well enough for the official ``openai``
SDK, so tests exercise real serialisation, status-to-exception mapping, timeouts and retries instead of
patched methods. Replies come from, in order:

1. a queue of scripted :class:`Reply` objects (``fake.enqueue(...)``), one per request (or batch line);
2. fault injection at configured rates (:class:`FaultRates`), drawn from a seeded random generator;
3. a responder callable that receives the parsed :class:`ChatRequest` and returns a :class:`Reply`,
   a content string or a JSON-able dict (default: ``unknown`` for every criterion id in the prompt).

Every request is recorded with server-side timestamps (``fake.requests``), and an optional
requests-per-minute limit answers 429 with ``Retry-After`` beyond it, like the real API.

It also runs the Files and Batch API for ``/v1/chat/completions`` batches: ``POST /v1/files`` (multipart
upload), ``GET /v1/files``, ``GET /v1/files/{id}``, ``GET /v1/files/{id}/content``,
``DELETE /v1/files/{id}``, ``POST /v1/batches``, ``GET /v1/batches``, ``GET /v1/batches/{id}`` and
``POST /v1/batches/{id}/cancel``. Every line of a batch is answered when the batch is created, by the
same queue, faults and responder as chat requests but without latency or the rpm limit (batch lines are
not in ``fake.requests``). The batch says ``validating`` at creation and ``in_progress`` for the first
``batch_polls`` retrieves; the next retrieve finds it ``completed`` with its output and error files (or
``expired`` with the first half of its output when ``expire_batches`` is set). See
:mod:`icp.testing._batches` for the output and error line shapes.

Example:
    >>> with FakeOpenAI() as fake:  # doctest: +SKIP
    ...     client = OpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import replace
from http.server import ThreadingHTTPServer
from typing import Any

from icp.testing._batches import BatchStore, api_error
from icp.testing._exchange import (
    ChatRequest,
    FaultRates,
    RecordedRequest,
    Reply,
    Responder,
    _break_schema,
    _estimate_tokens,
    _to_reply,
    grade_answer,
    instructed_answer,
    unknown_responder,
)
from icp.testing._handler import FakeOpenAIHandler
from icp.testing._serving import serve_in_background, shut_down

__all__ = [
    "ChatRequest",
    "FakeOpenAI",
    "FaultRates",
    "RecordedRequest",
    "Reply",
    "grade_answer",
    "unknown_responder",
]

DEFAULT_MODELS: tuple[str, ...] = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4.1", "test-model")


class FakeOpenAI:
    """A scriptable OpenAI-compatible HTTP server on ``127.0.0.1`` (an ephemeral port).

    Args:
        responder: answers requests nobody scripted; returns a Reply, a content string or a JSON-able dict.
        seed: seeds fault injection and latency jitter, so a run is reproducible.
        latency_s: added to every chat response (simulates model time).
        latency_jitter_s: uniform extra latency in ``[0, latency_jitter_s)``.
        faults: fault rates for unscripted requests.
        rpm_limit: requests per minute accepted before answering 429 (a token bucket refilled continuously,
            holding at most ``rpm_burst`` requests, default one second's worth, as providers do).
        rpm_burst: bucket capacity for ``rpm_limit``.
        api_key: when set, any other bearer token gets a 401.
        models: model ids that exist; others get a 404 ``model_not_found``.
        supports_json_schema: when False, ``response_format`` of type ``json_schema`` gets a
            ``json_schema_status`` error whose body names ``response_format`` (as some local servers answer).
        json_schema_status: 400 (vLLM, Ollama) or 500 (llama.cpp's server) for a refused ``json_schema``.
        drop_system_role: system messages never reach the responder (as chat templates without a system
            role do): it sees the user and assistant turns only.
        files_api: when False, ``/v1/files`` and ``/v1/batches`` answer 404 (servers without the Batch API).
        serial: serve one chat request at a time (llama.cpp with one slot): the others wait their turn, and
            each holds the server for its whole latency even after its client has given up.
        batch_polls: retrieves of a batch that answer ``in_progress`` before it finishes.
        expire_batches: batches finish ``expired``, with only the first half of their output lines (the
            rest never answered), instead of ``completed``.
    """

    def __init__(
        self,
        *,
        responder: Responder | None = None,
        seed: int = 0,
        latency_s: float = 0.0,
        latency_jitter_s: float = 0.0,
        faults: FaultRates | None = None,
        rpm_limit: int | None = None,
        rpm_burst: int | None = None,
        api_key: str | None = None,
        models: Iterable[str] = DEFAULT_MODELS,
        supports_json_schema: bool = True,
        json_schema_status: int = 400,
        drop_system_role: bool = False,
        files_api: bool = True,
        serial: bool = False,
        batch_polls: int = 1,
        expire_batches: bool = False,
    ) -> None:
        self.responder: Responder = responder or unknown_responder
        self.latency_s = latency_s
        self.latency_jitter_s = latency_jitter_s
        self.faults = faults or FaultRates()
        self.rpm_limit = rpm_limit
        self.rpm_burst = rpm_burst
        self.api_key = api_key
        self.models = tuple(models)
        self.supports_json_schema = supports_json_schema
        self.json_schema_status = json_schema_status
        self.drop_system_role = drop_system_role
        self.files_api = files_api
        self.serial = serial
        self._serving = threading.Lock()  # held for a chat request's whole latency when ``serial``
        self.batch_polls = batch_polls
        self.expire_batches = expire_batches
        self._batches = BatchStore()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._seen_prefixes: set[str] = set()
        self._bucket_tokens = 0.0
        self._bucket_at = 0.0
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        """Start serving in a background thread; returns self."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAIHandler)
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._stopping.clear()
        self._bucket_tokens = float(self._burst)
        self._bucket_at = time.monotonic()
        self._thread = serve_in_background(server, "fake-openai")
        return self

    def stop(self) -> None:
        """Stop serving and release the port; slow replies in progress are cut short."""
        self._stopping.set()
        shut_down(self._server, self._thread)
        self._server, self._thread = None, None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not running; use it as a context manager or call start().")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``: pass it as the client's ``base_url``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting and inspection -----------------------------------------------------------------

    def enqueue(self, *replies: Reply | str | dict[str, Any]) -> None:
        """Script the next replies, one per chat request or batch line, before falling back to faults/responder."""
        with self._lock:
            for reply in replies:
                self._queue.append(_to_reply(reply))

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The ``/chat/completions`` requests received so far."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def files(self) -> dict[str, bytes]:
        """file id -> content: uploads and batch output/error files."""
        return self._batches.files

    @property
    def batches(self) -> list[dict[str, Any]]:
        """Every batch as the API shows it now (reading does not advance it), in creation order."""
        return self._batches.batches

    def reset(self) -> None:
        """Forget recorded requests and scripted replies (the rate-limit bucket is refilled; files and batches stay)."""
        with self._lock:
            self._requests.clear()
            self._queue.clear()
            self._seen_prefixes.clear()
            self._bucket_tokens = float(self._burst)
            self._bucket_at = time.monotonic()

    # -- request handling (called from handler threads) -------------------------------------------

    @property
    def _burst(self) -> float:
        if self.rpm_limit is None:
            return 0.0
        return float(self.rpm_burst or max(1, math.floor(self.rpm_limit / 60)))

    def _record(self, method: str, path: str, headers: dict[str, str], body: Any) -> RecordedRequest:
        with self._lock:
            record = RecordedRequest(
                index=len(self._requests),
                method=method,
                path=path,
                headers=headers,
                body=body,
                received_at=time.monotonic(),
            )
            self._requests.append(record)
            return record

    def _take_rate_token(self) -> float | None:
        """Consume one request from the bucket; return None when allowed, else seconds until one is free."""
        if self.rpm_limit is None:
            return None
        rate = self.rpm_limit / 60.0
        with self._lock:
            now = time.monotonic()
            self._bucket_tokens = min(self._burst, self._bucket_tokens + (now - self._bucket_at) * rate)
            self._bucket_at = now
            if self._bucket_tokens >= 1.0:
                self._bucket_tokens -= 1.0
                return None
            return (1.0 - self._bucket_tokens) / rate

    def _rate_headers(self) -> dict[str, str]:
        if self.rpm_limit is None:
            return {}
        with self._lock:
            remaining = int(self._bucket_tokens)
        return {"x-ratelimit-limit-requests": str(self.rpm_limit), "x-ratelimit-remaining-requests": str(remaining)}

    def _next_scripted(self) -> Reply | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def _draw_fault(self) -> tuple[str | None, float]:
        faults = self.faults
        with self._lock:
            roll = self._random.random()
            jitter = self._random.random() * self.latency_jitter_s if self.latency_jitter_s else 0.0
        cumulative = 0.0
        for name in (
            "rate_limit",
            "quota",
            "server_error",
            "slow",
            "truncated_json",
            "invalid_schema",
            "refusal",
            "length",
            "content_filter",
        ):
            cumulative += float(getattr(faults, name))
            if roll < cumulative:
                return name, jitter
        return None, jitter

    def _respond_chat(self, body: dict[str, Any], record: RecordedRequest) -> tuple[int, dict[str, str], Any, float]:
        """Decide the reply: (status, headers, JSON body, delay in seconds)."""
        wait = self._take_rate_token()
        if wait is not None:
            reply = Reply.rate_limited(wait)
            record.kind = reply.kind
            return reply.status, dict(reply.headers) | self._rate_headers(), {"error": dict(reply.error or {})}, 0.0

        status, headers, payload, delay, kind = self._answer_chat(ChatRequest(index=record.index, body=body))
        record.kind = kind
        return status, headers, payload, delay

    def _answer_chat(
        self, request: ChatRequest, completion_id: str | None = None
    ) -> tuple[int, dict[str, str], Any, float, str]:
        """Answer a chat request past the rate limit: (status, headers, JSON body, delay in seconds, kind)."""
        model = request.model
        if model not in self.models:
            error = Reply.error_reply(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
                kind="model_not_found",
            )
            return 404, {}, {"error": dict(error.error or {})}, 0.0, error.kind
        response_format = request.response_format or {}
        if response_format.get("type") == "json_schema" and not self.supports_json_schema:
            status = self.json_schema_status
            message = "Invalid value for 'response_format': json_schema is not supported by this server."
            kind = "invalid_request_error" if status < 500 else "server_error"
            error_body = {"error": {"code": status, "message": message, "type": kind, "param": "response_format"}}
            return status, {}, error_body, 0.0, "no_json_schema"
        if self.drop_system_role:
            visible = [m for m in request.messages if m.get("role") != "system"]
            request = ChatRequest(index=request.index, body={**request.body, "messages": visible})

        scripted = self._next_scripted()
        fault, jitter = (None, 0.0) if scripted is not None else self._draw_fault()
        reply = scripted or self._fault_reply(fault, request)
        if reply.kind == "slow" and reply.content is None and reply.refusal is None and reply.finish_reason == "stop":
            reply = replace(_to_reply(self.responder(request)), delay_s=reply.delay_s, kind="slow")
        delay = reply.delay_s + self.latency_s + jitter
        headers = dict(reply.headers) | self._rate_headers()
        if reply.status != 200:
            return reply.status, headers, {"error": dict(reply.error or {})}, delay, reply.kind
        return 200, headers, self._completion(request, reply, completion_id), delay, reply.kind

    def _answer_batch_line(self, body: dict[str, Any], n: int) -> tuple[int, Any]:
        """Answer line ``n`` of a batch at once: no latency, no rate limit (the responder sees ``index=n``)."""
        if "messages" not in body or "model" not in body:
            return api_error(400, "Request body must be JSON with model and messages.")
        request = ChatRequest(index=n, body=body)
        status, _headers, payload, _delay, _kind = self._answer_chat(request, f"chatcmpl-fake-batch-{n}")
        return status, payload

    def _fault_reply(self, fault: str | None, request: ChatRequest) -> Reply:
        faults = self.faults
        if fault == "rate_limit":
            return Reply.rate_limited(faults.retry_after_s)
        if fault == "quota":
            return Reply.rate_limited(quota=True)
        if fault == "server_error":
            return Reply.server_error(503)
        if fault == "slow":
            return Reply.slow(faults.slow_s)
        if fault == "refusal":
            return Reply.refused()
        if fault == "content_filter":
            return Reply.filtered()
        instructed = instructed_answer(request)
        answer = Reply.text(instructed) if instructed is not None else _to_reply(self.responder(request))
        content = answer.content or ""
        if fault == "length":
            return Reply.truncated(content[: max(1, len(content) // 2)])
        if fault == "truncated_json":
            return replace(answer, content=content[: max(1, len(content) // 2)], kind="truncated_json")
        if fault == "invalid_schema":
            return replace(answer, content=_break_schema(content), kind="invalid_schema")
        return answer

    def _completion(self, request: ChatRequest, reply: Reply, completion_id: str | None = None) -> dict[str, Any]:
        content = reply.content
        prompt_tokens = sum(_estimate_tokens(str(m.get("content") or "")) + 4 for m in request.messages)
        completion_tokens = _estimate_tokens(content or reply.refusal or "")
        system = request.text("system")
        system_tokens = _estimate_tokens(system)
        with self._lock:
            seen = system in self._seen_prefixes
            self._seen_prefixes.add(system)
        # Providers cache prompt prefixes of 1,024+ tokens in 128-token steps.
        cached = (system_tokens // 128) * 128 if seen and prompt_tokens >= 1024 else 0
        usage: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }
        if reply.usage is not None:
            usage = dict(reply.usage)
        return {
            "id": completion_id or f"chatcmpl-fake-{request.index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": reply.refusal, "annotations": []},
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": usage,
        }
