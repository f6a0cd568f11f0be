"""Shared fixtures. No test may reach the network or need an API key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


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


@pytest.fixture
def engine():  # type: ignore[no-untyped-def]
    """A migrated in-memory database (the same migrations a real file gets)."""
    from icp.store import open_engine

    engine = open_engine("sqlite://")
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):  # type: ignore[no-untyped-def]
    """A session on the in-memory database."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session
