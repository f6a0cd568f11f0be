"""``icp llm check`` knows the server: formats, system role, Batch API, parallelism, and ``--save``."""

from __future__ import annotations

from pathlib import Path

import pytest
from openai import OpenAI
from typer.testing import CliRunner

from icp.cli import app
from icp.llm_probe import EndpointProfile, is_local, probe_endpoint, save_settings
from icp.settings import Settings
from icp.testing import FakeOpenAI


def profile_of(fake: FakeOpenAI) -> EndpointProfile:
    settings = Settings(openai_base_url=fake.base_url, openai_api_key="test", request_timeout_s=5.0)
    with OpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as client:
        return probe_endpoint(client, settings)


def works(profile: EndpointProfile) -> dict[str, bool | None]:
    return {c.name: c.works for c in profile.capabilities}


def test_probes_an_endpoint_that_supports_everything() -> None:
    with FakeOpenAI() as fake:
        profile = profile_of(fake)

        assert all(0 < r.body["max_tokens"] <= 32 for r in fake.chat_requests)  # tiny capped requests
    assert works(profile) == {
        "json_schema": True,
        "json_object_schema": True,
        "json_object": True,
        "system role": True,
        "batch API": True,
        "parallel requests": None,  # too fast to time
    }
    assert profile.settings == {"ICP_LLM_MODE": "json_schema", "ICP_LLM_SYSTEM_ROLE": "keep", "ICP_CONCURRENCY": "1"}
    assert any("local server" in note for note in profile.notes)


def test_probes_a_llama_cpp_like_server() -> None:
    with FakeOpenAI(
        supports_json_schema=False,
        json_schema_status=500,
        drop_system_role=True,
        files_api=False,
        serial=True,
        latency_s=0.3,
    ) as fake:
        profile = profile_of(fake)

    assert works(profile) == {
        "json_schema": False,
        "json_object_schema": True,
        "json_object": True,
        "system role": False,
        "batch API": False,
        "parallel requests": False,  # one at a time: three requests take three times as long
    }
    assert profile.settings == {
        "ICP_LLM_MODE": "json_object_schema",
        "ICP_LLM_SYSTEM_ROLE": "merge",
        "ICP_CONCURRENCY": "1",
    }
    batch = profile.capability("batch API")
    assert batch is not None and "404 on /v1/files" in batch.detail


def test_a_serial_server_whose_first_answers_were_slow_is_still_seen_as_serial() -> None:
    """A real llama.cpp server reads each new prompt first (seconds on a CPU): the format probes are slow, the
    repeated parallelism probe is not. Its single-request time is measured on that same repeated request."""
    from icp.testing import Reply

    with FakeOpenAI(serial=True, latency_s=0.25) as fake:
        # The three format probes and the system-role probe answer slowly, as a new prompt does.
        fake.enqueue(*(Reply.slow(1.5, Reply.json({"ok": True})) for _ in range(4)))
        profile = profile_of(fake)

    serial = profile.capability("parallel requests")
    assert serial is not None and serial.works is False, serial
    assert profile.settings["ICP_CONCURRENCY"] == "1"


def test_save_merges_with_an_existing_env_file_and_never_writes_secrets(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# mine\nICP_OPENAI_API_KEY=sk-keep-me\nexport ICP_LLM_MODE=json_schema\nICP_MODEL=qwen\n")

    written = save_settings(env, {"ICP_LLM_MODE": "json_object_schema", "ICP_CONCURRENCY": "1"})

    assert written == ["ICP_CONCURRENCY", "ICP_LLM_MODE"]
    assert env.read_text().splitlines() == [
        "# mine",
        "ICP_OPENAI_API_KEY=sk-keep-me",
        "ICP_LLM_MODE=json_object_schema",
        "ICP_MODEL=qwen",
        "ICP_CONCURRENCY=1",
    ]
    with pytest.raises(ValueError, match="refusing to write ICP_OPENAI_API_KEY"):
        save_settings(env, {"ICP_OPENAI_API_KEY": "sk-other"})


def test_cli_check_prints_what_works_and_saves_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / "server.env"
    env.write_text("ICP_MODEL=gpt-4o-mini\n")
    with FakeOpenAI(supports_json_schema=False, json_schema_status=500, drop_system_role=True, files_api=False) as fake:
        monkeypatch.setenv("ICP_OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("ICP_OPENAI_API_KEY", "sk-secret-value")

        result = CliRunner().invoke(app, ["llm", "check", "--save", "--env-file", str(env)])

    assert result.exit_code == 0, result.output  # auto mode found a format that works
    output = " ".join(result.output.split())
    assert "auto: json_object_schema" in output
    assert "What the endpoint supports" in output and "404 on /v1/files" in output
    assert "ICP_LLM_MODE=json_object_schema" in output and "ICP_LLM_SYSTEM_ROLE=merge" in output
    saved = env.read_text()
    assert "ICP_MODEL=gpt-4o-mini" in saved and "ICP_LLM_MODE=json_object_schema" in saved
    assert "ICP_LLM_SYSTEM_ROLE=merge" in saved and "ICP_CONCURRENCY=1" in saved
    assert "sk-secret-value" not in saved + result.output


def test_cli_check_in_json_carries_the_probe() -> None:
    import json

    with FakeOpenAI(files_api=False) as fake:
        runner = CliRunner(env={"ICP_OPENAI_BASE_URL": fake.base_url, "ICP_OPENAI_API_KEY": "test"})
        result = runner.invoke(app, ["llm", "check", "--format", "json"])

    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["status"] == "ok"
    assert {c["name"]: c["works"] for c in payload["probe"]["capabilities"]}["batch API"] is False


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:11434/v1", True),
        ("http://127.0.0.1:8080/v1", True),
        ("http://192.168.1.20:8000/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://acme.openai.azure.com/openai/v1", False),
    ],
)
def test_local_servers_are_told_apart(url: str, local: bool) -> None:
    assert is_local(url) is local
