"""Shared CLI state: settings built once from ``--db`` and the environment, and one engine per run."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import typer

from icp.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@dataclass
class AppContext:
    """Lazily opens the database so ``--help`` and pure commands never touch it."""

    settings: Settings = field(default_factory=Settings)

    @cached_property
    def engine(self) -> Engine:
        """The migrated engine for ``settings.database_url``."""
        from icp.store import open_engine

        return open_engine(self.settings.database_url)


def app_context(ctx: typer.Context) -> AppContext:
    """The AppContext the root callback stored on the click context."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppContext):  # a sub-app invoked directly in tests
        root.obj = AppContext()
    return root.obj
