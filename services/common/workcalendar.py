"""The working-day calendar of evidence and ranking: the State Council's yearly arrangement of public holidays
and make-up working days (调休), and one documented fallback for a year without one (issue 21, item 20).

A year's arrangement comes from, in this order: what an office loaded through scoring's API (`PUT
/v1/calendar/{year}`, the CLI `kaohe calendar load`, GraphQL `loadHolidayCalendar`), else the
`chinese-calendar` package (the years it was released for). A year with neither counts Monday to Friday,
in both services alike, and every deadline computed over such a year carries a note saying so. From
November of the year before, `kaohe doctor` and the metric `kaohe_holiday_calendar_missing` warn.

Each process keeps the loaded arrangements in `STORE`: scoring installs them from its table, evidence and
ranking fetch them from scoring (at most once a minute, on the requests that compute deadlines and on a
metrics scrape); a failed fetch keeps what the process had.
"""

from __future__ import annotations

import functools
import logging
import time as monotonic
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chinese_calendar.constants import holidays as PACKAGE_HOLIDAYS
from chinese_calendar.constants import workdays as PACKAGE_WORKDAYS
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kaohe.i18n import _
from services.common.stored_text import message

log = logging.getLogger("kaohe.calendar")

PACKAGE_YEARS = range(min(PACKAGE_HOLIDAYS).year, max(max(PACKAGE_HOLIDAYS), max(PACKAGE_WORKDAYS)).year + 1)
FALLBACK = "Monday to Friday"
WARN_FROM_MONTH = 11  # November of the year before
REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class Arrangement:
    """One year's arrangement: the days off that would be working days, the weekend days worked (调休)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    origin: str  # "loaded" or "package"
    source: str = ""

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> Arrangement:
        return cls(year=int(row["year"]), holidays=frozenset(date.fromisoformat(d) for d in row["holidays"]),
                   workdays=frozenset(date.fromisoformat(d) for d in row["workdays"]), origin="loaded",
                   source=str(row.get("source") or ""))


@functools.cache  # the package's tables never change in a process: each answer is computed once
def package_arrangement(year: int) -> Arrangement | None:
    if year not in PACKAGE_YEARS:
        return None
    return Arrangement(year, frozenset(d for d in PACKAGE_HOLIDAYS if d.year == year),
                       frozenset(d for d in PACKAGE_WORKDAYS if d.year == year), "package", "chinese-calendar")


@dataclass
class Calendar:
    """Working days under the loaded arrangements, then the package's, then Monday to Friday."""

    loaded: dict[int, Arrangement] = field(default_factory=dict)

    def arrangement(self, year: int) -> Arrangement | None:
        return self.loaded.get(year) or package_arrangement(year)

    def covered(self, year: int) -> bool:
        return year in self.loaded or year in PACKAGE_YEARS

    def is_working_day(self, day: date) -> bool:
        found = self.arrangement(day.year)
        if found is None:
            return day.weekday() < 5
        if day in found.workdays:
            return True
        return day.weekday() < 5 and day not in found.holidays

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (start itself not counted)."""
        day, remaining = start, count
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        day, count = start, 0
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def note(self, first: date, last: date) -> str | None:
        """None when every year of [first, last] has an arrangement; else the sentence a deadline carries (a
        stored message: services/common/stored_text.py)."""
        missing = [year for year in range(first.year, last.year + 1) if not self.covered(year)]
        if not missing:
            return None
        return message("calendar.counted_monday_to_friday", years=", ".join(str(y) for y in missing))

    def warning(self, today: date) -> str | None:
        """What doctor and the metric say: this year uncovered, or next year uncovered from November on."""
        if not self.covered(today.year):  # the English of FALLBACK, written out for the translation
            return _("no holiday arrangement is loaded for %(year)s: deadlines count Monday to Friday; load the "
                     "State Council's arrangement (`kaohe calendar load %(year)s FILE`)", year=today.year)
        if today.month >= WARN_FROM_MONTH and not self.covered(today.year + 1):
            return _("no holiday arrangement is loaded for %(year)s: from January deadlines count Monday to Friday; "
                     "load it when the State Council publishes it (`kaohe calendar load %(year)s FILE`)",
                     year=today.year + 1)
        return None


class Store:
    """This process's calendar, refreshed from scoring at most once a minute."""

    def __init__(self) -> None:
        self.calendar = Calendar()
        self.fetched_at: float | None = None

    def install(self, arrangements: Iterable[Arrangement]) -> None:
        self.calendar = Calendar({a.year: a for a in arrangements})
        self.fetched_at = monotonic.monotonic()

    def clear(self) -> None:
        self.calendar, self.fetched_at = Calendar(), None

    async def refresh(self, fetch: Callable[[], Awaitable[list[dict[str, Any]]]]) -> Calendar:
        """The calendar, fetched again when older than a minute; a failed fetch keeps the one we have."""
        if self.fetched_at is None or monotonic.monotonic() - self.fetched_at > REFRESH_SECONDS:
            try:
                self.install(Arrangement.from_json(row) for row in await fetch())
            except Exception as exc:  # scoring down or old: deadlines still work on what we know
                log.warning("holiday calendar not refreshed: %s", str(exc).splitlines()[0] if str(exc) else exc)
                self.fetched_at = monotonic.monotonic()
        return self.calendar


STORE = Store()


class CalendarCollector(Collector):
    """`kaohe_holiday_calendar_missing`: 1 while this year, or from November next year, has no arrangement."""

    def __init__(self, today: Callable[[], date], store: Store = STORE) -> None:
        self.today, self.store = today, store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "kaohe_holiday_calendar_missing",
            "1 while this year, or from November the next year, has no holiday arrangement (deadlines would "
            "count Monday to Friday)")
        gauge.add_metric([], 1.0 if self.store.calendar.warning(self.today()) else 0.0)
        yield gauge


def local_today(now: datetime, timezone: str) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(timezone)).date()
