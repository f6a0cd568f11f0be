"""The LLM response cache and the recordings that replay it, so a rerun costs nothing.

Responses are keyed by (model, prompt hash, response-schema hash, input hash, repeat index): the
same prompt version, model and company asked again in the same repeat slot gets the stored answer
without a request, while ``--repeat 3`` deliberately asks three times. The cache sits in the HTTP
layer (an HTTP transport under the OpenAI client), so the LLM evaluator runs unchanged:
retries, re-asks, grounding and cost accounting all happen as in production.

A cache file is JSON Lines, one :class:`CacheEntry` per line. The same file is a *recording*: a
committed ``evals/recordings/<suite>-<prompt>.jsonl`` is served by the local fake OpenAI server
(:func:`replay_responder`) so the LLM evaluator's evals run in CI without a network.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The openai SDK this project pins speaks HTTP through httpx2 (httpx's successor); the cache plugs into it.
import httpx2 as httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from icp.errors import InputError
from icp.hashing import content_hash
from icp.testing.fake_openai import ChatRequest, Reply

if TYPE_CHECKING:
    from openai import OpenAI

logger = logging.getLogger(__name__)

_repeat_index: ContextVar[int] = ContextVar("icp_eval_repeat_index", default=0)


@contextmanager
def repeat_scope(index: int) -> Iterator[None]:
    """Requests made inside are cached under repeat ``index`` (set per grading thread by the runner)."""
    token = _repeat_index.set(index)
    try:
        yield
    finally:
        _repeat_index.reset(token)


def request_parts(body: dict[str, Any]) -> dict[str, str]:
    """The parts of a chat request that identify its answer: model, schema hash and input hash."""
    return {
        "model": str(body.get("model", "")),
        "schema_hash": content_hash(body.get("response_format")),
        "input_hash": content_hash({"messages": body.get("messages"), "temperature": body.get("temperature")}),
    }


def cache_key(*, model: str, prompt_hash: str | None, schema_hash: str, input_hash: str, repeat: int) -> str:
    """The cache key: (model, prompt hash, schema hash, input hash, repeat index)."""
    return content_hash(
        {
            "model": model,
            "prompt_hash": prompt_hash,
            "schema_hash": schema_hash,
            "input_hash": input_hash,
            "repeat": repeat,
        }
    )


class CacheEntry(BaseModel):
    """One stored response: its key parts and the provider's JSON body."""

    model_config = ConfigDict(extra="forbid")

    key: str
    model: str
    prompt_hash: str | None = None
    schema_hash: str
    input_hash: str
    repeat: int = 0
    response: dict[str, Any]


class ResponseCache:
    """A thread-safe response cache, in memory or backed by a JSONL file (appended as responses arrive)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._entries: dict[str, CacheEntry] = {}
        self.hits = 0
        self.misses = 0
        if path is not None and path.is_file():
            for entry in read_entries(path):
                self._entries[entry.key] = entry

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def entries(self) -> list[CacheEntry]:
        """Every entry, in insertion order."""
        with self._lock:
            return list(self._entries.values())

    def get(self, key: str) -> CacheEntry | None:
        """The entry for ``key`` (counted as a hit), or None (counted as a miss)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
            else:
                self.hits += 1
            return entry

    def put(self, entry: CacheEntry) -> None:
        """Store ``entry`` (and append it to the file, when file-backed)."""
        with self._lock:
            self._entries[entry.key] = entry
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(entry.model_dump_json() + "\n")


def read_entries(path: Path) -> list[CacheEntry]:
    """Read a cache or recording file.

    Raises:
        InputError: a line is not a valid entry (the message names the file and line).
    """
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(CacheEntry.model_validate_json(line))
        except ValidationError as exc:
            raise InputError(f"{path}:{number}: not a valid response-cache entry: {exc.errors()[0]['msg']}") from exc
    return entries


class CachingTransport(httpx.BaseTransport):
    """Serves chat completions from the cache when it can, forwards and stores them when it cannot."""

    def __init__(self, cache: ResponseCache, prompt_hash: str | None, inner: httpx.BaseTransport | None = None):
        self.cache = cache
        self.prompt_hash = prompt_hash
        self.inner = inner or httpx.HTTPTransport()
        self._lock = threading.Lock()
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer from the cache, or forward and store a successful answer."""
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return self.inner.handle_request(request)
        body = json.loads(request.read() or b"{}")
        parts = request_parts(body)
        key = cache_key(prompt_hash=self.prompt_hash, repeat=_repeat_index.get(), **parts)
        entry = self.cache.get(key)
        if entry is not None:
            return httpx.Response(200, json=entry.response, headers={"x-icp-cache": "hit"}, request=request)
        with self._lock:
            self.requests += 1
        response = self.inner.handle_request(request)
        if response.status_code != 200:
            return response
        raw = response.read()
        response.close()
        try:
            payload = json.loads(raw)
        except json.JSONDecodeError:
            return httpx.Response(200, content=raw, headers=response.headers, request=request)
        self.cache.put(
            CacheEntry(key=key, prompt_hash=self.prompt_hash, repeat=_repeat_index.get(), response=payload, **parts)
        )
        return httpx.Response(200, content=raw, headers=response.headers, request=request)

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


def caching_client(client: OpenAI, cache: ResponseCache, prompt_hash: str | None) -> tuple[OpenAI, CachingTransport]:
    """``client`` with the cache in its HTTP layer; the transport counts the requests really made."""
    from openai import DefaultHttpxClient  # the SDK loads only when a model is really asked

    transport = CachingTransport(cache, prompt_hash)
    return client.with_options(http_client=DefaultHttpxClient(transport=transport)), transport


def replay_responder(entries: list[CacheEntry]) -> Any:
    """A fake-server responder that answers each request with its recorded response.

    Requests are matched on (model, schema hash, input hash); several recorded repeats of one request
    are served in repeat order. A request with no recording gets a 400 naming the problem (not retried),
    which the run counts as unmeasured.
    """
    by_parts: dict[tuple[str, str, str], list[CacheEntry]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: e.repeat):
        by_parts[(entry.model, entry.schema_hash, entry.input_hash)].append(entry)
    served: dict[tuple[str, str, str], int] = defaultdict(int)
    lock = threading.Lock()

    def respond(request: ChatRequest) -> Reply:
        parts = request_parts(request.body)
        slot = (parts["model"], parts["schema_hash"], parts["input_hash"])
        with lock:
            recorded = by_parts.get(slot)
            if not recorded:
                return Reply.error_reply(
                    400,
                    "No recorded response for this request: the prompt, model, answer format or company changed "
                    "since the recording was made. Re-record it against a real endpoint (see evals/README.md).",
                    kind="no_recording",
                )
            entry = recorded[served[slot] % len(recorded)]
            served[slot] += 1
        return reply_from_response(entry.response)

    return respond


def reply_from_response(response: dict[str, Any]) -> Reply:
    """Turn a recorded chat-completion body back into a scripted fake-server reply."""
    choice = (response.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    return Reply(
        content=message.get("content"),
        refusal=message.get("refusal"),
        finish_reason=choice.get("finish_reason") or "stop",
        usage=response.get("usage"),
        kind="replay",
    )
