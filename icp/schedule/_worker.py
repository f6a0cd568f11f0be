"""The worker: sleeps until the schedule's next slot, then runs that firing's cycle and follow-ups.

Each firing, whatever the number of workers on the database:

1. **Claim** the slot (:func:`~icp.schedule._runs.claim_slot`): exactly one worker wins it. A slot already
   claimed is left alone, unless its run stopped before its end (its worker was killed or stopped): then a
   worker that can take the cycle lease resumes it.
2. Take the **cycle lease** (waiting while another cycle runs, e.g. one started with `icp cycle run`), mark
   the run ``running`` and close the runs it makes moot (a run whose worker died mid-cycle is recorded as
   interrupted; the cycle itself resumes incrementally: grades stored before the kill are reused).
3. Run the **cycle** with the configured evaluator, as `icp cycle run` does, then the **follow-ups**, and
   record the outcome; release the lease.

On start, the latest slot that passed while no worker was up runs once, if it is recent enough
(``ICP_CYCLE_CATCH_UP_HOURS``). Time comes from a :class:`Clock`, so tests drive the schedule without waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from icp.cycle import CycleReport, default_concurrency, run_cycle, usage_estimator
from icp.errors import ICPError
from icp.evaluators.base import Evaluator
from icp.lease import Lease, LeaseInfo, try_acquire
from icp.schedule._cron import CycleSchedule
from icp.schedule._follow_ups import FollowUpResult, run_follow_ups
from icp.schedule._runs import (
    RESUMABLE,
    claim_slot,
    finish_run,
    mark_abandoned,
    resume_slot,
    run_at_slot,
    start_run,
    worker_identity,
)
from icp.settings import Settings
from icp.team.roles import Actor, Role

__all__ = ["Clock", "FiringOutcome", "SystemClock", "Worker"]

logger = logging.getLogger("icp.schedule")

_LONGEST_NAP_S = 300.0
"""Sleep in naps of at most this long, re-reading the clock between them (a suspended laptop, a clock step)."""
_LEASE_POLL_S = 5.0


class Clock(Protocol):
    """Where the worker reads the time and sleeps; tests pass one that moves time forward by hand."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    def sleep(self, seconds: float) -> None:
        """Sleep up to ``seconds``; may return early after :meth:`wake`."""
        ...

    def wake(self) -> None:
        """End the current (and any later) sleep at once: the worker is stopping."""
        ...


