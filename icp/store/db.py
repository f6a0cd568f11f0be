"""Engine and sessions. SQLite (WAL, foreign keys on) by default; PostgreSQL through a URL.

The schema is managed by Alembic migrations shipped in the package and applied automatically the
first time a database is opened, so ``icp`` works on a fresh file with no setup step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

from icp.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """Create an engine for ``url`` without touching the schema. ``sqlite://`` means in-memory, shared."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"Database URL {url!r} is not valid. Use a file path with --db, or a URL such as "
            "sqlite:///icp.db or postgresql+psycopg://user:pass@host/db."
        ) from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


SCHEMA_REVISION = "0013"
"""The newest migration. Opening a database at this revision skips loading Alembic (a test keeps it in step)."""


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def schema_revision(engine: Engine) -> str | None:
    """The database's migration revision; None for a database no migration has touched."""
    with engine.connect() as connection:
        if not sa_inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migration_head(engine: Engine) -> str | None:
    """The newest revision among the migration scripts, as Alembic reads them."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (no-op when it is already there)."""
    current = schema_revision(engine)
    if current == SCHEMA_REVISION:
        return
    from alembic import command  # only when there is something to migrate: Alembic takes ~0.1 s to load

    config = _alembic_config(engine)
    logger.info("migrating database from %s to %s", current, migration_head(engine))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_engine(url: str) -> Engine:
    """Create an engine and apply pending migrations: the one call every entry point makes."""
    engine = create_db_engine(url)
    migrate(engine)
    return engine


M = TypeVar("M", bound=SQLModel)


def rows_by_id(session: Session, model: type[M], ids: Iterable[int | None]) -> dict[int, M]:
    """Rows of one table by primary key, keyed by id: one query per 5,000 ids instead of one per row."""
    wanted = sorted({i for i in ids if i is not None})
    (key,) = sa_inspect(model).primary_key
    found: dict[int, M] = {}
    for start in range(0, len(wanted), 5000):
        for row in session.exec(select(model).where(key.in_(wanted[start : start + 5000]))):
            found[getattr(row, key.key)] = row
    return found


def segment_names(session: Session) -> dict[int, str]:
    """Every segment's name by id, deleted ones included (history still names them)."""
    from icp.store.tables import Segment

    return {s.id: s.name for s in session.exec(select(Segment)) if s.id is not None}
