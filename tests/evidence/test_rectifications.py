"""Rectification notices (问题整改单) through the API: issue, feedback, sign-off, and an overdue notice
raising its follow-up deduction event (deadline Mon 2026-03-09, overdue from 03-10 00:00 Shanghai)."""

from __future__ import annotations

import uuid
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


async def _audit(client: httpx.AsyncClient, entity_id: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit", params={"entity_id": entity_id}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return list(response.json())


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
    assert (await client.get("/v1/rectifications", params={"period_id": "2026-Q1"}, headers=other)).json() == {
        "items": [], "total_count": 0}
    listed = (await client.get("/v1/rectifications", params={"period_id": "2026-Q1", "status": "signed"},
                               headers=HEAD)).json()
    assert ([n["id"] for n in listed["items"]], listed["total_count"]) == ([notice["id"]], 1)
    assert (await client.get("/v1/rectifications", params={"period_id": "2026-Q1", "status": "open"},
                             headers=HEAD)).json() == {"items": [], "total_count": 0}


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
                      "indicator": "attendance", "fact": "event", "date": "2026-03-10", "key": late["id"],
                      "period": "2026-Q1"}]
    follow_up = {"type": "rectification_overdue", "count": 1, "indicator": "attendance"}
    [raised] = await _audit(client, f"rect-{late['id']}")
    assert (raised["action"], raised["actor"]) == ("fact.upsert", "system:rectification-sweep for inspector")
    # the event scoring names as the cause of the scores it changes leads back to this record (REST, as auditTrail)
    event = raised["details"]["event"]
    for entity_id in (f"event:{event}", event, f"event:{event},event:{uuid.uuid4()}"):
        assert [r["id"] for r in await _audit(client, entity_id)] == [raised["id"]], entity_id
    assert await _audit(client, f"event:{event}x") == []  # not an event id: an entity id of nothing
    assert {k: v for k, v in raised["details"].items() if k != "event"} == {
        "rectification_notice": late["id"], "issued_by": "inspector", "follow_up": follow_up,
        "deadline": "2026-03-09", "counts_for_period": "2026-Q1", "dated_after_period": False}
    assert [(r["action"], r["actor"], r["details"]) for r in await _audit(client, late["id"])] == [
        ("rectification.issue", "inspector", {"follow_up": follow_up, "deadline": "2026-03-09"}),
        ("rectification.overdue", "system:rectification-sweep",
         {"follow_up": follow_up, "deadline": "2026-03-09", "fact": f"rect-{late['id']}"})]
    assert (await client.post(f"/v1/rectifications/{late['id']}/feedback", json={"feedback": "迟交", "version": 2},
                              headers=UNIT)).status_code == 409


