"""Working days under the Chinese holiday calendar, checked by hand against the State Council notices
as the installed chinese-calendar encodes them (2026-02-14 and 2026-02-28 are make-up Saturdays;
2026-02-15..23 is the Spring Festival holiday; 2025-10-01..08 National Day + Mid-Autumn with make-up
days 2025-09-28 (Sun) and 2025-10-11 (Sat); 2026-10-01..07 with make-up 2026-09-20 and 2026-10-10)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.common.workcalendar import STORE
from services.evidence.workdays import (
    add_working_days,
    deadline_after,
    deadline_with_note,
    is_working_day,
    working_days_between,
)


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 2, 14), True),   # Saturday, make-up working day
    (date(2026, 2, 15), False),  # Sunday, first day of the Spring Festival holiday
    (date(2026, 2, 16), False),  # Monday in the holiday
    (date(2026, 2, 23), False),  # Monday, last holiday day
    (date(2026, 2, 24), True),
    (date(2026, 2, 28), True),   # Saturday, make-up working day
    (date(2026, 3, 1), False),   # ordinary Sunday
    (date(2025, 9, 28), True),   # Sunday, make-up day before National Day
    (date(2025, 10, 8), False),
    (date(2025, 10, 11), True),  # Saturday, make-up day
    (date(2026, 10, 10), True),
])
def test_working_days_follow_the_official_arrangements(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_spring_festival_2026() -> None:
    # Fri 02-13 + 1 → Sat 02-14 (make-up); + 2 → skips 02-15..23 → Tue 02-24.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    # From Thu 02-12: 02-13, 02-14, 02-24, 02-25, 02-26 → five working days end on Thu 02-26.
    assert add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    # From Wed 02-25: 02-26, 02-27, Sat 02-28 (make-up) → three.
    assert add_working_days(date(2026, 2, 25), 3) == date(2026, 2, 28)
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6  # 14, 24, 25, 26, 27, 28


def test_national_day_2025_and_2026() -> None:
    # Fri 2025-09-26 → Sat 27 rest, Sun 28 make-up (1), Mon 29 (2), Tue 30 (3), holiday to 10-08, Thu 10-09 (4).
    assert add_working_days(date(2025, 9, 26), 4) == date(2025, 10, 9)
    assert add_working_days(date(2025, 10, 9), 2) == date(2025, 10, 11)  # Fri 10, Sat 11 (make-up)
    # 2026: Fri 09-18 → Sun 09-20 make-up (1), Mon 09-21 (2).
    assert add_working_days(date(2026, 9, 18), 2) == date(2026, 9, 21)
    # Wed 09-30 → holiday 10-01..07 → Thu 10-08 (1), Fri 10-09 (2), Sat 10-10 make-up (3).
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)


def test_deadline_is_end_of_local_day_in_utc() -> None:
    # 2026-02-13 20:00 UTC is already 02-14 04:00 in Shanghai: count from Sat 02-14 → 1 working day is 02-24.
    due = deadline_after(datetime(2026, 2, 13, 20, 0, tzinfo=UTC), 1, "Asia/Shanghai")
    assert due.astimezone(UTC) == datetime(2026, 2, 24, 15, 59, 59, 999999, tzinfo=UTC)


def test_a_year_without_an_arrangement_counts_monday_to_friday() -> None:
    """(issue 21, item 20) was "the holiday calendar covers 2004–2026 only; 2027-01-01 is outside it" (422)."""
    STORE.clear()
    # Thu 2026-12-31 + 2: Fri 2027-01-01 (no arrangement for 2027: a weekday works), Mon 01-04
    assert add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 4)
    due, note = deadline_with_note(datetime(2026, 12, 31, 1, 0, tzinfo=UTC), 2, "Asia/Shanghai")
    assert due.astimezone(UTC) == datetime(2027, 1, 4, 15, 59, 59, 999999, tzinfo=UTC)
    assert note == ("no holiday arrangement is loaded for 2027: its working days were counted Monday to Friday "
                    "(holidays and 调休 ignored)")
    assert deadline_with_note(datetime(2026, 12, 1, 1, 0, tzinfo=UTC), 2, "Asia/Shanghai")[1] is None
