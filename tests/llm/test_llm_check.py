"""``icp llm check``: one tiny request, a clear diagnosis, through the library, the CLI and the console script."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai import OpenAI
from typer.testing import CliRunner

from icp.cli import app
from icp.errors import ConfigError
from icp.evaluators.llm import make_openai_client
from icp.llm_check import check_endpoint
from icp.settings import Settings
from icp.testing import FakeOpenAI, Reply


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-right") as fake:
        yield fake


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def diagnose(base_url: str, key: str = "sk-right", **settings: object) -> str:
    config = Settings(openai_base_url=base_url, openai_api_key=key, request_timeout_s=2.0)
    config = config.model_copy(update=settings)
    client = make_openai_client(config)
    try:
        return check_endpoint(client, config).status
    finally:
        client.close()


def test_diagnoses_a_working_endpoint(server: FakeOpenAI) -> None:
    config = Settings(openai_base_url=server.base_url, openai_api_key="sk-right")
    with OpenAI(base_url=server.base_url, api_key="sk-right", max_retries=0) as client:
        diagnosis = check_endpoint(client, config)

    assert diagnosis.ok and diagnosis.status == "ok"
    assert "valid JSON" in diagnosis.message
    assert len(server.chat_requests) == 1
    assert server.chat_requests[0].body["response_format"]["type"] == "json_schema"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("bad_key", "bad_key"),
        ("wrong_route", "wrong_base_url"),
        ("closed_port", "wrong_base_url"),
        ("unknown_model", "model_not_found"),
        ("rate_limited", "rate_limited"),
        ("quota", "quota_exhausted"),
        ("slow", "timeout"),
    ],
)
def test_diagnoses_endpoint_problems(server: FakeOpenAI, case: str, expected: str) -> None:
    base_url, key, model = server.base_url, "sk-right", "gpt-4o-mini"
    if case == "bad_key":
        key = "sk-wrong"
    elif case == "wrong_route":
        base_url = base_url.removesuffix("/v1")
    elif case == "closed_port":
        base_url = closed_port_url()
    elif case == "unknown_model":
        model = "gpt-9-ultra"
    elif case == "rate_limited":
        server.enqueue(Reply.rate_limited(2))
    elif case == "quota":
        server.enqueue(Reply.rate_limited(quota=True))
    elif case == "slow":
        server.enqueue(Reply.slow(3.0))

    kwargs: dict[str, object] = {"model": model}
    if case == "slow":
        kwargs["request_timeout_s"] = 0.3
    config = Settings(openai_base_url=base_url, openai_api_key=key, request_timeout_s=2.0)
    config = config.model_copy(update=kwargs)
    client = make_openai_client(config)
    try:
        diagnosis = check_endpoint(client, config)
    finally:
        client.close()

    assert diagnosis.status == expected, diagnosis
    assert not diagnosis.ok
    assert diagnosis.hint


def test_diagnoses_missing_json_schema_support() -> None:
    with FakeOpenAI(supports_json_schema=False, json_schema_status=500) as fake:
        assert diagnose(fake.base_url, llm_mode="json_schema") == "no_json_schema"
        assert diagnose(fake.base_url, llm_mode="json_object") == "ok"
        assert diagnose(fake.base_url) == "ok"  # auto falls back
        assert all(r.body["max_tokens"] <= 32 for r in fake.chat_requests)


def test_model_not_found_lists_the_models_available(server: FakeOpenAI) -> None:
    config = Settings(openai_base_url=server.base_url, openai_api_key="sk-right", model="nope")
    with OpenAI(base_url=server.base_url, api_key="sk-right", max_retries=0) as client:
        diagnosis = check_endpoint(client, config)

    assert diagnosis.status == "model_not_found"
    assert "gpt-4o-mini" in diagnosis.hint


def test_client_needs_a_key() -> None:
    with pytest.raises(ConfigError, match="ICP_OPENAI_API_KEY"):
        make_openai_client(Settings())


@pytest.mark.parametrize(
    ("env", "exit_code", "text"),
    [
        ({}, 0, "ok"),
        ({"ICP_OPENAI_API_KEY": "sk-wrong"}, 1, "bad_key"),
        ({"ICP_MODEL": "gpt-9-ultra"}, 1, "model_not_found"),
        ({"ICP_OPENAI_BASE_URL": "__closed__"}, 1, "wrong_base_url"),
        ({"ICP_OPENAI_API_KEY": ""}, 1, "ICP_OPENAI_API_KEY"),
    ],
)
def test_cli_check(
    server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], exit_code: int, text: str
) -> None:
    monkeypatch.setenv("ICP_OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("ICP_OPENAI_API_KEY", "sk-right")
    for name, value in env.items():
        if value == "__closed__":
            value = closed_port_url()
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name)

    result = CliRunner().invoke(app, ["llm", "check"])

    assert result.exit_code == exit_code, result.output
    assert text in result.output


def test_cli_check_no_json_schema_in_json_format(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAI(supports_json_schema=False) as fake:
        monkeypatch.setenv("ICP_OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("ICP_OPENAI_API_KEY", "test")
        monkeypatch.setenv("ICP_LLM_MODE", "json_schema")

        result = CliRunner().invoke(app, ["llm", "check", "--format", "json"])

    assert result.exit_code == 1
    assert '"status": "no_json_schema"' in result.output
    assert "ICP_LLM_MODE=json_object" in result.output


def test_console_script_check(server: FakeOpenAI, tmp_path: Path) -> None:
    script = shutil.which("icp", path=str(Path(sys.executable).parent)) or shutil.which("icp")
    assert script is not None, "the icp console script is not installed in this environment"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICP_", "OPENAI_"))}
    env |= {"ICP_OPENAI_BASE_URL": server.base_url, "ICP_OPENAI_API_KEY": "sk-wrong"}

    bad = subprocess.run([script, "llm", "check"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    env["ICP_OPENAI_API_KEY"] = "sk-right"
    good = subprocess.run([script, "llm", "check"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)

    assert bad.returncode == 1 and "bad_key" in bad.stdout, bad.stdout + bad.stderr
    assert good.returncode == 0 and "ok" in good.stdout, good.stdout + good.stderr
    assert "sk-right" not in good.stdout + good.stderr  # the key is never printed
