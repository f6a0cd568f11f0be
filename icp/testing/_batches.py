"""Files and batches for the fake OpenAI server: uploads, batch jobs and the JSONL they read and write.

The HTTP routing lives in :mod:`icp.testing.fake_openai`; this module keeps the state. Every line of a
batch is answered when the batch is created, by a callable the server passes in (the same machinery as
``/v1/chat/completions``); retrieving the batch afterwards only moves it through its statuses and, at the
end, makes the output and error files visible.

Output lines (the request was executed, whatever its HTTP status)::

    {"id": "batch_req_<n>", "custom_id": "...", "error": null,
     "response": {"status_code": 200, "request_id": "req_fake_batch_<n>", "body": {...chat.completion...}}}

Error lines (the line could not be run: not JSON, no custom_id or body, a duplicate custom_id, another
method or url)::

    {"id": "batch_req_<n>", "custom_id": "..." or null, "response": null,
     "error": {"code": "invalid_request", "message": "..."}}

A batch that expires or is cancelled keeps the first half (rounded down) of its output lines; the other
lines are listed in its error file with the code ``batch_expired`` or ``batch_cancelled``, as the real
API lists requests it never ran.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import Any

BATCH_WINDOW_S = 24 * 3600
ENDPOINTS = frozenset({"/v1/chat/completions"})
TERMINAL = frozenset({"completed", "expired", "cancelled", "failed"})

LineAnswer = Callable[[dict[str, Any], int], tuple[int, Any]]
"""Answers one batch line: (request body, line number ``n``) -> (HTTP status, JSON body)."""

Result = tuple[int, Any]
"""An HTTP status and the JSON body to answer with."""


def api_error(status: int, message: str, *, param: str | None = None, code: str | None = None) -> Result:
    """An error status with the API's error body shape."""
    return status, {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


def parse_multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a ``multipart/form-data`` body: name -> (filename or None, bytes)."""
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    message: Message = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
    parts = message.get_payload() if message.is_multipart() else []
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


def _jsonl(lines: Iterable[Mapping[str, Any]]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode("utf-8")


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file or a batch's output/error file."""

    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def to_json(self) -> dict[str, Any]:
        """The API's FileObject."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


@dataclass
class BatchJob:
    """One batch: its lines are answered at creation; ``status`` advances on retrieves."""

    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: Any
    created_at: int
    lines: list[dict[str, Any]]  # output and error lines, in input order
    status: str = "validating"
    polls: int = 0
    progress: int = 0  # output lines counted as done while in progress
    kept: int = 0  # output lines in the output file once finished
    output_file_id: str | None = None
    error_file_id: str | None = None
    times: dict[str, int] = field(default_factory=dict)

    @property
    def outputs(self) -> list[dict[str, Any]]:
        """Lines that were executed (any HTTP status), in input order."""
        return [line for line in self.lines if line["response"] is not None]

    @property
    def invalid(self) -> int:
        """Lines that could not be run."""
        return sum(1 for line in self.lines if line["response"] is None)

    def request_counts(self) -> dict[str, int]:
        """total / completed (answered 200) / failed, as far as the batch has got."""
        total = len(self.lines)
        if self.status == "validating":
            return {"total": total, "completed": 0, "failed": 0}
        done = self.outputs[: self.kept if self.status in TERMINAL else self.progress]
        completed = sum(1 for line in done if line["response"]["status_code"] == 200)
        if self.status in TERMINAL:
            return {"total": total, "completed": completed, "failed": total - completed}
        return {"total": total, "completed": completed, "failed": len(done) - completed + self.invalid}

    def to_json(self) -> dict[str, Any]:
        """The API's Batch object."""
        times = {
            f"{name}_at": self.times.get(name)
            for name in ("in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled")
        }
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "errors": None,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "expires_at": self.created_at + BATCH_WINDOW_S,
            **times,
            "request_counts": self.request_counts(),
            "metadata": self.metadata,
        }


