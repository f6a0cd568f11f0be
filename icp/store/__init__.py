"""Persistence adapter: SQLModel tables, engine, migrations."""

from icp.store.db import create_db_engine, migrate, open_engine, rows_by_id, segment_names

__all__ = ["create_db_engine", "migrate", "open_engine", "rows_by_id", "segment_names"]
