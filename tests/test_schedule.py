"""The cycle schedule: cron expressions read in a time zone, the slots they name, and readable mistakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from icp.errors import ConfigError
from icp.schedule import parse_schedule
from icp.settings import Settings


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# 2026-12-01 is a Tuesday.
@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 6 * * 1-5", utc(2026, 12, 1, 5), [utc(2026, 12, 1, 6), utc(2026, 12, 2, 6), utc(2026, 12, 3, 6)]),
        ("0 6 * * 1-5", utc(2026, 12, 4, 7), [utc(2026, 12, 7, 6), utc(2026, 12, 8, 6), utc(2026, 12, 9, 6)]),
        (
            "*/20 9 * * *",
            utc(2026, 12, 1, 9, 5),
            [utc(2026, 12, 1, 9, 20), utc(2026, 12, 1, 9, 40), utc(2026, 12, 2, 9)],
        ),
        (
            "15,45 8-9 * * *",
            utc(2026, 12, 1),
            [utc(2026, 12, 1, 8, 15), utc(2026, 12, 1, 8, 45), utc(2026, 12, 1, 9, 15)],
        ),
        ("0 7 * * mon,WED", utc(2026, 12, 1), [utc(2026, 12, 2, 7), utc(2026, 12, 7, 7), utc(2026, 12, 9, 7)]),
        ("0 0 1 jan-mar *", utc(2026, 12, 1), [utc(2027, 1, 1), utc(2027, 2, 1), utc(2027, 3, 1)]),
        ("0 0 1-31/10 * *", utc(2026, 12, 1, 1), [utc(2026, 12, 11), utc(2026, 12, 21), utc(2026, 12, 31)]),
        # day-of-month and day-of-week both restricted: either one matches (the 13th, or any Friday)
        ("0 12 13 * 5", utc(2026, 12, 1), [utc(2026, 12, 4, 12), utc(2026, 12, 11, 12), utc(2026, 12, 13, 12)]),
        ("0 0 * * 7", utc(2026, 12, 1), [utc(2026, 12, 6), utc(2026, 12, 13), utc(2026, 12, 20)]),  # 7 is Sunday
    ],
)
def test_the_schedule_names_the_right_slots(expression: str, after: datetime, expected: list[datetime]) -> None:
    assert parse_schedule(expression).upcoming(after, 3) == expected


def test_a_schedule_is_read_in_its_time_zone_across_daylight_saving() -> None:
    berlin = parse_schedule("0 6 * * *", "Europe/Berlin")
    # 06:00 in Berlin is 05:00 UTC in winter and 04:00 UTC in summer (the clocks moved on 2027-03-28).
    assert berlin.upcoming(utc(2027, 3, 26, 12), 3) == [utc(2027, 3, 27, 5), utc(2027, 3, 28, 4), utc(2027, 3, 29, 4)]
    new_york = parse_schedule("30 2 * * *", "America/New_York")
    # 02:30 does not exist on 2027-03-14 in New York: that day's run is at 03:00 local (07:00 UTC), not skipped.
    assert new_york.upcoming(utc(2027, 3, 13, 12), 2) == [utc(2027, 3, 14, 7), utc(2027, 3, 15, 6, 30)]


def test_the_latest_slot_at_or_before_a_moment() -> None:
    weekdays = parse_schedule("0 6 * * 1-5")
    assert weekdays.latest_at_or_before(utc(2026, 12, 1, 6)) == utc(2026, 12, 1, 6)  # the slot itself
    assert weekdays.latest_at_or_before(utc(2026, 12, 1, 5, 59, 59)) == utc(2026, 11, 30, 6)
    assert weekdays.latest_at_or_before(utc(2026, 12, 7, 5)) == utc(2026, 12, 4, 6)  # Monday early: Friday's
    assert weekdays.next_after(utc(2026, 12, 1, 6, 0, 30)) == utc(2026, 12, 2, 6)  # strictly after


def test_the_schedule_is_described_in_words_with_its_time_zone() -> None:
    assert (
        parse_schedule("0 6 * * 1-5", "Europe/Berlin").describe() == "At 06:00 on Monday through Friday (Europe/Berlin)"
    )
    assert parse_schedule("  0   6 * *  1-5 ").expression == "0 6 * * 1-5"


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("61 * * * *", "the minute field ('61') is not valid; it takes 0-59"),
        ("0 24 * * *", "the hour field ('24') is not valid; it takes 0-23"),
        ("0 6 0 * *", "the day-of-month field ('0') is not valid; it takes 1-31"),
        ("0 6 * 13 *", "the month field ('13') is not valid; it takes 1-12 or JAN-DEC"),
        ("0 6 * * mon-fry", "the day-of-week field ('mon-fry') is not valid"),
        ("*/0 * * * *", "the minute field ('*/0') is not valid"),
        ("0 6 * *", "has 4 fields; a cron schedule has 5"),
        ("0 0 6 * * 1", "has 6 fields; a cron schedule has 5"),
        ("", "has 0 fields"),
    ],
)
def test_an_invalid_schedule_names_the_field_at_fault(expression: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_schedule(expression)
    message = str(caught.value)
    assert says in message and "ICP_CYCLE_SCHEDULE" in message and 'e.g. "0 6 * * 1-5"' in message


def test_an_unknown_time_zone_is_a_readable_error() -> None:
    with pytest.raises(ConfigError, match="ICP_CYCLE_TIMEZONE 'Mars/Olympus' is not a time zone"):
        parse_schedule("0 6 * * *", "Mars/Olympus")


def test_follow_ups_are_read_from_a_comma_separated_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().cycle_follow_ups == ["alerts", "crm"]  # what `icp cycle run` does
    monkeypatch.setenv("ICP_CYCLE_FOLLOW_UPS", " alerts , crm:hubspot,")
    assert Settings().cycle_follow_ups == ["alerts", "crm:hubspot"]
    monkeypatch.setenv("ICP_CYCLE_FOLLOW_UPS", "")
    assert Settings().cycle_follow_ups == []
