"""The holiday calendar through the gateway against the real scoring service (issue 21, item 20)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.common.workcalendar import STORE
from tests.gateway.test_scheme_tools import RealScoring, _post

LOAD = """mutation($holidays: [String!]!, $workdays: [String!]) {
  loadHolidayCalendar(year: 2027, holidays: $holidays, workdays: $workdays, source: "国办通知 (test)") {
    year origin holidays workdays source loadedBy } }"""
READ = "{ holidayCalendar(year: 2027) { year origin holidays workdays } }"


@pytest.fixture
async def backend(api: Any) -> RealScoring:
    await api("scoring")
    return RealScoring()


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    STORE.clear()
    yield
    STORE.clear()


async def test_an_office_loads_2027_through_graphql(gateway: httpx.AsyncClient, bearer: Any) -> None:
    reader = bearer(("submitter", "city/a"))
    assert (await _post(gateway, reader, READ))["data"]["holidayCalendar"] == {
        "year": 2027, "origin": "none", "holidays": [], "workdays": []}
    refused = await _post(gateway, bearer(("admin", "city")), LOAD, holidays=["2027-01-01"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = await _post(gateway, bearer(("admin", "")), LOAD, holidays=["2027-01-01"], workdays=["2027-01-04"])
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    loaded = await _post(gateway, bearer(("admin", ""), subject="chief"), LOAD, holidays=["2027-01-01"],
                         workdays=["2027-02-13"])
    assert loaded["data"]["loadHolidayCalendar"] == {
        "year": 2027, "origin": "loaded", "holidays": ["2027-01-01"], "workdays": ["2027-02-13"],
        "source": "国办通知 (test)", "loadedBy": "chief"}
    assert (await _post(gateway, reader, READ))["data"]["holidayCalendar"]["origin"] == "loaded"
