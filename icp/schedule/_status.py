"""What the Cycles page and `icp worker status` show: the schedule in words, the next runs, the last runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session

from icp.lease import current_lease
from icp.schedule._cron import CycleSchedule, parse_schedule
from icp.schedule._runs import recent_runs
from icp.settings import Settings

__all__ = ["ScheduleStatus", "ScheduledRunView", "configured_schedule", "schedule_status"]

START_HINT = (
    'Set ICP_CYCLE_SCHEDULE to a cron expression (e.g. "0 6 * * 1-5" for 06:00 on weekdays) and start the worker '
    "with `icp worker` (README: Running as services)."
)


class ScheduledRunView(BaseModel):
    """One scheduled run as listings show it."""

    slot: datetime
    status: str
    worker: str
    attempts: int
    cycle_id: int | None
    pairs_graded: int
    pairs_reused: int
    pairs_failed: int
    tasks_created: int
    cost_usd: float
    follow_ups: list[dict[str, Any]] = Field(default_factory=list)
    error: str = ""
    started_at: datetime | None
    finished_at: datetime | None


class ScheduleStatus(BaseModel):
    """The schedule (None when ICP_CYCLE_SCHEDULE is unset) and what the workers did."""

    expression: str | None = None
    timezone: str = "UTC"
    description: str = ""
    next_runs: list[datetime] = Field(default_factory=list)
    follow_ups: list[str] = Field(default_factory=list)
    running: str | None = Field(default=None, description="The cycle running now, if any (from the cycle lease).")
    runs: list[ScheduledRunView] = Field(default_factory=list)


def configured_schedule(settings: Settings) -> CycleSchedule | None:
    """The settings' schedule, validated; None when none is set. Raises ConfigError for an invalid one."""
    if not settings.cycle_schedule or not settings.cycle_schedule.strip():
        return None
    return parse_schedule(settings.cycle_schedule, settings.cycle_timezone)


def schedule_status(engine: Engine, settings: Settings, now: datetime, *, limit: int = 10) -> ScheduleStatus:
    """The schedule, its next ``3`` runs after ``now`` and the last ``limit`` runs."""
    schedule = configured_schedule(settings)
    with Session(engine) as session:
        runs = [ScheduledRunView.model_validate(r.model_dump()) for r in recent_runs(session, limit)]
    lease = current_lease(engine)
    running = lease.describe() if lease is not None and lease.expires_at >= now else None
    if schedule is None:
        return ScheduleStatus(runs=runs, running=running)
    return ScheduleStatus(
        expression=schedule.expression,
        timezone=schedule.timezone,
        description=schedule.describe(),
        next_runs=schedule.upcoming(now, 3),
        follow_ups=list(settings.cycle_follow_ups),
        running=running,
        runs=runs,
    )
