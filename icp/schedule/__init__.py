"""Cycles on a schedule: `icp worker` runs a cycle at every slot of ``ICP_CYCLE_SCHEDULE``, then its follow-ups.

Any number of workers may run against one database: each firing is claimed by exactly one of them (a row per
slot, unique), runs under the cycle lease, and is recorded with its outcome; a firing whose worker died
mid-cycle is resumed by the next one. See :mod:`icp.schedule._worker` for the steps.
"""

from icp.schedule._cron import CycleSchedule, parse_schedule
from icp.schedule._follow_ups import (
    FollowUp,
    FollowUpContext,
    FollowUpResult,
    FollowUpSkipped,
    register_follow_up,
    run_follow_ups,
)
from icp.schedule._runs import recent_runs, worker_identity
from icp.schedule._status import START_HINT, ScheduledRunView, ScheduleStatus, configured_schedule, schedule_status
from icp.schedule._worker import Clock, FiringOutcome, SystemClock, Worker

__all__ = [
    "START_HINT",
    "Clock",
    "CycleSchedule",
    "FiringOutcome",
    "FollowUp",
    "FollowUpContext",
    "FollowUpResult",
    "FollowUpSkipped",
    "ScheduleStatus",
    "ScheduledRunView",
    "SystemClock",
    "Worker",
    "configured_schedule",
    "parse_schedule",
    "recent_runs",
    "register_follow_up",
    "run_follow_ups",
    "schedule_status",
    "worker_identity",
]
