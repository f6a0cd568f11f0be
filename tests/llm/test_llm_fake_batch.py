"""The fake OpenAI server's Files and Batch API, driven only through the official SDK."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai import OpenAI
from openai.types import Batch
from openai.types.chat import ChatCompletion

from icp.testing import FakeOpenAI, FaultRates, Reply

MESSAGES = [
    {"role": "system", "content": "Criteria:\nR1. (requirement) B2B\nN1. (nice-to-have) Uses Salesforce"},
    {"role": "user", "content": '<company_data>\n{"name": "Acme", "domain": "acme.com"}\n</company_data>'},
]


def line(custom_id: str, **body: Any) -> str:
    request = {"model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0, **body}
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": request})


def jsonl(*lines: str) -> bytes:
    return "".join(text + "\n" for text in lines).encode("utf-8")


def read_lines(client: OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    assert file_id is not None
    return [json.loads(text) for text in client.files.content(file_id).text.splitlines()]


def submit(client: OpenAI, data: bytes, **metadata: str) -> Batch:
    uploaded = client.files.create(file=("batch.jsonl", data), purpose="batch")
    return client.batches.create(
        input_file_id=uploaded.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata=metadata or None,
    )


def wait(client: OpenAI, batch_id: str, limit: int = 10) -> tuple[Batch, list[str]]:
    """Retrieve until the batch is final; the statuses seen on the way."""
    seen: list[str] = []
    for _ in range(limit):
        batch = client.batches.retrieve(batch_id)
        seen.append(batch.status)
        if batch.status in ("completed", "expired", "cancelled", "failed"):
            return batch, seen
    raise AssertionError(f"batch {batch_id} never finished: {seen}")


@contextlib.contextmanager
def serve(client_key: str = "test", **options: Any) -> Iterator[tuple[FakeOpenAI, OpenAI]]:
    """A fake server built with ``options`` and an SDK client (sending ``client_key``) pointed at it."""
    with FakeOpenAI(**options) as server, OpenAI(base_url=server.base_url, api_key=client_key, max_retries=0) as sdk:
        yield server, sdk


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(seed=7) as server:
        yield server


@pytest.fixture
def client(fake: FakeOpenAI) -> Iterator[OpenAI]:
    with OpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as sdk:
        yield sdk


def test_upload_then_download_and_retrieve_a_file(fake: FakeOpenAI, client: OpenAI) -> None:
    data = jsonl(line("a"), line("b")) + "é\r\n".encode()
    uploaded = client.files.create(file=("batch.jsonl", data), purpose="batch")

    assert uploaded.id.startswith("file-") and uploaded.object == "file"
    assert (uploaded.bytes, uploaded.filename, uploaded.purpose, uploaded.status) == (
        len(data),
        "batch.jsonl",
        "batch",
        "processed",
    )
    assert client.files.content(uploaded.id).read() == data
    assert client.files.retrieve(uploaded.id) == uploaded
    assert fake.files == {uploaded.id: data}
    assert [f.id for f in client.files.list(purpose="batch")] == [uploaded.id]
    (record,) = [r for r in fake.requests if r.method == "POST"]
    assert record.path == "/v1/files" and record.body == {"purpose": "batch", "filename": "batch.jsonl"}
    assert client.files.delete(uploaded.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.files.content(uploaded.id)


def test_batch_runs_every_line_through_the_scripted_queue_and_responder(fake: FakeOpenAI, client: OpenAI) -> None:
    fake.batch_polls = 2
    fake.enqueue(Reply.text("scripted"), Reply.server_error(500))
    created = submit(client, jsonl(line("c1"), line("c2"), line("c3", response_format={"type": "json_object"})), k="v")

    assert created.status == "validating"
    assert created.output_file_id is None and created.error_file_id is None
    assert created.metadata == {"k": "v"} and created.input_file_id in fake.files
    assert fake.pending == 0  # every line was answered at creation
    assert fake.chat_requests == []  # batch lines are not chat requests

    batch, seen = wait(client, created.id)
    assert seen == ["in_progress", "in_progress", "completed"]
    assert batch.completed_at is not None and batch.in_progress_at is not None
    assert batch.request_counts is not None
    assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (3, 2, 1)
    assert batch.error_file_id is None  # every line could be run

    lines = read_lines(client, batch.output_file_id)
    assert [entry["custom_id"] for entry in lines] == ["c1", "c2", "c3"]
    assert [entry["response"]["status_code"] for entry in lines] == [200, 500, 200]
    assert all(entry["id"].startswith("batch_req_") and entry["error"] is None for entry in lines)
    assert all(entry["response"]["request_id"].startswith("req_fake_batch_") for entry in lines)
    first = ChatCompletion.model_validate(lines[0]["response"]["body"])
    assert first.choices[0].message.content == "scripted"
    third = ChatCompletion.model_validate(lines[2]["response"]["body"])
    assert '"id": "R1"' in (third.choices[0].message.content or "")  # the default responder
    assert lines[1]["response"]["body"]["error"]["type"] == "server_error"
    assert client.batches.retrieve(created.id) == batch  # final: retrieving no longer changes it


def test_a_refusal_is_a_200_line_with_the_refusal(fake: FakeOpenAI, client: OpenAI) -> None:
    fake.enqueue(Reply.refused("no"))
    batch, _ = wait(client, submit(client, jsonl(line("x"))).id)

    (entry,) = read_lines(client, batch.output_file_id)
    completion = ChatCompletion.model_validate(entry["response"]["body"])
    assert entry["response"]["status_code"] == 200
    assert completion.choices[0].message.refusal == "no" and completion.choices[0].message.content is None


def test_lines_that_cannot_run_go_to_the_error_file(client: OpenAI) -> None:
    bad = [
        "{not json",
        json.dumps({"custom_id": "no-body", "method": "POST", "url": "/v1/chat/completions"}),
        json.dumps({"method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini"}}),
        line("ok"),  # a duplicate of the next one
        line("ok"),
    ]
    batch, seen = wait(client, submit(client, jsonl(line("first"), *bad, line("unknown-model", model="nope"))).id)

    assert seen == ["in_progress", "completed"]
    errors = read_lines(client, batch.error_file_id)
    assert [entry["custom_id"] for entry in errors] == [None, "no-body", None, "ok"]
    assert all(entry["response"] is None and entry["error"]["code"] == "invalid_request" for entry in errors)
    assert all(entry["error"]["message"] for entry in errors)
    outputs = read_lines(client, batch.output_file_id)
    assert [(e["custom_id"], e["response"]["status_code"]) for e in outputs] == [
        ("first", 200),
        ("ok", 200),
        ("unknown-model", 404),
    ]
    assert batch.request_counts is not None
    assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (7, 2, 5)


def test_an_expired_batch_keeps_the_first_half_of_its_output() -> None:
    with serve(batch_polls=0, expire_batches=True) as (_fake, client):
        created = submit(client, jsonl("{bad", *(line(f"c{i}") for i in range(5))))
        batch, seen = wait(client, created.id)
        outputs = read_lines(client, batch.output_file_id)
        errors = read_lines(client, batch.error_file_id)

    assert seen == ["expired"]
    assert batch.expired_at is not None and batch.completed_at is None
    assert [entry["custom_id"] for entry in outputs] == ["c0", "c1"]  # half of 5 output lines; c2..c4 never answered
    assert [(entry["custom_id"], entry["error"]["code"]) for entry in errors] == [
        (None, "invalid_request"),
        ("c2", "batch_expired"),
        ("c3", "batch_expired"),
        ("c4", "batch_expired"),
    ]  # as the real API lists requests it never ran
    assert batch.request_counts is not None
    assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (6, 2, 4)


def test_cancel_keeps_the_first_half_and_cannot_cancel_a_finished_batch(client: OpenAI) -> None:
    created = submit(client, jsonl(*(line(f"c{i}") for i in range(4))))
    cancelled = client.batches.cancel(created.id)

    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert [entry["custom_id"] for entry in read_lines(client, cancelled.output_file_id)] == ["c0", "c1"]
    errors = read_lines(client, cancelled.error_file_id)
    assert [(entry["custom_id"], entry["error"]["code"]) for entry in errors] == [
        ("c2", "batch_cancelled"),
        ("c3", "batch_cancelled"),
    ]
    assert client.batches.retrieve(created.id).status == "cancelled"
    assert client.batches.cancel(created.id).status == "cancelled"

    finished, _ = wait(client, submit(client, jsonl(line("x"))).id)
    with pytest.raises(openai.BadRequestError):
        client.batches.cancel(finished.id)


def test_list_batches_newest_first(fake: FakeOpenAI, client: OpenAI) -> None:
    first = submit(client, jsonl(line("a")))
    second = submit(client, jsonl(line("b")))

    page = client.batches.list()
    assert [b.id for b in page.data] == [second.id, first.id]
    assert [b.id for b in client.batches.list(limit=1, after=second.id).data] == [first.id]
    assert [b["id"] for b in fake.batches] == [first.id, second.id]


def test_unknown_ids_and_bad_requests_raise_sdk_errors(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.batches.create(input_file_id="file-404", endpoint="/v1/chat/completions", completion_window="24h")
    with pytest.raises(openai.NotFoundError):
        client.files.content("file-404")
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-404")
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_404")
    uploaded = client.files.create(file=("batch.jsonl", jsonl(line("a"))), purpose="batch")
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id=uploaded.id, endpoint="/v1/embeddings", completion_window="24h")
    empty = client.files.create(file=("empty.jsonl", b"\n"), purpose="batch")
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id=empty.id, endpoint="/v1/chat/completions", completion_window="24h")


def test_batch_lines_skip_latency_and_the_rpm_limit_but_not_faults() -> None:
    faults = FaultRates(server_error=0.5)
    with serve(latency_s=5.0, rpm_limit=1, faults=faults, seed=3) as (fake, client):
        client = client.with_options(timeout=3.0)  # a line that waited out the latency would time out
        batch, _ = wait(client, submit(client, jsonl(*(line(f"c{i}") for i in range(20)))).id)
        statuses = [entry["response"]["status_code"] for entry in read_lines(client, batch.output_file_id)]

    assert set(statuses) == {200, 503}
    assert fake.chat_requests == []


def test_the_api_key_guards_the_batch_routes() -> None:
    with serve(client_key="wrong", api_key="secret") as (fake, client):
        with pytest.raises(openai.AuthenticationError):
            client.files.create(file=("batch.jsonl", jsonl(line("a"))), purpose="batch")
        with pytest.raises(openai.AuthenticationError):
            client.batches.list()
        assert fake.files == {}
