"""The HTTP side of the fake OpenAI server: routes each request to :class:`~icp.testing.fake_openai.FakeOpenAI`."""

from __future__ import annotations

import json
import re
import time
from contextlib import nullcontext
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from icp.testing._batches import Result, parse_multipart
from icp.testing._exchange import RecordedRequest

if TYPE_CHECKING:
    from icp.testing.fake_openai import FakeOpenAI

_FILE_ROUTE = re.compile(r"^/v1/files/([^/]+)(/content)?$")
_BATCH_ROUTE = re.compile(r"^/v1/batches/([^/]+)(/cancel)?$")


class FakeOpenAIHandler(BaseHTTPRequestHandler):
    """One HTTP request to the fake server: authorisation, routing, and writing the answer."""

    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"

    @property
    def fake(self) -> FakeOpenAI:
        fake: FakeOpenAI = self.server.fake  # type: ignore[attr-defined]
        return fake

    def log_message(self, format: str, *args: Any) -> None:  # silence per-request stderr lines
        return

    def _headers_dict(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _authorised(self, record: RecordedRequest) -> bool:
        expected = self.fake.api_key
        if expected is None:
            return True
        if self.headers.get("Authorization", "") == f"Bearer {expected}":
            return True
        body = {
            "error": {
                "message": "Incorrect API key provided. You can find your API key at https://platform.openai.com.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        }
        self._send(record, 401, {}, body, kind="bad_key")
        return False

    def _without_files_api(self, record: RecordedRequest) -> bool:
        """Answer 404 for the Files and Batch API routes when the fake has none (True when answered)."""
        path = urlsplit(self.path).path
        if self.fake.files_api or not path.startswith(("/v1/files", "/v1/batches")):
            return False
        self._send(record, 404, {}, {"error": {"message": f"Unknown route {self.path}", "type": "not_found"}})
        return True

    def do_GET(self) -> None:
        record = self.fake._record("GET", self.path, self._headers_dict(), None)
        if not self._authorised(record) or self._without_files_api(record):
            return
        url = urlsplit(self.path)
        path, query = url.path.rstrip("/"), parse_qs(url.query)
        store = self.fake._batches
        file_route, batch_route = _FILE_ROUTE.match(path), _BATCH_ROUTE.match(path)
        if path == "/v1/models":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.fake.models]
            self._send(record, 200, {}, {"object": "list", "data": data})
        elif path == "/v1/files":
            self._answer(record, store.list_files(query.get("purpose", [None])[0]))
        elif file_route and file_route.group(2):
            stored = store.content(file_route.group(1))
            if stored is None:
                self._answer(record, store.file(file_route.group(1)))
            else:
                self._send_bytes(record, 200, {}, stored.data, "application/octet-stream")
        elif file_route:
            self._answer(record, store.file(file_route.group(1)))
        elif path == "/v1/batches":
            limit = query.get("limit", ["20"])[0]
            after = query.get("after", [None])[0]
            self._answer(record, store.list_batches(after=after, limit=int(limit) if limit.isdigit() else 20))
        elif batch_route and not batch_route.group(2):
            polls, expire = self.fake.batch_polls, self.fake.expire_batches
            self._answer(record, store.retrieve(batch_route.group(1), polls=polls, expire=expire))
        else:
            self._send(record, 404, {}, {"error": {"message": f"Unknown route {self.path}", "type": "not_found"}})

    def do_DELETE(self) -> None:
        record = self.fake._record("DELETE", self.path, self._headers_dict(), None)
        if not self._authorised(record) or self._without_files_api(record):
            return
        file_route = _FILE_ROUTE.match(urlsplit(self.path).path.rstrip("/"))
        if file_route and not file_route.group(2):
            self._answer(record, self.fake._batches.delete_file(file_route.group(1)))
            return
        self._send(record, 404, {}, {"error": {"message": f"Unknown route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        fields: dict[str, tuple[str | None, bytes]] = {}
        body: Any = None
        if content_type.startswith("multipart/form-data"):
            fields = parse_multipart(content_type, raw)
            purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", errors="replace")
            body = {"purpose": purpose, "filename": fields.get("file", (None, b""))[0]}
        else:
            try:
                body = json.loads(raw) if raw else None
            except (json.JSONDecodeError, UnicodeDecodeError):
                body = None
        record = self.fake._record("POST", self.path, self._headers_dict(), body)
        if not self._authorised(record) or self._without_files_api(record):
            return
        path = urlsplit(self.path).path.rstrip("/")
        batch_route = _BATCH_ROUTE.match(path)
        if path == "/v1/files":
            self._answer(record, self.fake._batches.upload(fields))
            return
        if path == "/v1/batches":
            self._answer(record, self.fake._batches.create(body, self.fake._answer_batch_line))
            return
        if batch_route and batch_route.group(2):
            self._answer(record, self.fake._batches.cancel(batch_route.group(1)))
            return
        if path != "/v1/chat/completions":
            self._send(record, 404, {}, {"error": {"message": f"Unknown route {self.path}", "type": "not_found"}})
            return
        if not isinstance(body, dict) or "messages" not in body or "model" not in body:
            self._send(record, 400, {}, {"error": {"message": "Request body must be JSON with model and messages."}})
            return
        with self.fake._serving if self.fake.serial else nullcontext():
            record.served_at = time.monotonic()
            status, headers, payload, delay = self.fake._respond_chat(body, record)
            if delay > 0 and self.fake._stopping.wait(delay):
                return
        self._send(record, status, headers, payload, kind=record.kind)

    def _answer(self, record: RecordedRequest, result: Result) -> None:
        self._send(record, result[0], {}, result[1])

    def _send(self, record: RecordedRequest, status: int, headers: dict[str, str], body: Any, kind: str = "") -> None:
        self._send_bytes(record, status, headers, json.dumps(body).encode("utf-8"), "application/json", kind)

    def _send_bytes(
        self,
        record: RecordedRequest,
        status: int,
        headers: dict[str, str],
        data: bytes,
        content_type: str,
        kind: str = "",
    ) -> None:
        record.status = status
        record.kind = kind or record.kind or ("ok" if status == 200 else "error")
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", f"req_fake_{record.index}")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (timeout) and closed the connection
            self.close_connection = True
        finally:
            record.responded_at = time.monotonic()
