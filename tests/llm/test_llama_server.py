"""The LLM path against a real llama.cpp server: llama-cpp-python's OpenAI-compatible server with a 270M GGUF model.

`icp llm check` must find a response mode that works and suggest one request at a time, and a trial cycle of
a few pairs run with the settings it saved must keep every pair: a grade or a readable failure, never a score
made from a failure.

The server is built from source by ``.ci/build-llama-server`` (CI starts it in the background in ``.ci/run``;
this test runs last and waits for it). Elsewhere the test is skipped until that script has been run; in CI
(``CI=true``) a missing or failed build fails it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

pytestmark = [pytest.mark.llama_server, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SERVER_PYTHON = Path(os.environ.get("ICP_LLAMA_SERVER_PYTHON", ROOT / ".ci" / "llama-venv" / "bin" / "python"))
MODEL = Path(os.environ.get("ICP_LLAMA_MODEL", ROOT / ".ci" / "models" / "gemma-3-270m-q4_k_m.gguf"))
BUILD_DONE = ROOT / ".ci" / "llama-build.done"
BUILD_LOG = ROOT / ".ci" / "llama-build.log"
IN_CI = os.environ.get("CI") == "true"
# How long CI waits for the background build once the rest of the suite is done (the build started with it).
BUILD_WAIT_S = float(os.environ.get("ICP_LLAMA_BUILD_WAIT_S", "900" if IN_CI else "0"))
ICP = str(Path(sys.executable).parent / "icp")
MODEL_NAME = "gemma3-270m"

SEGMENT_REQUIREMENTS = "Sells software to logistics companies\nHas a sales team"
COMPANIES = [
    {
        "name": "Routewise",
        "domain": "routewise.example",
        "country": "Germany",
        "employees": 320,
        "industry": "Software",
        "description": "Routewise sells route planning software to logistics companies. Its sales team has 40 people.",
    },
    {
        "name": "Bakehouse",
        "domain": "bakehouse.example",
        "country": "Spain",
        "employees": 45,
        "industry": "Food",
        "description": "Bakehouse runs six bakeries in Valencia.",
    },
    {
        "name": "Freightly",
        "domain": "freightly.example",
        "country": "France",
        "employees": 120,
        "industry": "Logistics",
        "description": "Freightly is a freight forwarder.",
    },
]


def _unavailable(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _log_tail(path: Path, lines: int = 25) -> str:
    if not path.is_file():
        return f"(no {path.name})"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _wait_for_build() -> None:
    """Return when the server and model are installed; skip (fail in CI) with the reason otherwise."""
    explicit = "ICP_LLAMA_SERVER_PYTHON" in os.environ
    if not explicit and not BUILD_DONE.exists() and not BUILD_LOG.exists():
        _unavailable(
            "llama-cpp-python[server] is not installed for this test: run `bash .ci/build-llama-server` once "
            "(it builds for the generic CPU, 15-25 minutes on two cores; see README 'Testing')"
        )
    deadline = time.monotonic() + BUILD_WAIT_S
    while not explicit and not BUILD_DONE.exists():
        if time.monotonic() >= deadline:
            _unavailable(
                f"the llama.cpp server build has not finished (waited {BUILD_WAIT_S:.0f} s); its log so far:\n"
                + _log_tail(BUILD_LOG)
            )
        time.sleep(5)
    if not explicit and BUILD_DONE.read_text(encoding="utf-8").strip() != "0":
        status = BUILD_DONE.read_text(encoding="utf-8").strip()
        _unavailable(
            f"the llama.cpp server build failed (exit {status}); the end of {BUILD_LOG}:\n" + _log_tail(BUILD_LOG)
        )
    for needed in (SERVER_PYTHON, MODEL):
        if not needed.exists():
            _unavailable(f"{needed} is missing after the build; the end of {BUILD_LOG}:\n" + _log_tail(BUILD_LOG))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A llama-cpp-python server on 127.0.0.1 serving the GGUF model; yields its OpenAI base URL."""
    _wait_for_build()
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        str(SERVER_PYTHON), "-m", "llama_cpp.server", "--model", str(MODEL), "--model_alias", MODEL_NAME,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", str(os.cpu_count() or 2),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        base_url = f"http://127.0.0.1:{port}/v1"
        try:
            deadline = time.monotonic() + 180
            while True:
                if server.poll() is not None:
                    pytest.fail(f"the llama.cpp server exited ({server.returncode}):\n{_log_tail(log_path)}")
                try:
                    with urllib.request.urlopen(f"{base_url}/models", timeout=5) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"the llama.cpp server did not answer within 180 s:\n{_log_tail(log_path)}")
                time.sleep(1)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=20)


