"""Shared fixtures. No test may reach the network or need an API key."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests against a real llama.cpp server run last: CI builds that server while the rest of the suite runs."""
    items.sort(key=lambda item: item.get_closest_marker("llama_server") is not None)


# A PostgreSQL database this user may create databases from (CI starts one; see .ci/run). When set,
# every test that uses the `engine` fixture also runs on PostgreSQL, each in a fresh database.
POSTGRES_URL = os.environ.get("ICP_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(autouse=True)
def _no_network_and_clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Point any unconfigured OpenAI client at a closed local port and run each test in its own directory.

    A test that forgets to configure the fake server fails fast instead of reaching a real provider,
    and nothing a test writes (icp.db, reports) lands in the repository.
    """
    import os

    for key in list(os.environ):
        if key.startswith(("ICP_", "OPENAI_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ICP_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test's database is copied from (fast, and no shared state)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from icp.store import open_engine

    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    template = f"icp_template_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{template}"'))
        connection.execute(text(f'CREATE DATABASE "{template}"'))
    migrated = open_engine(make_url(POSTGRES_URL).set(database=template).render_as_string(hide_password=False))
    migrated.dispose()
    yield template
    _drop_database(admin, template)
    admin.dispose()


_database_numbers = itertools.count()


def _drop_database(admin: Engine, name: str) -> None:
    """Drop a test database once its last connection has closed.

    A plain DROP also stops an autovacuum worker busy in it; WITH (FORCE) would instead need rights to
    terminate that (superuser) process. A test's own connections are closed before this runs, but
    closing is asynchronous on the server, so a few retries cover the gap.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    for attempt in range(20):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            return
        except OperationalError:
            if attempt == 19:
                raise
            time.sleep(0.25)


@contextmanager
def postgres_database(template: str) -> Iterator[str]:
    """A fresh PostgreSQL database copied from ``template``; its URL, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"icp_test_{os.getpid()}_{next(_database_numbers)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        _drop_database(admin, name)
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A migrated database: in-memory SQLite, and also PostgreSQL when ICP_TEST_POSTGRES_URL is set."""
    from icp.store import open_engine

    if request.param == "sqlite":
        engine = open_engine("sqlite://")
        yield engine
        engine.dispose()
        return
    with postgres_database(request.getfixturevalue("_postgres_template")) as url:
        engine = open_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def session(engine):  # type: ignore[no-untyped-def]
    """A session on the in-memory database."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session