async def _refused(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post("/v1/rectifications", json={**NOTICE, **changes}, headers=INSPECTOR)
    assert response.status_code == 422, response.text
    return dict(response.json()["error"])


async def test_a_follow_up_only_deducts(client: httpx.AsyncClient) -> None:
    """The attacker probe: an accrual leaf's bonus type (zdgz reads key_task), a count of 1000, an unknown field."""
    bonus = await _refused(client, follow_up={"type": "key_task", "count": 1, "indicator": "zdgz"})
    assert bonus == {"code": "invalid_input", "message": "indicator 'zdgz' is not a deduction leaf of period "
                     "2026-Q1: a follow-up can only deduct (its deduction leaves: attendance)",
                     "details": {"field": "follow_up.indicator", "reason": "not a deduction leaf"}}
    other = await _refused(client, follow_up={"type": "key_task", "indicator": "attendance"})
    assert (other["message"], other["details"]) == (
        "event type 'key_task' is not one that indicator attendance deducts for (its types: absent, late, "
        "rectification_overdue)", {"field": "follow_up.type", "reason": "not a deduction type"})
    no_leaf = await _refused(client, follow_up={"type": "late"})  # a subject-level event would be a veto
    assert no_leaf["details"][0]["field"] == "follow_up.indicator"
    many = await _refused(client, follow_up={"type": "late", "indicator": "attendance", "count": 11})
    assert many["details"][0]["field"] == "follow_up.count"
    extra = await _refused(client, follow_up={"type": "late", "indicator": "attendance", "points": "-50"})
    assert extra["details"][0]["field"] == "follow_up.points"
    for count in (1, 10):
        response = await client.post("/v1/rectifications", json={**NOTICE, "follow_up": {
            "type": "absent", "indicator": "attendance", "count": count}}, headers=INSPECTOR)
        assert response.status_code == 201, response.text
        assert response.json()["follow_up"] == {"type": "absent", "count": count, "indicator": "attendance"}


async def test_the_deadline_is_ahead_and_within_the_period_and_its_grace(client: httpx.AsyncClient) -> None:
    """The clock stands at Mon 2026-03-02 09:00 Shanghai; 2026-Q1 ends 2026-03-31, 30 days of grace: 2026-04-30."""
    passed = await _refused(client, deadline="2026-03-01")
    assert (passed["message"], passed["details"]) == (
        "deadline 2026-03-01 has passed (today is 2026-03-02): give today or a later day",
        {"field": "deadline", "reason": "passed"})
    late = await _refused(client, deadline="2026-05-01")
    assert (late["message"], late["details"]) == (
        "deadline 2026-05-01 is after 2026-04-30, 30 days after the last day of period 2026-Q1",
        {"field": "deadline", "reason": "too late"})
    for deadline in ("2026-03-02", "2026-04-30"):
        response = await client.post("/v1/rectifications", json={**NOTICE, "deadline": deadline}, headers=INSPECTOR)
        assert response.status_code == 201, response.text


async def test_a_follow_up_dated_after_the_period_counts_for_it(client: httpx.AsyncClient, clock: Clock) -> None:
    """Deadline 2026-04-30 (in the grace): overdue from 2026-05-01, a day of no period of Q1; the fact still counts
    for 2026-Q1 (its `period`) and its audit record says so."""
    notice = (await client.post("/v1/rectifications", json={**NOTICE, "deadline": "2026-04-30"},
                                headers=INSPECTOR)).json()
    clock.set("2026-05-01T00:00:00+08:00")
    assert (await client.post("/v1/rectifications/sweep", headers=ADMIN)).json() == {"overdue": 1}
    facts = (await client.get("/v1/facts", params={"period_id": "2026-Q1"}, headers=ADMIN)).json()["items"]
    assert [(f["id"], f["date"], f["period"]) for f in facts] == [(f"rect-{notice['id']}", "2026-05-01", "2026-Q1")]
    [raised] = await _audit(client, f"rect-{notice['id']}")
    assert (raised["details"]["counts_for_period"], raised["details"]["dated_after_period"]) == ("2026-Q1", True)


async def test_checked_at_is_an_instant_with_its_zone_and_a_refusal_reads_in_chinese(
        client: httpx.AsyncClient) -> None:
    """`checked_at` is when the inspection took place, an instant (docs/decisions.md, "Newcomer probe: times people
    read"): a date alone or a time without its zone is refused, naming the field, in the reader's language."""
    for checked_at in ("2026-03-02", "2026-03-02T10:00:00"):
        english = await _refused(client, checked_at=checked_at)
        assert (english["message"], english["details"]) == (
            "checked_at: Input should have timezone info",
            [{"field": "checked_at", "reason": "Input should have timezone info"}])
        response = await client.post("/v1/rectifications", json={**NOTICE, "checked_at": checked_at},
                                     headers={**INSPECTOR, "Accept-Language": "zh-CN"})
        assert response.json()["error"]["message"] == (
            "checked_at：应为带时区的时间（ISO 8601，如 2026-12-10T09:30:00+08:00）")
    for checked_at in ("2026-03-02T10:00:00+08:00", "2026-03-02T02:00:00Z"):
        response = await client.post("/v1/rectifications", json={**NOTICE, "checked_at": checked_at},
                                     headers=INSPECTOR)
        assert (response.status_code, response.json()["checked_at"]) == (201, "2026-03-02T02:00:00Z")
