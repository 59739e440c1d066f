"""公示 → 审定: the publication window, objections, finalization, the freeze and reopening."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from tests.conftest import auth, token_for
from tests.ranking.conftest import QUARTERLY, Clock, FakeScoring, deliver, first_scores, subject

OFFICE = auth(("admin", "city"), subject="office")
AUDITOR = auth(("auditor", ""))
U4_UNIT = {"Authorization": f"Bearer {token_for(('subject', 'city/d2/u4'), subject='u4-account')}"}


async def _computed(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    await deliver(ranking, "p1", scoring)


async def _published(ranking: httpx.AsyncClient, scoring: FakeScoring, days: int = 5) -> dict[str, Any]:
    await _computed(ranking, scoring)
    response = await ranking.post("/v1/periods/p1/publication", json={"working_days": days}, headers=OFFICE)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_window_counts_working_days_with_holidays_and_adjusted_workdays(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    # Monday 2026-11-23 10:00 in Shanghai, 5 working days: Mon..Fri, ends Saturday 00:00 (Shanghai).
    period = await _published(ranking, scoring)
    assert _at(period["publication_ends_at"]) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert (period["status"], period["publication_days"], period["published_by"]) == ("published", 5, "office")
    # Wednesday 2026-09-30, 4 working days: 9-30, (国庆 10-01..07), 10-08, 10-09, and Saturday 10-10 (调休).
    clock.now = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    again = await ranking.post("/v1/periods/p1/publication", json={"working_days": 4}, headers=OFFICE)
    assert _at(again.json()["publication_ends_at"]) == datetime(2026, 10, 10, 16, 0, tzinfo=UTC)
    assert (await ranking.post("/v1/periods/p1/publication", json={"working_days": 0},
                               headers=OFFICE)).status_code == 422
    district = auth(("admin", "city/d1"))
    assert (await ranking.post("/v1/periods/p1/publication", json={}, headers=district)).status_code == 403


async def test_objection_blocks_finalization_until_answered(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    await _computed(ranking, scoring)
    early = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": "服务评价有误"},
                               headers=U4_UNIT)
    assert early.status_code == 409  # not published yet
    await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)
    body = {"subject_id": "u4", "text": "服务评价有误"}
    filed = await ranking.post("/v1/periods/p1/objections", json=body,
                               headers={**U4_UNIT, "Idempotency-Key": "obj-1"})
    assert filed.status_code == 201
    replay = await ranking.post("/v1/periods/p1/objections", json=body,
                                headers={**U4_UNIT, "Idempotency-Key": "obj-1"})
    assert (replay.headers["Idempotent-Replay"], replay.json()["id"]) == ("true", filed.json()["id"])
    objection = filed.json()
    assert (objection["status"], objection["result_version"], objection["filed_by"]) == ("open", 1, "u4-account")
    other = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u1", "text": "x"}, headers=U4_UNIT)
    assert other.status_code == 403
    listed = await ranking.get("/v1/periods/p1/objections", headers=auth(("admin", "city/d1")))
    assert listed.json() == []  # u4 lies outside city/d1
    mine = await ranking.get("/v1/periods/p1/objections", params={"subject_id": "u4"}, headers=OFFICE)
    assert [o["id"] for o in mine.json()] == [objection["id"]]
    other_subject = await ranking.get("/v1/periods/p1/objections", params={"subject_id": "u3"}, headers=OFFICE)
    assert other_subject.json() == []
    clock.now = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    late = await ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": "再议"}, headers=U4_UNIT)
    assert late.status_code == 409
    blocked = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    assert (blocked.status_code, blocked.json()["error"]["details"]) == (409, {"open_objections": 1})
    answer_path = f"/v1/objections/{objection['id']}/answer"
    assert (await ranking.post(answer_path, json={"answer": "已复核"},
                               headers=auth(("admin", "city/d1")))).status_code == 403
    answered = await ranking.post(answer_path, json={"answer": "已复核,维持原评分"}, headers=OFFICE)
    assert (answered.json()["status"], answered.json()["answered_by"]) == ("answered", "office")
    assert (await ranking.post(answer_path, json={"answer": "again"}, headers=OFFICE)).status_code == 409
    finalized = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    assert finalized.status_code == 200
    seen = await ranking.get(f"/v1/objections/{objection['id']}", headers=U4_UNIT)
    assert seen.json()["answer"] == "已复核,维持原评分"


async def test_finalize_needs_the_window_to_be_over(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    await _computed(ranking, scoring)
    assert (await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)).status_code == 409  # not published
    await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)
    clock.now = datetime(2026, 11, 27, 15, 59, 59, tzinfo=UTC)
    assert (await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)).status_code == 409
    clock.now += timedelta(seconds=1)
    assert (await ranking.post("/v1/periods/p1/finalize", headers=auth(("admin", "city/d2")))).status_code == 403
    assert (await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)).status_code == 200


async def _finalized(ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock) -> dict[str, Any]:
    await _published(ranking, scoring)
    clock.now = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    response = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_snapshot_is_canonical_json_with_its_hash_and_status_is_announced(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    snapshot = await _finalized(ranking, scoring, clock)
    assert (snapshot["sequence"], snapshot["finalized_by"]) == (1, "office")
    content = await ranking.get("/v1/periods/p1/snapshots/1", headers=AUDITOR)
    assert hashlib.sha256(content.content).hexdigest() == snapshot["sha256"]
    document = json.loads(content.content)
    assert [(s["id"], s["rank"], s["grade"], s["unit_path"]) for s in document["subjects"]] == [
        ("u1", 1, "优秀", "city/d1/u1"), ("u2", 2, "良好", "city/d1/u2"),
        ("u3", 3, "良好", "city/d2/u3"), ("u4", 1, "一般", "city/d2/u4"),
    ]
    assert content.content.decode() == json.dumps(document, sort_keys=True, ensure_ascii=False,
                                                  separators=(",", ":"))
    assert (await ranking.get("/v1/periods/p1/snapshots/1", headers=auth(("admin", "city/d1")))).status_code == 403
    events = await _outbox(ranking)
    assert sorted((e.destination, e.topic, e.payload["status"]) for e in events) == [
        ("evidence", "period.status", "finalized"), ("evidence", "period.status", "published"),
        ("scoring", "period.status", "finalized"), ("scoring", "period.status", "published")]
    assert [e.payload["snapshot_sha256"] for e in events if e.payload["status"] == "finalized"] == \
        [snapshot["sha256"]] * 2


async def _outbox(ranking: httpx.AsyncClient) -> list[Any]:
    from services.ranking.app import app
    from services.ranking.db import common

    async with app.state.db.sessionmaker() as session:
        return list(await session.scalars(select(common.outbox).order_by(common.outbox.created_at)))


async def test_finalized_period_refuses_every_write(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    await _finalized(ranking, scoring, clock)
    writes = [
        ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE),
        ranking.post("/v1/periods/p1/finalize", headers=OFFICE),
        ranking.post("/v1/periods/p1/recompute", headers=OFFICE),
        ranking.post("/v1/periods/p1/objections", json={"subject_id": "u4", "text": "x"}, headers=U4_UNIT),
    ]
    for write in writes:
        response = await write
        assert (response.status_code, response.json()["error"]["code"]) == (409, "conflict")
    # Scoring's events keep arriving; they are accepted (no redelivery loop) but change nothing.
    scoring.scores["p1"][3] = subject("u4", "60", "39")
    outcome = await deliver(ranking, "p1", scoring)
    assert (outcome["applied"], outcome["frozen"], outcome["changed"]) == (True, True, 0)
    u4 = (await ranking.get("/v1/periods/p1/results/u4", headers=AUDITOR)).json()
    assert (u4["version"], u4["total"]) == (1, "70.01")
    assert (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()["stale"] is True


async def test_reopen_with_reason_is_audited_and_a_later_approval_makes_a_new_snapshot(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    first = await _finalized(ranking, scoring, clock)
    assert (await ranking.post("/v1/periods/p1/reopen", json={"reason": ""}, headers=OFFICE)).status_code == 422
    assert (await ranking.post("/v1/periods/p1/reopen", json={"reason": "x"},
                               headers=auth(("admin", "city/d1")))).status_code == 403
    reopened = await ranking.post("/v1/periods/p1/reopen", json={"reason": "申诉成立,更正四中队服务评价"},
                                  headers=OFFICE)
    assert (reopened.status_code, reopened.json()["snapshot_sequence"]) == (200, 1)
    assert (await ranking.post("/v1/periods/p1/reopen", json={"reason": "x"}, headers=OFFICE)).status_code == 409
    trail = (await ranking.get("/v1/audit", params={"entity_id": "p1"}, headers=AUDITOR)).json()
    assert [r["action"] for r in trail] == ["period.published", "period.finalized", "period.reopened"]
    assert trail[-1]["details"] == {"reason": "申诉成立,更正四中队服务评价"}
    scoring.scores["p1"][3] = subject("u4", "50", "39")
    assert (await deliver(ranking, "p1", scoring))["changed"] == 1
    await ranking.post("/v1/periods/p1/publication", json={"working_days": 1}, headers=OFFICE)
    clock.now = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # Saturday publication: Monday is its one working day
    second = (await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)).json()
    assert second["sequence"] == 2 and second["sha256"] != first["sha256"]
    listed = (await ranking.get("/v1/periods/p1/snapshots", headers=AUDITOR)).json()
    assert [(s["sequence"], s["sha256"]) for s in listed] == [(1, first["sha256"]), (2, second["sha256"])]
    statuses = [e.payload["status"] for e in await _outbox(ranking) if e.destination == "scoring"]
    assert statuses == ["published", "finalized", "reopened", "published", "finalized"]
