"""Appeals through the API: window, point-by-point answers, correction and retraction flowing out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select, update

from services.evidence.app import app as evidence_app
from services.evidence.facts.models import Fact
from services.evidence.models import common
from tests.conftest import auth, token_for
from tests.evidence.conftest import Clock
from tests.scoring.conftest import service_headers

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
    appeal = {"fact_id": fact_id, "points": ["迟到系因公外出", "次数与考勤记录不符"]}
    assert (await client.post("/v1/appeals", json=appeal, headers=LI)).status_code == 404
    filed = await client.post("/v1/appeals", json=appeal, headers=ZHANG)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert (body["status"], body["filed_by"], body["version"]) == ("open", "zhang", 1)
    # filed Mon 2026-03-02 09:00 Shanghai; 10 working days after it (none of them a holiday): Mon 03-16, to its end
    assert body["answer_due_at"] == "2026-03-16T15:59:59.999999Z"
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


async def _changed_at(fact_id: str, moment: datetime) -> None:
    """Date the fact's last change (the services write it on the process clock, which the test's does not move)."""
    async with evidence_app.state.db.sessionmaker() as session:
        await session.execute(update(Fact).where(Fact.id == fact_id).values(updated_at=moment))
        await session.commit()


async def _publish(client: httpx.AsyncClient, published_at: str) -> None:
    event = {"id": str(uuid.uuid4()), "source": "ranking", "topic": "period.status",
             "payload": {"period_id": "2026-Q1", "status": "published", "published_at": published_at}}
    assert (await client.post("/events", json=event, headers=service_headers("ranking"))).json() == {"applied": True}


async def test_dismissed_appeal_changes_nothing_and_the_window_runs_from_the_publication(
        client: httpx.AsyncClient, clock: Clock) -> None:
    """Working days in Shanghai (no holiday in March 2026; Qingming is 04-04 to 04-06). The deduction was recorded
    Mon 01-05, early in the quarter: until the 公示 it can be appealed whenever the subject learns of it. Filed Fri
    03-06 10:00, the office answers by the end of the 10th working day after it, Fri 03-20 (15:59:59.999999Z). The
    公示 is Mon 03-09 10:00: the window ends with the 10th working day after it, Mon 03-23 (24时); a fact changed
    later, Fri 03-20, may be appealed until the end of Fri 04-03."""
    fact_id = await _fact(client)
    await _changed_at(fact_id, datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    clock.now = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
    filed = (await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["不服"]}, headers=ZHANG)).json()
    assert (filed["answer_due_at"], filed["overdue"]) == ("2026-03-20T15:59:59.999999Z", False)
    clock.now = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)  # Sat 03-21 00:00 Shanghai: the office is late
    late_answer = (await client.get(f"/v1/appeals/{filed['id']}", headers=ZHANG)).json()
    assert late_answer["overdue"] is True
    dismissed = {"decision": "dismissed", "replies": ["事实清楚,维持"], "version": 1}
    answered = await client.post(f"/v1/appeals/{filed['id']}/answer", json=dismissed, headers=OFFICE)
    assert (answered.json()["status"], answered.json()["overdue"]) == ("dismissed", False)
    assert [p["action"] for p in await _payloads()] == ["upsert"]

    await _publish(client, "2026-03-09T02:00:00Z")
    clock.now = datetime(2026, 3, 23, 15, 59, 59, tzinfo=UTC)  # Mon 23:59:59: the window's last second
    again = await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["再次申诉"]}, headers=ZHANG)
    assert again.status_code == 201, again.text
    assert (await client.post(f"/v1/appeals/{again.json()['id']}/answer", json=dismissed,
                              headers=OFFICE)).status_code == 200
    clock.now = datetime(2026, 3, 23, 16, 0, tzinfo=UTC)
    late = await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["再次申诉"]}, headers=ZHANG)
    assert (late.status_code, late.json()["error"]["message"], late.json()["error"]["details"]) == (409, (
        f"the appeal window for {fact_id} closed at 2026-03-24 00:00 (UTC+08:00) (10 working days after the 公示 "
        "or the fact's later change)"), {"fact_id": fact_id, "closed_at": "2026-03-23T15:59:59.999999Z"})
    chinese = await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["再次申诉"]},
                                headers={**ZHANG, "Accept-Language": "zh-CN"})
    assert chinese.json()["error"]["message"] == (
        f"事实 {fact_id} 的申诉期已于2026年3月23日24时（北京时间）结束（公示或事实此后变更之日起 10 个工作日）")

    await _changed_at(fact_id, datetime(2026, 3, 20, 2, 0, tzinfo=UTC))  # corrected after the 公示, Fri 03-20
    clock.now = datetime(2026, 4, 3, 15, 59, 59, tzinfo=UTC)
    corrected = await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["更正后仍有误"]}, headers=ZHANG)
    assert corrected.status_code == 201, corrected.text
    # filed Fri 04-03; 10 working days after it, Qingming's Mon 04-06 off: 04-07..04-10, 04-13..04-17, Mon 04-20
    assert corrected.json()["answer_due_at"] == "2026-04-20T15:59:59.999999Z"


async def test_a_misspelt_correction_names_the_correction(client: httpx.AsyncClient, clock: Clock) -> None:
    """(newcomer probe) answerAppeal(correction: {justifed: true}) named `content.justifed`, a field the office never
    sent: the correction is refused naming `correction.justifed`, and its values as `correction.<key>`."""
    fact_id = await _fact(client)
    filed = (await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["因公外出"]}, headers=ZHANG)).json()
    for correction, field in (({"justifed": True}, "correction.justifed"), ({"count": -1}, "correction.count")):
        answer = {"decision": "upheld", "replies": ["属实"], "correction": correction, "version": 1}
        refused = await client.post(f"/v1/appeals/{filed['id']}/answer", json=answer, headers=OFFICE)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert [d["field"] for d in error["details"]] == [field]
        assert error["message"].startswith(f"{field}: ")
    # nothing was answered: the appeal is still open at its first version
    assert (await client.get(f"/v1/appeals/{filed['id']}", headers=OFFICE)).json()["status"] == "open"
