"""Working days under the Chinese holiday calendar (调休 included), for the publication window."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar


def is_workday(day: date) -> bool:
    """Official working day; beyond the calendar's published years, Monday to Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def publication_end(published_at: datetime, working_days: int, timezone: str) -> datetime:
    """The end (local midnight) of the Nth working day, counting the publication day if it is one."""
    zone = ZoneInfo(timezone)
    day = published_at.astimezone(zone).date()
    counted = 0
    while True:
        if is_workday(day):
            counted += 1
            if counted == working_days:
                break
        day += timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
