"""The cycle lease: one running cycle per database, on SQLite and PostgreSQL alike.

A single row of ``cycle_lease`` says who runs the cycle (a random holder id, host, pid, the cycle's id)
and until when (``expires_at``). It is taken by one conditional write, so when two processes race
exactly one wins:

- ``INSERT ... ON CONFLICT DO NOTHING`` when there is no row (nobody has run a cycle yet, or the last
  one released it);
- ``UPDATE ... WHERE holder = <the holder we saw> AND expires_at < now`` to take over an expired lease
  (its holder stopped renewing: killed, or its machine is gone), or ``WHERE holder = <the holder we
  saw>`` when that holder is a process on this host that no longer exists (killed with -9: no need to
  wait for the expiry).

The holder renews the lease from a heartbeat thread every third of its time to live; a renewal that
finds another holder marks the lease lost, and the cycle stops at its next pair.

A cycle that took over an expired lease may run while the old holder, still alive, finishes requests
it had already sent. So each pair a cycle pays for is **claimed** first (a ``grade_claim`` row keyed by
the pair's input hash, taken by the same kind of conditional write just before its request is sent): a
pair claimed by another holder is left alone. Claims are renewed with the lease, deleted when it is
released or when a takeover finds their holder's process gone, and otherwise expire ``CLAIM_TTL_S``
after their holder's last renewal, long after any request it sent has ended.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from icp.errors import LeaseHeldError
from icp.store.tables import CycleLease, GradeClaim, utcnow

logger = logging.getLogger(__name__)

__all__ = [
    "CLAIM_TTL_S",
    "CYCLE_LEASE",
    "DEFAULT_TTL_S",
    "Lease",
    "LeaseInfo",
    "acquire_lease",
    "current_lease",
    "hold_lease",
]

CYCLE_LEASE = "cycle"
DEFAULT_TTL_S = 60.0
"""How long a lease lives without a renewal. A killed holder on another host blocks cycles this long."""
CLAIM_TTL_S = 600.0
"""How long a pair's claim lives without a renewal: well beyond a request's timeout and its retries, so an
old holder that lost its lease has finished (or abandoned) every request before its pairs can be claimed."""

_TABLE: Any = CycleLease.__table__  # type: ignore[attr-defined]
_CLAIMS: Any = GradeClaim.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class LeaseInfo:
    """Who holds a lease, as the table says."""

    holder: str
    host: str
    pid: int
    cycle_id: int | None
    acquired_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        """'cycle 12, run by pid 345 on host-a since 2026-12-01 15:02:07 UTC'."""
        what = f"cycle {self.cycle_id}" if self.cycle_id is not None else "a cycle (starting)"
        since = self.acquired_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{what}, run by pid {self.pid} on {self.host} since {since}"

    def held_error(self) -> LeaseHeldError:
        """The error a second cycle gets: who holds the lease and since when."""
        return LeaseHeldError(
            f"Another cycle is running on this database: {self.describe()}. Only one cycle runs at a time; "
            f"run again when it has finished, or wait for it (`icp cycle run --wait`). If that process is gone, "
            f"its lease expires at {self.expires_at.strftime('%H:%M:%S UTC')}.",
            running=self.describe(),
            holder=self.holder,
            host=self.host,
            pid=self.pid,
            cycle_id=self.cycle_id,
            acquired_at=self.acquired_at,
            expires_at=self.expires_at,
        )


def _info(row: Any) -> LeaseInfo:
    return LeaseInfo(
        holder=row.holder,
        host=row.host,
        pid=row.pid,
        cycle_id=row.cycle_id,
        acquired_at=row.acquired_at,
        expires_at=row.expires_at,
    )


def current_lease(engine: Engine, name: str = CYCLE_LEASE) -> LeaseInfo | None:
    """The lease's holder, or None when nobody holds it (an expired lease still shows, with its expiry)."""
    with engine.connect() as connection:
        row = connection.execute(select(_TABLE).where(_TABLE.c.name == name)).first()
    return _info(row) if row is not None else None


