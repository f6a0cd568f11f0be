"""The cycle schedule: a 5-field cron expression read in a time zone, and the slots it names.

Pure: no database, no clock of its own. Parsing and iteration are cronsim's (ranges, steps, lists, month and
day names, the day-of-month / day-of-week OR rule, daylight-saving gaps and repeats), wrapped so that a
mistake names the field and shows the expected shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from icp.errors import ConfigError

__all__ = ["CycleSchedule", "parse_schedule"]

FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_ALLOWED = {
    "minute": "0-59",
    "hour": "0-23",
    "day-of-month": "1-31",
    "month": "1-12 or JAN-DEC",
    "day-of-week": "0-7 or SUN-SAT (0 and 7 are Sunday)",
}
_SHAPE = (
    'Use 5 fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * 1-5" (06:00 on weekdays) or '
    '"30 7 1 * *" (07:30 on the 1st of each month). Each field takes *, a number, a range (1-5), a list (1,15), '
    "a step (*/15)."
)
_REFERENCE = datetime(2026, 1, 1, tzinfo=UTC)  # only to validate: cronsim checks the expression when built


@dataclass(frozen=True)
class CycleSchedule:
    """When scheduled cycles run: ``expression`` read in ``timezone``."""

    expression: str
    timezone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's time zone."""
        return ZoneInfo(self.timezone)

    def next_after(self, moment: datetime) -> datetime:
        """The first slot strictly after ``moment`` (aware), in UTC."""
        local = moment.astimezone(self.zone).replace(second=0, microsecond=0)
        return next(iter(CronSim(self.expression, local))).astimezone(UTC)

    def latest_at_or_before(self, moment: datetime) -> datetime:
        """The last slot at or before ``moment`` (aware), in UTC: the one a worker starting now may have missed."""
        local = moment.astimezone(self.zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
        return next(iter(CronSim(self.expression, local, reverse=True))).astimezone(UTC)

    def upcoming(self, moment: datetime, count: int) -> list[datetime]:
        """The next ``count`` slots after ``moment``, in UTC."""
        slots: list[datetime] = []
        for _ in range(count):
            moment = self.next_after(moment)
            slots.append(moment)
        return slots

    def describe(self) -> str:
        """The schedule in words: 'At 06:00 on Monday through Friday (Europe/Berlin)'."""
        try:
            words = CronSim(self.expression, _REFERENCE).explain()
        except (CronSimError, ValueError, KeyError, AttributeError):  # one it cannot put in words still runs
            words = f"cron {self.expression!r}"
        return f"{words} ({self.timezone})"

    def label(self) -> str:
        """What a scheduled run records as its schedule: '0 6 * * 1-5 Europe/Berlin'."""
        return f"{self.expression} {self.timezone}"


def parse_schedule(expression: str, timezone: str = "UTC") -> CycleSchedule:
    """A validated schedule, or a :class:`ConfigError` that names the field at fault and what it accepts."""
    text = " ".join(expression.split())
    fields = text.split(" ") if text else []
    if len(fields) != len(FIELDS):
        raise ConfigError(
            f"ICP_CYCLE_SCHEDULE {expression!r} has {len(fields)} fields; a cron schedule has 5. {_SHAPE}"
        )
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"ICP_CYCLE_TIMEZONE {timezone!r} is not a time zone. Use an IANA name such as UTC, Europe/Berlin "
            "or America/New_York."
        ) from exc
    try:
        CronSim(text, _REFERENCE.astimezone(zone))
    except CronSimError as exc:
        raise ConfigError(_field_error(expression, fields, str(exc))) from exc
    return CycleSchedule(text, timezone)


def _field_error(expression: str, fields: list[str], reason: str) -> str:
    """'the hour field ("25") is not valid: hours are 0-23' from cronsim's 'Bad hour'."""
    for number, name in enumerate(FIELDS):
        if name in reason.lower() or name.replace("-", " ") in reason.lower():
            return (
                f"ICP_CYCLE_SCHEDULE {expression!r}: the {name} field ({fields[number]!r}) is not valid; "
                f"it takes {_ALLOWED[name]}. {_SHAPE}"
            )
    return f"ICP_CYCLE_SCHEDULE {expression!r} is not a valid cron expression ({reason}). {_SHAPE}"
