"""Appeals through the API: window, point-by-point answers, correction and retraction flowing out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from services.evidence.app import app as evidence_app
from services.evidence.models import common
from tests.conftest import auth, token_for
from tests.evidence.conftest import Clock

ASSESSOR_A = auth(("assessor", "city/a"), subject="inspector")
REVIEWER_A = auth(("reviewer", "city/a"), subject="chief-a")
OFFICE = auth(("admin", "city"), subject="office")
ZHANG = {"Authorization": f"Bearer {token_for(subject='zhang', subject_ids=('p001',))}"}
LI = {"Authorization": f"Bearer {token_for(subject='li', subject_ids=('p002',))}"}
EVENT = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "attendance", "fact": "event",
         "content": {"type": "late", "count": 3, "date": "2026-03-02"}}


async def _fact(client: httpx.AsyncClient) -> str:
    sub = (await client.post("/v1/submissions", json=EVENT, headers=ASSESSOR_A)).json()
    done = await client.post(f"/v1/submissions/{sub['id']}/decisions", json={"action": "approve", "version": 1},
                             headers=REVIEWER_A)
    return str(done.json()["fact_id"])


async def _payloads() -> list[dict[str, Any]]:
    async with evidence_app.state.db.sessionmaker() as session:
        rows = (await session.scalars(select(common.outbox))).all()
        return sorted((r.payload for r in rows), key=lambda p: p["revision"])


async def test_upheld_appeals_correct_then_retract(client: httpx.AsyncClient, clock: Clock) -> None:
    fact_id = await _fact(client)
    clock.now = datetime.now(UTC) + timedelta(days=1)
    appeal = {"fact_id": fact_id, "points": ["迟到系因公外出", "次数与考勤记录不符"]}
    assert (await client.post("/v1/appeals", json=appeal, headers=LI)).status_code == 404
    filed = await client.post("/v1/appeals", json=appeal, headers=ZHANG)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert (body["status"], body["filed_by"], body["version"]) == ("open", "zhang", 1)
    assert datetime.fromisoformat(body["answer_due_at"]) == clock.now + timedelta(days=10)
    assert (await client.post("/v1/appeals", json=appeal, headers=ZHANG)).status_code == 409

    short = {"decision": "upheld", "replies": ["属实"], "correction": {"count": 2}, "version": 1}
    refused = await client.post(f"/v1/appeals/{body['id']}/answer", json=short, headers=OFFICE)
    assert refused.json()["error"]["message"] == "answer every point: 2 points, 1 replies"
    full = {**short, "replies": ["属实", "核减1次"]}
    assert (await client.post(f"/v1/appeals/{body['id']}/answer", json=full, headers=ZHANG)).status_code == 403
    answered = await client.post(f"/v1/appeals/{body['id']}/answer", json=full, headers=OFFICE)
    assert (answered.json()["status"], answered.json()["version"]) == ("upheld", 2)
    stale = await client.post(f"/v1/appeals/{body['id']}/answer", json=full, headers=OFFICE)
    assert stale.status_code == 409
    assert stale.json()["error"] == {"code": "conflict", "message": "this appeal was already answered (upheld)",
                                     "details": {"status": "upheld"}}
    chinese = await client.post(f"/v1/appeals/{body['id']}/answer", json=full,
                                headers={**OFFICE, "Accept-Language": "zh-CN"})
    assert chinese.json()["error"] == {"code": "conflict", "message": "该申诉已答复（申诉成立）",
                                       "details": {"status": "upheld"}}
    corrected = {"id": fact_id, "subject": "p001", "indicator": "attendance", "fact": "event", "type": "late",
                 "count": 2, "date": "2026-03-02"}
    facts = (await client.get("/v1/facts", params={"period_id": "2026-Q1"}, headers=OFFICE)).json()["items"]
    assert facts == [corrected]

    second = (await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["仍有异议"]},
                                headers=ZHANG)).json()
    retract = {"decision": "upheld", "replies": ["撤销扣分"], "version": 1}
    assert (await client.post(f"/v1/appeals/{second['id']}/answer", json=retract, headers=OFFICE)).status_code == 200
    assert (await client.get("/v1/facts", params={"period_id": "2026-Q1"}, headers=OFFICE)).json()["items"] == []
    assert [(p["action"], p["revision"], p["fact"].get("count")) for p in await _payloads()] == [
        ("upsert", 1, 3), ("upsert", 2, 2), ("retract", 3, 2)]
    mine = (await client.get("/v1/appeals", params={"period_id": "2026-Q1"}, headers=ZHANG)).json()
    assert ([a["status"] for a in mine["items"]], mine["total_count"]) == (["upheld", "upheld"], 2)
    assert (await client.get("/v1/appeals", params={"period_id": "2026-Q1"}, headers=LI)).json() == {
        "items": [], "total_count": 0}
    paged = (await client.get("/v1/appeals", params={"period_id": "2026-Q1", "offset": 1, "limit": 1,
                                                       "status": "upheld"}, headers=ZHANG)).json()
    # filed in the same instant of the test's clock: the second page holds the second by (filed_at, id)
    assert ([a["id"] for a in paged["items"]], paged["total_count"]) == ([mine["items"][1]["id"]], 2)
    assert (await client.get("/v1/appeals", params={"period_id": "2026-Q1", "status": "open"},
                             headers=ZHANG)).json() == {"items": [], "total_count": 0}


async def test_dismissed_appeal_changes_nothing_and_the_window_closes(client: httpx.AsyncClient,
                                                                      clock: Clock) -> None:
    fact_id = await _fact(client)
    clock.now = datetime.now(UTC) + timedelta(days=2)
    filed = (await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["不服"]}, headers=ZHANG)).json()
    assert filed["overdue"] is False
    clock.now += timedelta(days=10, seconds=1)  # the office's 10 days are up
    late_answer = (await client.get(f"/v1/appeals/{filed['id']}", headers=ZHANG)).json()
    assert late_answer["overdue"] is True
    dismissed = {"decision": "dismissed", "replies": ["事实清楚,维持"], "version": 1}
    answered = await client.post(f"/v1/appeals/{filed['id']}/answer", json=dismissed, headers=OFFICE)
    assert (answered.json()["status"], answered.json()["overdue"]) == ("dismissed", False)
    assert [p["action"] for p in await _payloads()] == ["upsert"]
    clock.now = datetime.now(UTC) + timedelta(days=11)
    late = await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["再次申诉"]}, headers=ZHANG)
    assert late.status_code == 409
    assert "(10 days after the fact)" in late.json()["error"]["message"]
