"""Opening a database: migrations applied once, in order, and skipped when the schema is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from icp.store.db import (
    SCHEMA_REVISION,
    _alembic_config,
    create_db_engine,
    migration_head,
    open_engine,
    schema_revision,
)


def test_the_schema_revision_constant_is_the_newest_migration() -> None:
    engine = create_db_engine("sqlite://")
    assert migration_head(engine) == SCHEMA_REVISION  # add a migration, then update SCHEMA_REVISION


def test_a_new_database_is_migrated_to_the_newest_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert schema_revision(create_db_engine(url)) is None
    engine = open_engine(url)
    assert schema_revision(engine) == SCHEMA_REVISION
    assert {"segment", "company", "grade", "eval_run"} <= set(inspect(engine).get_table_names())


def test_a_database_at_an_older_revision_is_upgraded_on_open(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_db_engine(url)
    config = _alembic_config(old)
    with old.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    assert schema_revision(old) == "0001" and "eval_run" not in inspect(old).get_table_names()
    old.dispose()

    engine = open_engine(url)
    assert schema_revision(engine) == SCHEMA_REVISION
    assert "eval_run" in inspect(engine).get_table_names()
    engine.dispose()
    assert schema_revision(open_engine(url)) == SCHEMA_REVISION  # opening a current database changes nothing


def test_the_migrations_build_exactly_the_schema_the_tables_declare() -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import icp.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)

    engine = open_engine("sqlite://")
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == [], "a table changed without a migration (or the reverse): " + repr(diff)[:2000]
