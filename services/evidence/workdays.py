"""Working-day arithmetic under the Chinese public-holiday calendar, make-up working days (调休) included.

The calendar is this process's copy of the arrangements (services/common/workcalendar.py): loaded ones
fetched from scoring, else the `chinese_calendar` package's years, else Monday to Friday, the fallback
ranking uses too; a deadline counted over such a year carries a note saying so.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from services.common.workcalendar import STORE

END_OF_DAY = time(23, 59, 59, 999999)


def is_working_day(day: date) -> bool:
    """True for a working day: a weekday that is no holiday, or a make-up Saturday/Sunday."""
    return STORE.calendar.is_working_day(day)


def add_working_days(start: date, count: int) -> date:
    """The `count`-th working day after `start` (start itself not counted)."""
    return STORE.calendar.add_working_days(start, count)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start`."""
    return STORE.calendar.working_days_between(start, end)


def deadline_after(moment: datetime, working_days: int, tz: str) -> datetime:
    """End of the `working_days`-th working day after `moment`'s local date, as an aware datetime."""
    return deadline_with_note(moment, working_days, tz)[0]


def deadline_with_note(moment: datetime, working_days: int, tz: str) -> tuple[datetime, str | None]:
    """The deadline and, when a year it spans has no holiday arrangement, the note that says it was counted
    Monday to Friday."""
    zone = ZoneInfo(tz)
    local = moment.astimezone(zone).date()
    last = STORE.calendar.add_working_days(local, working_days)
    return datetime.combine(last, END_OF_DAY, tzinfo=zone), STORE.calendar.note(local, last)
