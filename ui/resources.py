"""Shared, thread-safe resources cached for the whole server: the database engine and the evaluator.

Both are keyed by what they are built from, so a different database URL or evaluator setting gets its
own resource. The evaluator owns the OpenAI client (when one is configured), so caching it caches the
client and its rate limiter too.
"""

from __future__ import annotations

import hashlib

import streamlit as st
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session

from icp.evaluators.base import Evaluator
from icp.evaluators.factory import make_evaluator
from icp.settings import Settings
from icp.store import open_engine
from ui import state


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return open_engine(url)


def engine() -> Engine:
    """The migrated engine for the session's database URL (the same database the CLI uses)."""
    return _engine(state.settings().database_url)


def display_url(url: str) -> str:
    """The database URL with any password masked, for showing on screen."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def session() -> Session:
    """A new ORM session; use it as a context manager and pass it to library calls."""
    return Session(engine(), expire_on_commit=False)


def _fingerprint(settings: Settings) -> str:
    """Everything the evaluator is built from, the API key included (hashed, never shown)."""
    data = settings.model_dump_json(exclude={"openai_api_key"})
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    return hashlib.sha256(f"{data}\0{key}".encode()).hexdigest()


@st.cache_resource(show_spinner=False)
def _evaluator(name: str, fingerprint: str, _settings: Settings) -> Evaluator:
    return make_evaluator(name, _settings)


def evaluator(name: str | None = None) -> Evaluator:
    """The named evaluator (default: the settings' choice), with its OpenAI client when it needs one.

    Raises:
        ConfigError: the LLM evaluators were asked for without an API key.
    """
    settings = state.settings()
    chosen = name or settings.resolved_evaluator()
    return _evaluator(chosen, _fingerprint(settings), settings)