def _icp(*args: str, cwd: Path, base_url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(cwd),
        "COLUMNS": "200",
        "ICP_OPENAI_BASE_URL": base_url,
        "ICP_OPENAI_API_KEY": "local",
        "ICP_MODEL": MODEL_NAME,
        "ICP_REQUEST_TIMEOUT_S": "120",
    }
    result = subprocess.run(
        [ICP, "--db", str(cwd / "icp.db"), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=900
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    if check and result.returncode != 0:
        raise AssertionError(f"icp {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def _saved(env_file: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in env_file.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.mark.timeout(1500)  # a 270M model on two CPU cores: minutes, more on a busy machine
def test_llm_check_then_a_trial_cycle_against_a_real_llama_cpp_server(llama_server: str, tmp_path: Path) -> None:
    checked = _icp("llm", "check", "--save", cwd=tmp_path, base_url=llama_server)
    print(checked.stdout, checked.stderr)  # what the probes found, in the test report
    settings = _saved(tmp_path / ".env")
    assert settings["ICP_CONCURRENCY"] == "1"  # a llama.cpp server generates one answer at a time
    mode = settings["ICP_LLM_MODE"]
    assert mode in ("json_schema", "json_object_schema", "json_object")
    assert f"ICP_LLM_MODE={mode}" in checked.stdout
    assert "OPENAI_API_KEY" not in (tmp_path / ".env").read_text(encoding="utf-8")  # never a key

    _icp("segments", "add", "--name", "Logistics software", "--requirements", SEGMENT_REQUIREMENTS,
         cwd=tmp_path, base_url=llama_server)  # fmt: skip
    companies = tmp_path / "companies.json"
    companies.write_text(json.dumps(COMPANIES), encoding="utf-8")
    _icp("companies", "import", str(companies), cwd=tmp_path, base_url=llama_server)

    started = time.monotonic()
    ran = _icp("cycle", "run", "--evaluator", "llm", "--limit", "3", "--format", "json",
               cwd=tmp_path, base_url=llama_server, check=False)  # fmt: skip
    print(f"trial cycle: {time.monotonic() - started:.0f} s", ran.stdout, ran.stderr)
    report = json.loads(ran.stdout)
    assert report["status"] == "trial"
    assert report["pairs_graded"] + report["pairs_failed"] == 3  # no pair lost

    from sqlmodel import Session, select

    from icp.store import open_engine
    from icp.store.tables import Grade

    engine = open_engine(f"sqlite:///{tmp_path / 'icp.db'}")
    with Session(engine) as session:
        grades = session.exec(select(Grade)).all()
    engine.dispose()
    assert len(grades) == 3 and sum(g.status == "failed" for g in grades) == report["pairs_failed"]
    for grade in grades:
        assert grade.model == MODEL_NAME and grade.attempts >= 1
        if grade.status == "failed":  # readable, and never a score
            assert grade.error and "Traceback" not in grade.error and len(grade.error) < 2000
            assert grade.base_score is None and grade.fit_status is None and not grade.results
        else:
            assert len(grade.results) == 2 and grade.base_score is not None
            assert {r["verdict"] for r in grade.results} <= {"met", "not_met", "unknown"}
