"""The 公示 window across the 2026/2027 year end (issue 21, item 20): ranking used to count Monday to Friday
beyond the package's years without saying so, while evidence refused; now both count with the same calendar
and a window counted Monday to Friday carries the note.

Hand count, published Tue 2026-12-29 10:00 Shanghai for 5 working days (the publication day counts):
- no 2027 arrangement: 12-29, 12-30, 12-31, Fri 2027-01-01 (a weekday), Mon 01-04 → ends 01-05 00:00 Shanghai;
- 2027 loaded with 01-01 a holiday: 12-29, 12-30, 12-31, 01-04, 01-05 → ends 01-06 00:00 Shanghai.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.common.workcalendar import STORE
from services.evidence.workdays import is_working_day as evidence_working_day
from services.ranking.periods.calendar import is_workday as ranking_working_day
from tests.conftest import auth
from tests.ranking.conftest import QUARTERLY, Clock, FakeScoring, deliver, first_scores

OFFICE = auth(("admin", "city"), subject="office")
NOTE = ("no holiday arrangement is loaded for 2027: its working days were counted Monday to Friday "
        "(holidays and 调休 ignored)")


class CalendarScoring(FakeScoring):
    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[dict[str, Any]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/calendar":
            return httpx.Response(200, json={"loaded": self.loaded})
        return super().handler(request)


@pytest.fixture
def scoring() -> CalendarScoring:
    return CalendarScoring()


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    STORE.clear()
    yield
    STORE.clear()


async def _publish(ranking: httpx.AsyncClient, scoring: CalendarScoring, clock: Clock) -> dict[str, Any]:
    scoring.add_period("p1", QUARTERLY, "2026-Q4", first_scores())
    await deliver(ranking, "p1", scoring)
    clock.now = datetime(2026, 12, 29, 2, 0, tzinfo=UTC)
    response = await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_without_2027_the_window_counts_weekdays_and_says_so(
    ranking: httpx.AsyncClient, scoring: CalendarScoring, clock: Clock
) -> None:
    period = await _publish(ranking, scoring, clock)
    assert (period["publication_ends_at"], period["publication_calendar_note"]) == ("2027-01-04T16:00:00Z", NOTE)
    read = await ranking.get("/v1/periods/p1", headers=OFFICE)
    assert read.json()["publication_calendar_note"] == NOTE
    read = await ranking.get("/v1/periods/p1", headers={**OFFICE, "Accept-Language": "zh-CN"})
    assert read.json()["publication_calendar_note"] == ("尚未导入 2027 年的节假日安排：工作日按周一至周五计算"
                                                        "（未计节假日和调休）")
    # the two services count the same days
    for day in (datetime(2027, 1, 1).date(), datetime(2027, 1, 2).date(), datetime(2026, 12, 31).date()):
        assert evidence_working_day(day) is ranking_working_day(day)


async def test_with_2027_loaded_the_window_follows_it(
    ranking: httpx.AsyncClient, scoring: CalendarScoring, clock: Clock
) -> None:
    scoring.loaded = [{"year": 2027, "holidays": ["2027-01-01"], "workdays": [], "source": "test notice"}]
    period = await _publish(ranking, scoring, clock)
    assert (period["publication_ends_at"], period["publication_calendar_note"]) == ("2027-01-05T16:00:00Z", None)
    assert evidence_working_day(datetime(2027, 1, 1).date()) is ranking_working_day(datetime(2027, 1, 1).date())
