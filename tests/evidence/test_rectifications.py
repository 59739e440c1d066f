"""Rectification notices (问题整改单) through the API: issue, feedback, sign-off, and an overdue notice
raising its follow-up deduction event (deadline Mon 2026-03-09, overdue from 03-10 00:00 Shanghai)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import auth
from tests.evidence.conftest import Clock

INSPECTOR = auth(("assessor", "city/a"), subject="inspector")
UNIT = auth(("submitter", "city/a"), subject="clerk-a")
HEAD = auth(("reviewer", "city/a"), subject="head-a")
ADMIN = auth(("admin", ""), subject="office")
NOTICE = {"period_id": "2026-Q1", "subject_id": "ua", "checked_at": "2026-03-02T10:00:00+08:00",
          "problem": "值班记录不全", "opinion": "限期补齐并建立台账", "deadline": "2026-03-09",
          "follow_up": {"type": "rectification_overdue", "indicator": "attendance"}}


async def _issue(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/v1/rectifications", json=NOTICE, headers=INSPECTOR)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_feedback_and_sign_off(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/rectifications", json=NOTICE,
                              headers=auth(("assessor", "city/b")))).status_code == 422  # ua: outside, hidden
    notice = await _issue(client)
    assert (notice["status"], notice["inspector"], notice["version"]) == ("open", "inspector", 1)
    early = await client.post(f"/v1/rectifications/{notice['id']}/sign", json={"version": 1}, headers=HEAD)
    assert early.json()["error"]["message"] == "only a notice with feedback can be signed"
    assert (await client.post(f"/v1/rectifications/{notice['id']}/feedback",
                              json={"feedback": "已补齐", "version": 1}, headers=HEAD)).status_code == 403
    answered = await client.post(f"/v1/rectifications/{notice['id']}/feedback",
                                 json={"feedback": "已补齐值班记录", "version": 1}, headers=UNIT)
    assert (answered.json()["status"], answered.json()["version"]) == ("answered", 2)
    signed = await client.post(f"/v1/rectifications/{notice['id']}/sign", json={"version": 2}, headers=HEAD)
    assert (signed.json()["status"], signed.json()["signed_by"]) == ("signed", "head-a")
    other = auth(("submitter", "city/b"))
    assert (await client.get(f"/v1/rectifications/{notice['id']}", headers=other)).status_code == 404
    assert (await client.get("/v1/rectifications", params={"period_id": "2026-Q1"}, headers=other)).json() == []


async def test_overdue_notice_raises_its_follow_up_event(client: httpx.AsyncClient, clock: Clock) -> None:
    signed = await _issue(client)
    await client.post(f"/v1/rectifications/{signed['id']}/feedback", json={"feedback": "已整改", "version": 1},
                      headers=UNIT)
    await client.post(f"/v1/rectifications/{signed['id']}/sign", json={"version": 2}, headers=HEAD)
    late = await _issue(client)
    clock.set("2026-03-09T23:59:59+08:00")
    assert (await client.post("/v1/rectifications/sweep", headers=ADMIN)).json() == {"overdue": 0}
    clock.set("2026-03-10T00:00:00+08:00")
    assert (await client.post("/v1/rectifications/sweep", headers=ADMIN)).json() == {"overdue": 1}
    assert (await client.get(f"/v1/rectifications/{late['id']}", headers=UNIT)).json()["status"] == "overdue"
    facts = (await client.get("/v1/facts", params={"period_id": "2026-Q1"}, headers=ADMIN)).json()["items"]
    assert facts == [{"id": f"rect-{late['id']}", "subject": "ua", "type": "rectification_overdue", "count": 1,
                      "indicator": "attendance", "fact": "event", "date": "2026-03-10", "key": late["id"]}]
    assert (await client.post(f"/v1/rectifications/{late['id']}/feedback", json={"feedback": "迟交", "version": 2},
                              headers=UNIT)).status_code == 409