def _process_gone(info: LeaseInfo) -> bool:
    """True when the holder was a process on this host that no longer exists."""
    if info.host != socket.gethostname() or info.pid <= 0:
        return False
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, as another user
    return False


class Lease:
    """A lease this process holds: renew it (or let the heartbeat do it), and release it when done."""

    def __init__(self, engine: Engine, name: str, holder: str, ttl_s: float) -> None:
        self.engine = engine
        self.name = name
        self.holder = holder
        self.ttl_s = ttl_s
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _mine(self) -> Any:
        return (_TABLE.c.name == self.name) & (_TABLE.c.holder == self.holder)

    def renew(self, now: datetime | None = None) -> bool:
        """Push the expiry ``ttl_s`` ahead; False (and ``lost``) when another process holds the lease now."""
        now = now or utcnow()
        expires = now + timedelta(seconds=self.ttl_s)
        with self.engine.begin() as connection:
            renewed = connection.execute(update(_TABLE).where(self._mine()).values(expires_at=expires)).rowcount == 1
            if renewed:
                claims_expire = now + timedelta(seconds=CLAIM_TTL_S)
                connection.execute(
                    update(_CLAIMS).where(_CLAIMS.c.holder == self.holder).values(expires_at=claims_expire)
                )
        if not renewed:
            self.lost = True
        return renewed

    def attach(self, cycle_id: int) -> None:
        """Record the cycle this holder runs, so a second cycle can name it."""
        with self.engine.begin() as connection:
            connection.execute(update(_TABLE).where(self._mine()).values(cycle_id=cycle_id))

    def release(self) -> None:
        """Stop renewing and give the lease up (a no-op when it was lost).

        When the database cannot be reached, the lease is left to expire rather than hide the error
        that ended the cycle.
        """
        self.stop_heartbeat()
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(_CLAIMS).where(_CLAIMS.c.holder == self.holder))
                connection.execute(delete(_TABLE).where(self._mine()))
        except SQLAlchemyError as exc:
            logger.warning("could not release the %s lease (it expires in %gs): %s", self.name, self.ttl_s, exc)

    def claim(self, input_hash: str, now: datetime | None = None) -> bool:
        """Claim a pair before paying for it: False when another live holder claimed it (do not send it).

        One conditional write: insert the claim, or take over one that expired or is already ours. Safe to
        call from grading threads. An in-memory database has no other process, so every claim succeeds.
        """
        if self.lost:
            return False  # another cycle holds the lease now: send nothing more
        if _in_memory(self.engine):
            return True
        now = now or utcnow()
        values = {"input_hash": input_hash, "holder": self.holder, "expires_at": now + timedelta(seconds=CLAIM_TTL_S)}
        statement: Any = (
            pg_insert(_CLAIMS) if self.engine.dialect.name == "postgresql" else sqlite_insert(_CLAIMS)
        ).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["input_hash"],
            set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
            where=(_CLAIMS.c.expires_at < now) | (_CLAIMS.c.holder == self.holder),
        ).returning(_CLAIMS.c.holder)
        with self.engine.begin() as connection:
            return connection.execute(statement).first() is not None

    def start_heartbeat(self) -> None:
        """Renew from a daemon thread every third of the time to live, until released."""
        if self._thread is not None or _in_memory(self.engine):
            return  # an in-memory database has no other process to hold it off from
        self._thread = threading.Thread(target=self._beat, name=f"icp-lease-{self.name}", daemon=True)
        self._thread.start()

    def stop_heartbeat(self) -> None:
        """Stop the heartbeat thread, if it runs."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                if not self.renew():
                    logger.warning("the %s lease was taken over by another process; this cycle stops", self.name)
                    return
            except SQLAlchemyError as exc:  # the database is briefly unreachable: try again next beat
                logger.warning("could not renew the %s lease: %s", self.name, exc)


def _in_memory(engine: Engine) -> bool:
    return engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:")


def _insert_if_absent(engine: Engine, values: dict[str, Any]) -> Any:
    if engine.dialect.name == "postgresql":
        return pg_insert(_TABLE).values(**values).on_conflict_do_nothing(index_elements=["name"])
    if engine.dialect.name == "sqlite":
        return sqlite_insert(_TABLE).values(**values).on_conflict_do_nothing(index_elements=["name"])
    return insert(_TABLE).values(**values)


def try_acquire(
    engine: Engine, *, name: str = CYCLE_LEASE, ttl_s: float = DEFAULT_TTL_S, now: datetime | None = None
) -> Lease | LeaseInfo:
    """Take the lease if it is free, expired or its holder's process is gone; else who holds it."""
    now = now or utcnow()
    holder = uuid.uuid4().hex
    values = {
        "name": name,
        "holder": holder,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "cycle_id": None,
        "acquired_at": now,
        "expires_at": now + timedelta(seconds=ttl_s),
    }
    with engine.begin() as connection:
        # RETURNING, not rowcount: the psycopg driver reports -1 for an INSERT ... ON CONFLICT.
        if connection.execute(_insert_if_absent(engine, values).returning(_TABLE.c.holder)).first() is not None:
            return Lease(engine, name, holder, ttl_s)
        row = connection.execute(select(_TABLE).where(_TABLE.c.name == name)).first()
    if row is None:  # released between our insert and our read: race again
        return try_acquire(engine, name=name, ttl_s=ttl_s, now=now)
    seen = _info(row)
    condition = (_TABLE.c.name == name) & (_TABLE.c.holder == seen.holder)
    if seen.expires_at < now:
        condition = condition & (_TABLE.c.expires_at < now)
    elif not _process_gone(seen):
        return seen
    with engine.begin() as connection:
        taken = connection.execute(update(_TABLE).where(condition).values(**values)).rowcount == 1
        if taken and _process_gone(seen):  # nothing it claimed is in flight any more
            connection.execute(delete(_CLAIMS).where(_CLAIMS.c.holder == seen.holder))
    if taken:
        logger.info("took over the %s lease of %s (expired or its process is gone)", name, seen.describe())
        return Lease(engine, name, holder, ttl_s)
    current = current_lease(engine, name)
    return current if current is not None else try_acquire(engine, name=name, ttl_s=ttl_s, now=now)


