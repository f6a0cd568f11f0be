"""Scheduled runs in the database: each firing claimed by exactly one worker, and what it did.

A firing is claimed by inserting its row; the slot is unique, so of any number of workers on one database
(SQLite or PostgreSQL) exactly one insert succeeds (``INSERT ... ON CONFLICT DO NOTHING``). The winner then
takes the cycle lease (:mod:`icp.lease`) and marks the run ``running``: a run in that state always has its
worker holding the lease, so a worker that holds the lease and finds another run ``running`` knows that
run's worker is gone (killed mid-cycle) and may resume it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from icp.redact import redact
from icp.store.tables import ScheduledRun

__all__ = [
    "RESUMABLE",
    "claim_slot",
    "finish_run",
    "mark_abandoned",
    "recent_runs",
    "resume_slot",
    "run_at_slot",
    "start_run",
    "worker_identity",
]

_TABLE: Any = ScheduledRun.__table__  # type: ignore[attr-defined]

RESUMABLE = ("running", "interrupted")
"""A run in one of these states stopped before its end; the next worker holding the lease may resume it."""


def worker_identity() -> str:
    """This process, as runs record it: 'host:pid'."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _insert_if_absent(engine: Engine, values: dict[str, Any]) -> Any:
    if engine.dialect.name == "postgresql":
        return pg_insert(_TABLE).values(**values).on_conflict_do_nothing(index_elements=["slot"])
    if engine.dialect.name == "sqlite":
        return sqlite_insert(_TABLE).values(**values).on_conflict_do_nothing(index_elements=["slot"])
    return insert(_TABLE).values(**values)


def claim_slot(engine: Engine, slot: datetime, schedule: str, worker: str, now: datetime) -> int | None:
    """Claim the firing at ``slot``: its run's id when this worker won it, None when another worker has it."""
    values = {
        "slot": slot,
        "schedule": schedule,
        "status": "claimed",
        "worker": worker,
        "attempts": 1,
        "pairs_graded": 0,
        "pairs_reused": 0,
        "pairs_failed": 0,
        "tasks_created": 0,
        "cost_usd": 0.0,
        "follow_ups": [],
        "error": "",
        "claimed_at": now,
    }
    with engine.begin() as connection:
        # RETURNING, not rowcount: the psycopg driver reports -1 for an INSERT ... ON CONFLICT.
        row = connection.execute(_insert_if_absent(engine, values).returning(_TABLE.c.id)).first()
    return int(row[0]) if row is not None else None


def run_at_slot(engine: Engine, slot: datetime) -> ScheduledRun | None:
    """The run claimed for ``slot``, if any."""
    with Session(engine) as session:
        return session.exec(sm_select(ScheduledRun).where(col(ScheduledRun.slot) == slot)).first()


def start_run(engine: Engine, run_id: int, worker: str, now: datetime) -> bool:
    """Mark this worker's claimed run ``running`` (it holds the lease now); False when a later firing
    superseded it meanwhile."""
    with engine.begin() as connection:
        started = connection.execute(
            update(_TABLE)
            .where(_TABLE.c.id == run_id, _TABLE.c.status == "claimed", _TABLE.c.worker == worker)
            .values(status="running", started_at=now)
        ).rowcount
    return started == 1


def resume_slot(engine: Engine, slot: datetime, worker: str, now: datetime) -> int | None:
    """Take over the run at ``slot`` that stopped before its end; the caller must hold the cycle lease.

    One conditional write: of several workers that try, one resumes it. Returns its id, or None when it is
    not resumable (finished, or another worker resumed it first).
    """
    with engine.begin() as connection:
        row = connection.execute(
            update(_TABLE)
            .where(_TABLE.c.slot == slot, _TABLE.c.status.in_(RESUMABLE))
            .values(
                status="running",
                worker=worker,
                attempts=_TABLE.c.attempts + 1,
                started_at=now,
                finished_at=None,
                error="",
            )
            .returning(_TABLE.c.id)
        ).first()
    return int(row[0]) if row is not None else None


def mark_abandoned(engine: Engine, run_id: int, slot: datetime, now: datetime) -> list[datetime]:
    """With the lease held by run ``run_id``: close the runs it makes moot; the slots of those closed.

    A run still ``running`` lost its worker (a running run's worker holds the lease, and this one does);
    an earlier run still ``claimed`` waits for the lease to run a cycle this one is about to run.
    """
    closed: list[datetime] = []
    with engine.begin() as connection:
        for status, note in (
            ("running", "its worker stopped during the cycle (killed or lost); the run at {slot} resumed it"),
            ("claimed", "superseded: the run at {slot} ran the cycle it waited for"),
        ):
            condition = (_TABLE.c.id != run_id) & (_TABLE.c.status == status)
            if status == "claimed":
                condition = condition & (_TABLE.c.slot < slot)
            rows = connection.execute(select(_TABLE.c.slot).where(condition)).all()
            if not rows:
                continue
            new_status = "interrupted" if status == "running" else "superseded"
            connection.execute(
                update(_TABLE)
                .where(condition)
                .values(status=new_status, error=note.format(slot=slot.strftime("%Y-%m-%d %H:%M UTC")), finished_at=now)
            )
            closed.extend(r[0] for r in rows)
    return closed


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    now: datetime,
    cycle_id: int | None = None,
    counts: dict[str, Any] | None = None,
    follow_ups: Sequence[dict[str, Any]] = (),
    error: str = "",
) -> None:
    """Record how the run ended (the error without secrets)."""
    values: dict[str, Any] = {
        "status": status,
        "finished_at": now,
        "error": redact(error)[:2000],
        "follow_ups": list(follow_ups),
        **(counts or {}),
    }
    if cycle_id is not None:
        values["cycle_id"] = cycle_id
    with engine.begin() as connection:
        connection.execute(update(_TABLE).where(_TABLE.c.id == run_id).values(**values))


def recent_runs(session: Session, limit: int = 20) -> list[ScheduledRun]:
    """The latest scheduled runs, newest slot first."""
    return list(session.exec(sm_select(ScheduledRun).order_by(col(ScheduledRun.slot).desc()).limit(limit)))
