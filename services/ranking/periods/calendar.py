"""Working days for the publication window: the same calendar as evidence's deadlines (services/common/
workcalendar.py): loaded arrangements, then the package's years, then Monday to Friday, said in a note."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.common.workcalendar import STORE


def is_workday(day: date) -> bool:
    """Official working day under the current arrangements; a year without one counts Monday to Friday."""
    return STORE.calendar.is_working_day(day)


def publication_end_with_note(published_at: datetime, working_days: int, timezone: str) -> tuple[datetime, str | None]:
    """The end (local midnight) of the Nth working day, counting the publication day if it is one, and, when a
    year it spans has no arrangement, the note saying it was counted Monday to Friday."""
    zone = ZoneInfo(timezone)
    first = published_at.astimezone(zone).date()
    last = STORE.calendar.add_working_days(first - timedelta(days=1), working_days)  # counted from `first` on
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone), STORE.calendar.note(first, last)
