"""Evidence across the 2026/2027 year end (issue 21, item 20): with the clock at 2026-12-29 every submission
was refused ("the holiday calendar covers 2004–2026 only"). A year without an arrangement now counts Monday
to Friday and the deadline says so; once an office loads the year, deadlines follow it.

Hand count, submission on Tue 2026-12-29 09:00 Shanghai, default chain of 5 working days:
- no 2027 arrangement: Wed 12-30, Thu 12-31, Fri 2027-01-01 (a weekday), Mon 01-04, Tue 01-05 → 01-05 23:59:59;
- 2027 loaded with 01-01 a holiday: 12-30, 12-31, 01-04, 01-05, Wed 01-06 → 01-06 23:59:59.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.common.workcalendar import STORE
from tests.conftest import auth, token_for
from tests.evidence.conftest import SCORE, FakeScoring

ASSESSOR_A = auth(("assessor", "city/a"), subject="assessor-a")
OFFICE_ALL = auth(("admin", ""), subject="office")
ARRANGEMENT_2027 = {"year": 2027, "holidays": ["2027-01-01"], "workdays": [], "source": "test notice"}


class CalendarScoring(FakeScoring):
    """The fake scoring, also answering `GET /v1/calendar` with the arrangements the test loaded."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/calendar":
            self.calls.append(request.url.path)
            return httpx.Response(200, json={"loaded": self.loaded, "package_years": [2004, 2026]})
        return super().__call__(request)


@pytest.fixture
def scoring() -> CalendarScoring:
    return CalendarScoring()


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    STORE.clear()
    yield
    STORE.clear()


async def test_a_submission_on_2026_12_29_is_due_counting_weekdays_and_says_so(
    client: httpx.AsyncClient, clock: Any, scoring: CalendarScoring
) -> None:
    clock.set("2026-12-29T01:00:00+00:00")
    response = await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["level_due_at"] == "2027-01-05T15:59:59.999999Z"
    assert body["level_due_note"] == ("no holiday arrangement is loaded for 2027: its working days were counted "
                                      "Monday to Friday (holidays and 调休 ignored)")
    assert "/v1/calendar" in scoring.calls
    read = await client.get(f"/v1/submissions/{body['id']}", headers=ASSESSOR_A)
    assert read.json()["level_due_note"] == body["level_due_note"]
    chinese = await client.get(f"/v1/submissions/{body['id']}", headers={**ASSESSOR_A, "Accept-Language": "zh-CN"})
    assert chinese.json()["level_due_note"] == ("尚未导入 2027 年的节假日安排：工作日按周一至周五计算"
                                                "（未计节假日和调休）")


async def test_once_2027_is_loaded_deadlines_follow_it(
    client: httpx.AsyncClient, clock: Any, scoring: CalendarScoring
) -> None:
    scoring.loaded = [ARRANGEMENT_2027]
    clock.set("2026-12-29T01:00:00+00:00")
    body = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
    assert (body["level_due_at"], body["level_due_note"]) == ("2027-01-06T15:59:59.999999Z", None)


async def test_a_submission_inside_a_covered_year_has_no_note(client: httpx.AsyncClient, clock: Any) -> None:
    clock.set("2026-12-01T01:00:00+00:00")  # Tue: 12-02, 03, 04, 07, 08
    body = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
    assert (body["level_due_at"], body["level_due_note"]) == ("2026-12-08T15:59:59.999999Z", None)


REVIEWER_A = auth(("reviewer", "city/a"), subject="chief-a")
EVENT = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "attendance", "fact": "event",
         "content": {"type": "late", "count": 3, "date": "2026-03-02"}}
ZHANG = {"Authorization": f"Bearer {token_for(subject='zhang', subject_ids=('p001',))}"}
NOTE_2027 = ("no holiday arrangement is loaded for 2027: its working days were counted Monday to Friday (holidays "
             "and 调休 ignored)")


async def _appealed(client: httpx.AsyncClient) -> dict[str, Any]:
    sub = (await client.post("/v1/submissions", json=EVENT, headers=ASSESSOR_A)).json()
    done = (await client.post(f"/v1/submissions/{sub['id']}/decisions", json={"action": "approve", "version": 1},
                              headers=REVIEWER_A)).json()
    filed = await client.post("/v1/appeals", json={"fact_id": done["fact_id"], "points": ["迟到系因公外出"]},
                              headers=ZHANG)
    assert filed.status_code == 201, filed.text
    return filed.json()  # type: ignore[no-any-return]


async def test_an_appeal_answer_due_in_2027_counts_weekdays_and_says_so(
    client: httpx.AsyncClient, clock: Any, scoring: CalendarScoring
) -> None:
    """(newcomer probe M4) Filed Tue 2026-12-29 09:00 Shanghai, 10 working days to answer, no 2027 arrangement:
    12-30, 12-31, Fri 2027-01-01 (a weekday), 01-04, 05, 06, 07, 08, 11, Tue 01-12 → the end of 01-12."""
    clock.set("2026-12-29T01:00:00+00:00")
    appeal = await _appealed(client)
    assert (appeal["answer_due_at"], appeal["answer_due_note"]) == ("2027-01-12T15:59:59.999999Z", NOTE_2027)
    read = await client.get(f"/v1/appeals/{appeal['id']}", headers={**ZHANG, "Accept-Language": "zh-CN"})
    assert read.json()["answer_due_note"] == "尚未导入 2027 年的节假日安排：工作日按周一至周五计算（未计节假日和调休）"
    listed = (await client.get("/v1/appeals", params={"period_id": "2026-Q1"}, headers=ZHANG)).json()
    assert [a["answer_due_note"] for a in listed["items"]] == [NOTE_2027]
    # the audit record of the filing writes the instant as the APIs do, in UTC ending in Z
    trail = (await client.get("/v1/audit", params={"entity_id": appeal["id"]}, headers=OFFICE_ALL)).json()
    filed = [r for r in trail if r["action"] == "appeal.file"]
    assert [r["details"]["answer_due_at"] for r in filed] == ["2027-01-12T15:59:59.999999Z"]


async def test_an_appeal_answer_due_in_a_loaded_year_has_no_note(
    client: httpx.AsyncClient, clock: Any, scoring: CalendarScoring
) -> None:
    """2027 loaded with 01-01 a holiday: 12-30, 12-31, 01-04, 05, 06, 07, 08, 11, 12, Wed 01-13."""
    scoring.loaded = [ARRANGEMENT_2027]
    clock.set("2026-12-29T01:00:00+00:00")
    appeal = await _appealed(client)
    assert (appeal["answer_due_at"], appeal["answer_due_note"]) == ("2027-01-13T15:59:59.999999Z", None)
