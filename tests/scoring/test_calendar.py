"""The holiday calendar in scoring (issue 21, item 20): an admin of the whole organisation loads a year's
arrangement, audited; everyone reads it; the metric and `kaohe doctor` warn from November of the year before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import httpx
import pytest

from kaohe.ops_cli import calendar_check
from services.common.workcalendar import STORE
from services.scoring.app import app as scoring_app
from tests.conftest import auth

GLOBAL_ADMIN = auth(("admin", ""), subject="office-chief")
CITY_ADMIN = auth(("admin", "city"))
NOTICE_2027 = {"holidays": ["2027-01-01", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10",
                            "2027-02-11", "2027-02-12"],
               "workdays": ["2027-02-13"], "source": "国务院办公厅关于2027年部分节假日安排的通知 (test copy)"}


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    STORE.clear()
    yield
    STORE.clear()
    scoring_app.state.clock = None


async def test_an_office_loads_2027_and_it_is_audited(scoring: httpx.AsyncClient) -> None:
    before = (await scoring.get("/v1/calendar/2027", headers=CITY_ADMIN)).json()
    assert (before["origin"], before["holidays"]) == ("none", [])
    assert (await scoring.get("/v1/calendar/2026", headers=CITY_ADMIN)).json()["origin"] == "package"
    refused = await scoring.put("/v1/calendar/2027", json=NOTICE_2027, headers=CITY_ADMIN)
    assert refused.status_code == 403
    loaded = await scoring.put("/v1/calendar/2027", json=NOTICE_2027, headers=GLOBAL_ADMIN)
    assert loaded.status_code == 200, loaded.text
    body = loaded.json()
    assert (body["origin"], body["workdays"], body["loaded_by"]) == ("loaded", ["2027-02-13"], "office-chief")
    assert len(body["holidays"]) == 8
    listed = (await scoring.get("/v1/calendar", headers=CITY_ADMIN)).json()
    assert [row["year"] for row in listed["loaded"]] == [2027]
    records = (await scoring.get("/v1/audit", params={"entity_id": "2027"}, headers=GLOBAL_ADMIN)).json()
    assert [(r["action"], r["actor"]) for r in records] == [("calendar.load", "office-chief")]
    replaced = await scoring.put("/v1/calendar/2027", json={**NOTICE_2027, "workdays": []}, headers=GLOBAL_ADMIN)
    assert replaced.json()["workdays"] == []
    records = (await scoring.get("/v1/audit", params={"entity_id": "2027"}, headers=GLOBAL_ADMIN)).json()
    assert [r["action"] for r in records] == ["calendar.load", "calendar.load"]
    assert records[0]["before_digest"] is None and records[1]["before_digest"] == records[0]["after_digest"]


@pytest.mark.parametrize(("change", "fragment"), [
    ({"workdays": ["2027-02-15"]}, "2027-02-15 is a weekday"),
    ({"holidays": ["2028-01-01"]}, "2028-01-01 is not in 2027"),
    ({"holidays": ["2027-02-13"], "workdays": ["2027-02-13"]}, "both as a holiday and as a working day"),
    ({"holidays": ["2027-02-30"]}, "holidays"),
    ({"source": ""}, "source"),
])
async def test_a_wrong_arrangement_is_refused(scoring: httpx.AsyncClient, change: dict, fragment: str) -> None:
    response = await scoring.put("/v1/calendar/2027", json={**NOTICE_2027, **change}, headers=GLOBAL_ADMIN)
    assert response.status_code == 422
    assert fragment in response.text
    assert (await scoring.get("/v1/calendar/2027", headers=GLOBAL_ADMIN)).json()["origin"] == "none"


async def test_the_metric_warns_from_november_of_the_year_before(scoring: httpx.AsyncClient) -> None:
    async def missing() -> str:
        text = (await scoring.get("/metrics")).text
        return next(line for line in text.splitlines() if line.startswith("kaohe_holiday_calendar_missing "))

    scoring_app.state.clock = lambda: datetime(2026, 10, 31, 15, 0, tzinfo=UTC)  # 10-31 23:00 Shanghai
    assert await missing() == "kaohe_holiday_calendar_missing 0.0"
    scoring_app.state.clock = lambda: datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 11-01 00:00 Shanghai
    assert await missing() == "kaohe_holiday_calendar_missing 1.0"
    await scoring.put("/v1/calendar/2027", json=NOTICE_2027, headers=GLOBAL_ADMIN)
    assert await missing() == "kaohe_holiday_calendar_missing 0.0"
    scoring_app.state.clock = lambda: datetime(2028, 1, 3, 2, 0, tzinfo=UTC)  # 2028 itself uncovered
    assert await missing() == "kaohe_holiday_calendar_missing 1.0"


def test_doctor_warns_from_november_of_the_year_before() -> None:
    assert calendar_check(date(2026, 10, 31), []).status == "ok"
    november = calendar_check(date(2026, 11, 1), [])
    assert (november.status, november.name) == ("warn", "holiday calendar")
    assert "no holiday arrangement is loaded for 2027" in november.message
    assert "kaohe calendar load 2027" in november.message
    assert calendar_check(date(2026, 12, 7), [2027]).status == "ok"
    assert calendar_check(date(2027, 1, 4), []).status == "warn"  # the year itself, across the year end
    assert calendar_check(date(2027, 1, 4), [2027]).status == "ok"
    assert calendar_check(date(2027, 1, 4), None).status == "warn"