def acquire_lease(
    engine: Engine,
    *,
    name: str = CYCLE_LEASE,
    ttl_s: float = DEFAULT_TTL_S,
    wait: bool = False,
    on_wait: Callable[[LeaseInfo], None] | None = None,
    poll_s: float = 2.0,
) -> Lease:
    """Take the lease, or raise :class:`LeaseHeldError` naming its holder; with ``wait``, queue until it is free.

    ``on_wait`` is told who holds the lease each time this process finds it taken.
    """
    while True:
        got = try_acquire(engine, name=name, ttl_s=ttl_s)
        if isinstance(got, Lease):
            return got
        if not wait:
            raise got.held_error()
        if on_wait is not None:
            on_wait(got)
        time.sleep(poll_s)


@contextmanager
def hold_lease(
    engine: Engine,
    *,
    name: str = CYCLE_LEASE,
    ttl_s: float = DEFAULT_TTL_S,
    wait: bool = False,
    on_wait: Callable[[LeaseInfo], None] | None = None,
) -> Iterator[Lease]:
    """Hold the lease (renewed by a heartbeat) for the ``with`` block; released however the block ends."""
    lease = acquire_lease(engine, name=name, ttl_s=ttl_s, wait=wait, on_wait=on_wait)
    lease.start_heartbeat()
    try:
        yield lease
    finally:
        lease.release()
