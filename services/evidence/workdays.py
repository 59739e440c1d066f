"""Working-day arithmetic under the Chinese public-holiday calendar, make-up working days (调休) included.

The `chinese_calendar` package encodes the State Council's yearly arrangements; it only knows the
years it was released for, so a date outside them is refused instead of guessed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar.constants import holidays, workdays

from services.common.errors import InvalidInput

FIRST_YEAR = min(holidays).year
LAST_YEAR = max(max(holidays), max(workdays)).year
END_OF_DAY = time(23, 59, 59, 999999)


def _check_covered(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(
            f"the holiday calendar covers {FIRST_YEAR}–{LAST_YEAR} only; {day.isoformat()} is outside it "
            "(upgrade chinese-calendar)",
            details={"field": "date", "reason": "outside holiday calendar"},
        )


def is_working_day(day: date) -> bool:
    """True for a working day: a weekday that is no holiday, or a make-up Saturday/Sunday."""
    _check_covered(day)
    return bool(chinese_calendar.is_workday(day))


def add_working_days(start: date, count: int) -> date:
    """The `count`-th working day after `start` (start itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start`."""
    day, count = start, 0
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def deadline_after(moment: datetime, working_days: int, tz: str) -> datetime:
    """End of the `working_days`-th working day after `moment`'s local date, as an aware datetime."""
    zone = ZoneInfo(tz)
    local = moment.astimezone(zone).date()
    return datetime.combine(add_working_days(local, working_days), END_OF_DAY, tzinfo=zone)