class BatchStore:
    """Thread-safe files and batches, answering with (status, JSON body) pairs the server sends as they are."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, StoredFile] = {}
        self._batches: dict[str, BatchJob] = {}
        self._file_count = 0
        self._batch_count = 0
        self._line_count = 0

    # -- inspection --------------------------------------------------------------------------------

    @property
    def files(self) -> dict[str, bytes]:
        """file id -> content, uploads and batch outputs alike."""
        with self._lock:
            return {file_id: stored.data for file_id, stored in self._files.items()}

    @property
    def batches(self) -> list[dict[str, Any]]:
        """Every batch as the API shows it now (without advancing it), in creation order."""
        with self._lock:
            return [job.to_json() for job in self._batches.values()]

    # -- files -------------------------------------------------------------------------------------

    def _add_file(self, filename: str, purpose: str, data: bytes) -> StoredFile:
        """Store a file; the caller holds the lock."""
        self._file_count += 1
        stored = StoredFile(f"file-{self._file_count}", filename, purpose, data, int(time.time()))
        self._files[stored.id] = stored
        return stored

    def upload(self, fields: Mapping[str, tuple[str | None, bytes]]) -> Result:
        """``POST /v1/files``: store the ``file`` field under ``purpose``."""
        if "file" not in fields or "purpose" not in fields:
            return api_error(400, "Uploads need the multipart fields 'file' and 'purpose'.", param="file")
        filename, data = fields["file"]
        purpose = fields["purpose"][1].decode("utf-8", errors="replace")
        with self._lock:
            stored = self._add_file(filename or "upload", purpose, data)
        return 200, stored.to_json()

    def file(self, file_id: str) -> Result:
        """``GET /v1/files/{id}``."""
        with self._lock:
            stored = self._files.get(file_id)
        if stored is None:
            return _no_file(file_id)
        return 200, stored.to_json()

    def content(self, file_id: str) -> StoredFile | None:
        """``GET /v1/files/{id}/content``: the stored file, or None when unknown."""
        with self._lock:
            return self._files.get(file_id)

    def list_files(self, purpose: str | None = None) -> Result:
        """``GET /v1/files``: newest first, optionally of one purpose."""
        with self._lock:
            files = [f.to_json() for f in reversed(self._files.values()) if purpose in (None, f.purpose)]
        return 200, {"object": "list", "data": files, "has_more": False}

    def delete_file(self, file_id: str) -> Result:
        """``DELETE /v1/files/{id}``."""
        with self._lock:
            stored = self._files.pop(file_id, None)
        if stored is None:
            return _no_file(file_id)
        return 200, {"id": file_id, "object": "file", "deleted": True}

    # -- batches -----------------------------------------------------------------------------------

    def create(self, body: Any, answer: LineAnswer) -> Result:
        """``POST /v1/batches``: validate, then answer every line of the input file now."""
        if not isinstance(body, dict) or not isinstance(body.get("input_file_id"), str):
            return api_error(400, "Missing required parameter: 'input_file_id'.", param="input_file_id")
        endpoint = body.get("endpoint")
        if endpoint not in ENDPOINTS:
            return api_error(
                400, f"Unsupported endpoint {endpoint!r}: the fake runs /v1/chat/completions.", param="endpoint"
            )
        window = body.get("completion_window")
        if window != "24h":
            return api_error(
                400, f"Invalid completion_window {window!r}: only '24h' is supported.", param="completion_window"
            )
        input_id = body["input_file_id"]
        with self._lock:
            stored = self._files.get(input_id)
        if stored is None:
            return api_error(404, f"No such File object: {input_id}", param="input_file_id")
        raw_lines = [line for line in stored.data.splitlines() if line.strip()]
        if not raw_lines:
            return api_error(400, f"The input file {input_id} contains no requests.", param="input_file_id")
        lines = self._run_lines(raw_lines, str(endpoint), answer)
        with self._lock:
            self._batch_count += 1
            job = BatchJob(
                id=f"batch_{self._batch_count}",
                input_file_id=input_id,
                endpoint=str(endpoint),
                completion_window=window,
                metadata=body.get("metadata"),
                created_at=int(time.time()),
                lines=lines,
            )
            self._batches[job.id] = job
            return 200, job.to_json()

    def _run_lines(self, raw_lines: list[bytes], endpoint: str, answer: LineAnswer) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = []
        seen: set[str] = set()
        for raw in raw_lines:
            with self._lock:
                self._line_count += 1
                n = self._line_count
            try:
                item: Any = json.loads(raw)
            except ValueError:  # not JSON, or not UTF-8
                item = None
            custom_id = item.get("custom_id") if isinstance(item, dict) else None
            custom_id = custom_id if isinstance(custom_id, str) else None
            problem = _line_problem(item, endpoint, seen)
            if problem is not None or custom_id is None:
                error = {"code": "invalid_request", "message": problem or "Missing required parameter: 'custom_id'."}
                lines.append({"id": f"batch_req_{n}", "custom_id": custom_id, "response": None, "error": error})
                continue
            seen.add(custom_id)
            status, payload = answer(item["body"], n)
            response = {"status_code": status, "request_id": f"req_fake_batch_{n}", "body": payload}
            lines.append({"id": f"batch_req_{n}", "custom_id": custom_id, "response": response, "error": None})
        return lines

    def retrieve(self, batch_id: str, *, polls: int, expire: bool) -> Result:
        """``GET /v1/batches/{id}``: the first ``polls`` retrieves see ``in_progress``, then it finishes."""
        with self._lock:
            job = self._batches.get(batch_id)
            if job is None:
                return _no_batch(batch_id)
            if job.status not in TERMINAL:
                job.polls += 1
                now = int(time.time())
                job.times.setdefault("in_progress", now)
                if job.polls <= polls:
                    job.status = "in_progress"
                    job.progress = len(job.outputs) * job.polls // (polls + 1)
                else:
                    self._finish(job, "expired" if expire else "completed")
            return 200, job.to_json()

    def cancel(self, batch_id: str) -> Result:
        """``POST /v1/batches/{id}/cancel``: cancelled at once, keeping the first half of the output."""
        with self._lock:
            job = self._batches.get(batch_id)
            if job is None:
                return _no_batch(batch_id)
            if job.status in TERMINAL and job.status != "cancelled":
                return api_error(400, f"Cannot cancel a batch with status '{job.status}'.", param="batch_id")
            if job.status != "cancelled":
                job.times["cancelling"] = int(time.time())
                self._finish(job, "cancelled")
            return 200, job.to_json()

    def list_batches(self, *, after: str | None = None, limit: int = 20) -> Result:
        """``GET /v1/batches``: newest first, from after the ``after`` id."""
        with self._lock:
            jobs = list(reversed(self._batches.values()))
            ids = [job.id for job in jobs]
            start = ids.index(after) + 1 if after in ids else 0
            page = [job.to_json() for job in jobs[start : start + max(1, limit)]]
        return 200, {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": start + len(page) < len(jobs),
        }

    def _finish(self, job: BatchJob, status: str) -> None:
        """Move ``job`` to a final status and write its files; the caller holds the lock."""
        now = int(time.time())
        outputs = job.outputs
        job.kept = len(outputs) if status == "completed" else len(outputs) // 2
        output_lines = outputs[: job.kept]
        error_lines = [line for line in job.lines if line["response"] is None]
        # As the real API does, requests a batch never ran are listed in its error file with the reason.
        code = {"expired": "batch_expired", "cancelled": "batch_cancelled"}.get(status)
        if code is not None:
            message = f"This request could not be executed before the batch was {status}."
            error_lines += [
                {**line, "response": None, "error": {"code": code, "message": message}} for line in outputs[job.kept :]
            ]
        if output_lines:
            job.output_file_id = self._add_file(f"{job.id}_output.jsonl", "batch_output", _jsonl(output_lines)).id
        if error_lines:
            job.error_file_id = self._add_file(f"{job.id}_error.jsonl", "batch_output", _jsonl(error_lines)).id
        job.status = status
        if status == "completed":
            job.times["finalizing"] = now
        job.times[status] = now


def _line_problem(item: Any, endpoint: str, seen: set[str]) -> str | None:
    """Why a parsed input line cannot be run, or None when it can."""
    if not isinstance(item, dict):
        return "Each line must be a JSON object."
    custom_id = item.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return "Missing required parameter: 'custom_id'."
    if custom_id in seen:
        return f"Duplicate custom_id {custom_id!r}: each line needs its own."
    if not isinstance(item.get("body"), dict):
        return "Missing required parameter: 'body'."
    if item.get("method", "POST") != "POST":
        return f"Unsupported method {item.get('method')!r}: only POST is supported."
    if item.get("url", endpoint) != endpoint:
        return f"The line's url {item.get('url')!r} does not match the batch endpoint {endpoint!r}."
    return None


def _no_file(file_id: str) -> Result:
    return api_error(404, f"No such File object: {file_id}", param="id")


def _no_batch(batch_id: str) -> Result:
    return api_error(404, f"No batch found with id '{batch_id}'.", param="batch_id")
