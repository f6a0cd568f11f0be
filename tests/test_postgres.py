"""PostgreSQL, the database for teams: the same commands give the same ranked queue as the SQLite file.

Every test that uses the ``engine`` fixture also runs on PostgreSQL when ``ICP_TEST_POSTGRES_URL`` names
a database whose user may create databases (``.ci/run`` starts a server and sets it). The tests here
drive the real ``icp`` command against both backends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, postgres_database

ICP = str(Path(sys.executable).parent / "icp")
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="set ICP_TEST_POSTGRES_URL to run on PostgreSQL")


def icp(db: str, *args: str) -> str:
    result = subprocess.run(
        [ICP, "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": str(Path(sys.executable).parent), "HOME": os.getcwd(), "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def ranked(db: str) -> list[tuple[str, str, str, float]]:
    rows = json.loads(icp(db, "queue", "--format", "json", "--limit", "1000"))
    return [(r["domain"], r["segment"], r["tier"], r["fit_score"]) for r in rows]


def test_ci_runs_the_postgresql_tests() -> None:
    if os.environ.get("CI") != "true":
        pytest.skip("outside CI, PostgreSQL is optional")
    assert POSTGRES_URL, ".ci/run starts PostgreSQL and sets ICP_TEST_POSTGRES_URL; it did not"


@needs_postgres
def test_demo_gives_the_same_ranked_queue_on_postgresql_and_sqlite(_postgres_template: str, tmp_path: Path) -> None:
    with postgres_database(_postgres_template) as url:
        icp(url, "demo")
        on_postgres = ranked(url)
        icp(url, "cycle", "run")  # unchanged data: nothing to grade, same queue
        assert ranked(url) == on_postgres
        history = json.loads(icp(url, "cycle", "history", "--format", "json"))
    sqlite = str(tmp_path / "icp.db")
    icp(sqlite, "demo")
    assert on_postgres == ranked(sqlite) and len(on_postgres) > 20
    assert [c["pairs_graded"] for c in history][:2] == [0, 724]


@needs_postgres
def test_eval_runs_are_stored_on_postgresql(_postgres_template: str) -> None:
    with postgres_database(_postgres_template) as url:
        icp(url, "evals", "run", "--suite", "golden", "--evaluator", "offline")
        runs = json.loads(icp(url, "evals", "runs", "--format", "json"))
    assert len(runs) == 1 and runs[0]["evaluator"] == "offline"