class SystemClock:
    """The real clock. A sleep ends early when :meth:`wake` is called (from a signal handler, say)."""

    def __init__(self) -> None:
        self._woken = threading.Event()

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or until woken."""
        self._woken.wait(max(0.0, seconds))

    def wake(self) -> None:
        """End sleeps from now on."""
        self._woken.set()


class FiringOutcome:
    """What one firing did: ran (with its cycle's report), resumed, or was left to another worker."""

    def __init__(self, slot: datetime, action: str, *, run_id: int | None = None, detail: str = "") -> None:
        self.slot = slot
        self.action = action  # ran, resumed, skipped, stopped
        self.run_id = run_id
        self.detail = detail
        self.report: CycleReport | None = None
        self.follow_ups: list[FollowUpResult] = []

    def __repr__(self) -> str:
        return f"FiringOutcome({self.slot.isoformat()}, {self.action!r}, {self.detail!r})"


class Worker:
    """Runs scheduled cycles on one database. Safe to run any number of them against the same database."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        schedule: CycleSchedule,
        evaluator: Callable[[], Evaluator],
        *,
        clock: Clock | None = None,
        follow_ups: Sequence[str] | None = None,
        budget_usd: float | None = None,
        identity: str | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.schedule = schedule
        self.make_evaluator = evaluator
        self.clock: Clock = clock or SystemClock()
        self.follow_ups = list(settings.cycle_follow_ups if follow_ups is None else follow_ups)
        self.budget_usd = settings.cycle_budget_usd if budget_usd is None else budget_usd
        self.identity = identity or worker_identity()
        self.stopping = False
        self.in_cycle = False
        """True while a cycle runs: a stop request then interrupts the cycle (see ``icp worker``)."""

    # -- the loop ----------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the worker to stop: it ends its sleep at once, or finishes the firing it is in."""
        self.stopping = True
        self.clock.wake()

    def due_slot(self) -> datetime | None:
        """The latest slot at or before now if it is within the catch-up window, else None."""
        now = self.clock.now()
        slot = self.schedule.latest_at_or_before(now)
        window = timedelta(hours=self.settings.cycle_catch_up_hours)
        if now - slot > window:
            return None
        return slot

    def run_once(self) -> FiringOutcome | None:
        """Run the due firing, if there is one (see :meth:`due_slot`); None when nothing is due."""
        slot = self.due_slot()
        return self.fire(slot) if slot is not None else None

    def run_forever(self) -> list[FiringOutcome]:
        """Catch up on a missed slot, then fire at every slot until :meth:`stop`; the firings' outcomes."""
        logger.info(
            "worker %s started: %s; next run %s",
            self.identity,
            self.schedule.describe(),
            _when(self.schedule.next_after(self.clock.now())),
        )
        outcomes: list[FiringOutcome] = []
        caught_up = self.run_once()
        if caught_up is not None:
            outcomes.append(caught_up)
        while not self.stopping:
            slot = self.schedule.next_after(self.clock.now())
            self._sleep_until(slot)
            if self.stopping:
                break
            outcomes.append(self.fire(slot))
        logger.info("worker %s stopped", self.identity)
        return outcomes

    def _sleep_until(self, moment: datetime) -> None:
        while not self.stopping:
            remaining = (moment - self.clock.now()).total_seconds()
            if remaining <= 0:
                return
            self.clock.sleep(min(remaining, _LONGEST_NAP_S))

    # -- one firing --------------------------------------------------------------------------------

    def fire(self, slot: datetime) -> FiringOutcome:
        """Run the firing at ``slot`` if this worker wins it (or resumes it); see the module docstring."""
        try:
            return self._fire(slot)
        except SQLAlchemyError as exc:  # the database is unreachable: this firing is lost, the worker goes on
            logger.error("scheduled run for %s could not reach the database: %s", _when(slot), exc)
            return FiringOutcome(slot, "skipped", detail=f"database error: {exc}")

    def _fire(self, slot: datetime) -> FiringOutcome:
        run_id = claim_slot(self.engine, slot, self.schedule.label(), self.identity, self.clock.now())
        if run_id is None:
            return self._maybe_resume(slot)
        lease = self._take_lease(slot)
        if lease is None:
            finish_run(self.engine, run_id, status="interrupted", now=self.clock.now(), error="worker stopped")
            return FiringOutcome(slot, "stopped", run_id=run_id, detail="stopped while waiting for the cycle lease")
        try:
            if not start_run(self.engine, run_id, self.identity, self.clock.now()):
                logger.info("scheduled run for %s: a later run already ran its cycle; skipped", _when(slot))
                return FiringOutcome(slot, "skipped", run_id=run_id, detail="superseded by a later run")
            return self._run(slot, run_id, lease, "ran")
        finally:
            lease.release()

    def _maybe_resume(self, slot: datetime) -> FiringOutcome:
        existing = run_at_slot(self.engine, slot)
        if existing is None or existing.status not in RESUMABLE:
            status = existing.status if existing is not None else "gone"
            by = existing.worker if existing is not None else "?"
            logger.info("scheduled run for %s is %s by %s; nothing to do", _when(slot), status, by)
            return FiringOutcome(slot, "skipped", detail=f"{status} by {by}")
        got = try_acquire(self.engine)
        if isinstance(got, LeaseInfo):  # its worker (or another cycle) is running: leave it
            logger.info("scheduled run for %s is running on %s; nothing to do", _when(slot), existing.worker)
            return FiringOutcome(slot, "skipped", detail=f"a cycle is running: {got.describe()}")
        lease = got
        lease.start_heartbeat()
        try:
            run_id = resume_slot(self.engine, slot, self.identity, self.clock.now())
            if run_id is None:
                logger.info("scheduled run for %s was resumed by another worker; nothing to do", _when(slot))
                return FiringOutcome(slot, "skipped", detail="another worker resumed it")
            logger.info("resuming the scheduled run for %s (its worker stopped before the end)", _when(slot))
            return self._run(slot, run_id, lease, "resumed")
        finally:
            lease.release()

    def _take_lease(self, slot: datetime) -> Lease | None:
        """The cycle lease, waiting while another cycle holds it; None when the worker is asked to stop."""
        told = ""
        while not self.stopping:
            got = try_acquire(self.engine)
            if isinstance(got, Lease):
                got.start_heartbeat()
                return got
            if got.holder != told:
                told = got.holder
                logger.info("scheduled run for %s waits for %s", _when(slot), got.describe())
            self.clock.sleep(_LEASE_POLL_S)
        return None

    def _run(self, slot: datetime, run_id: int, lease: Lease, action: str) -> FiringOutcome:
        outcome = FiringOutcome(slot, action, run_id=run_id)
        for closed in mark_abandoned(self.engine, run_id, slot, self.clock.now()):
            logger.warning("the scheduled run for %s had stopped mid-cycle; this run resumes its cycle", _when(closed))
        started = time.monotonic()
        logger.info("scheduled run for %s starting on %s", _when(slot), self.identity)
        try:
            evaluator = self.make_evaluator()
            self.in_cycle = True
            try:
                report = run_cycle(
                    self.engine,
                    evaluator,
                    concurrency=default_concurrency(evaluator, self.settings.concurrency),
                    budget_usd=self.budget_usd,
                    estimator=usage_estimator(evaluator),
                    policy=self.settings.scoring_policy(),
                    lease=lease,
                    actor=Actor(name=f"worker {self.identity}", role=Role.LEADER),
                )
            finally:
                self.in_cycle = False
        except KeyboardInterrupt:  # SIGTERM or Ctrl-C mid-cycle: the cycle stopped as Ctrl-C stops it
            self.stopping = True
            note = "stopped during the cycle (the worker was asked to stop); the next run resumes it"
            finish_run(self.engine, run_id, status="interrupted", now=self.clock.now(), error=note)
            logger.warning("scheduled run for %s interrupted after %.1f s", _when(slot), time.monotonic() - started)
            outcome.action, outcome.detail = "stopped", note
            return outcome
        except ICPError as exc:
            finish_run(self.engine, run_id, status="failed", now=self.clock.now(), error=str(exc))
            logger.error("scheduled run for %s failed after %.1f s: %s", _when(slot), time.monotonic() - started, exc)
            outcome.detail = str(exc)
            return outcome
        outcome.report = report
        if report.status in ("completed", "partial"):
            outcome.follow_ups = run_follow_ups(self.follow_ups, self.engine, self.settings, report)
        finish_run(
            self.engine,
            run_id,
            status=report.status,
            now=self.clock.now(),
            cycle_id=report.cycle_id,
            counts={
                "pairs_graded": report.pairs_graded,
                "pairs_reused": report.pairs_reused,
                "pairs_failed": report.pairs_failed,
                "tasks_created": report.tasks_created,
                "cost_usd": report.cost_usd,
            },
            follow_ups=[f.model_dump() for f in outcome.follow_ups],
            error=report.note if report.status == "failed" else "",
        )
        follow_ups = ", ".join(f"{f.name} {f.status}" for f in outcome.follow_ups) or "none"
        logger.info(
            "scheduled run for %s %s in %.1f s: cycle %s, %s pairs — %s graded, %s reused, %s failed, %s deferred; "
            "%s tasks; $%.4f; follow-ups: %s",
            _when(slot),
            report.status,
            time.monotonic() - started,
            report.cycle_id,
            report.pairs_total,
            report.pairs_graded,
            report.pairs_reused,
            report.pairs_failed,
            report.pairs_deferred,
            report.tasks_created,
            report.cost_usd,
            follow_ups,
        )
        outcome.detail = f"cycle {report.cycle_id} {report.status}"
        return outcome


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
