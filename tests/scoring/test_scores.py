"""Facts in, recompute, score versions, history, verification, events to ranking (HTTP, real Postgres)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select, text

from services.scoring.db import common
from services.scoring.scores.models import ScoreVersion
from tests.conftest import auth
from tests.scoring.conftest import (
    FACTS,
    admin,
    app_cache,
    app_db,
    empty_evidence,
    fact_event,
    ok,
    service_headers,
    subject_headers,
)


async def _recompute(client: httpx.AsyncClient) -> dict[str, Any]:
    result: dict[str, Any] = await ok(await client.post("/v1/periods/q1/recompute", headers=admin()))
    return result


async def _count(model: Any, *where: Any) -> int:
    async with app_db().sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _scores(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = await ok(await client.get("/v1/periods/q1/scores", headers=headers or service_headers()))
    return body


async def test_first_recompute_stores_every_value_worked_by_hand(period: httpx.AsyncClient) -> None:
    result = await _recompute(period)
    assert (result["score_set"], result["changed"], result["versions_created"]) == (1, True, 8)
    body = await _scores(period)
    got = {s["id"]: (s["scores"], s["total"]) for s in body["subjects"]}
    assert got == {
        "p1": ({"attend": "8", "rankp": "30", "work": "50"}, "88"),
        "p2": ({"attend": "10", "rankp": "20", "work": "40"}, "70"),
    }
    assert body["score_set"] == 1 and body["inputs_sha256"] == result["inputs_sha256"]
    p1 = next(s for s in body["subjects"] if s["id"] == "p1")
    assert p1["explain"]["attend"] == "deduction [f3]: 10 − late 2 × 1 = 8"
    assert (p1["group"], p1["unit_path"], p1["name"]) == ("A", "city/a", "人p1")


async def test_recompute_of_an_unchanged_period_creates_no_version(period: httpx.AsyncClient) -> None:
    await _recompute(period)
    before = await _count(ScoreVersion)
    again = await _recompute(period)
    assert (again["changed"], again["versions_created"], again["score_set"]) == (False, 0, 1)
    assert await _count(ScoreVersion) == before == 8


async def test_a_fact_change_versions_only_the_values_it_moved(period: httpx.AsyncClient) -> None:
    await _recompute(period)
    event_id = uuid.uuid4()
    corrected = {**FACTS[1], "points": "55"}  # p2 overtakes p1: both rank_points move
    await ok(await period.post("/events", json=fact_event("upsert", corrected, event_id=event_id),
                               headers=service_headers()))
    result = await _recompute(period)
    assert (result["versions_created"], result["score_set"]) == (5, 2)
    async with app_db().sessionmaker() as session:
        rows = (await session.execute(
            select(ScoreVersion.subject_id, ScoreVersion.indicator, ScoreVersion.value)
            .where(ScoreVersion.score_set == 2).order_by(ScoreVersion.subject_id, ScoreVersion.indicator))).all()
    assert [(s, i, str(v)) for s, i, v in rows] == [
        ("p1", "rankp", "20"), ("p1", "total", "78"),
        ("p2", "rankp", "30"), ("p2", "total", "95"), ("p2", "work", "55"),
    ]


async def test_event_cause_and_fact_ids_are_kept(period: httpx.AsyncClient) -> None:
    db = app_db()
    from services.scoring.scores.recomputer import Recomputer

    event_id = uuid.uuid4()
    await ok(await period.post("/events", json=fact_event("upsert", {**FACTS[0], "points": "45"}, event_id=event_id),
                               headers=service_headers()))
    assert await Recomputer(db, app_cache(), quiet_seconds=0).run_due() == 1
    history = await ok(await period.get("/v1/periods/q1/subjects/p1/history?indicator=work", headers=admin()))
    assert [h["value"] for h in history] == ["45"]
    assert history[0]["fact_ids"] == ["f1"]
    assert f"event:{event_id}" in history[0]["cause"]
    total = await ok(await period.get("/v1/periods/q1/subjects/p1/history", headers=admin()))
    assert total[0]["fact_ids"] == ["f1", "f3"]


async def test_an_event_delivered_twice_is_applied_once(period: httpx.AsyncClient) -> None:
    await _recompute(period)
    event = fact_event("retract", {"id": "f3"})
    first = await ok(await period.post("/events", json=event, headers=service_headers()))
    second = await ok(await period.post("/events", json=event, headers=service_headers()))
    assert (first, second) == ({"applied": True}, {"applied": False, "duplicate": True})
    result = await _recompute(period)
    assert result["versions_created"] == 2  # p1 attend 8 → 10 and total 88 → 90
    body = await _scores(period)
    assert {s["id"]: s["total"] for s in body["subjects"]} == {"p1": "90", "p2": "70"}


async def test_changes_delivered_out_of_order_keep_the_newest_revision(period: httpx.AsyncClient) -> None:
    async def send(action: str, fact: dict[str, Any], revision: int) -> Any:
        return await ok(await period.post("/events", json=fact_event(action, fact, revision=revision),
                                          headers=service_headers()))

    assert await send("upsert", {**FACTS[1], "points": "45"}, 3) == {"applied": True}
    assert await send("upsert", {**FACTS[1], "points": "55"}, 2) == {"applied": False}  # a late retry
    assert await send("retract", {"id": "f3"}, 2) == {"applied": True}
    assert await send("upsert", {**FACTS[2], "count": 5}, 1) == {"applied": False}  # cannot resurrect f3
    await _recompute(period)
    # p1: work 50, attend 10 (f3 retracted: no lateness), rank 1 of 2 → 30: 90
    # p2: work 45, attend 10, rank 2 → 20: 75
    body = await _scores(period)
    assert {s["id"]: s["total"] for s in body["subjects"]} == {"p1": "90", "p2": "75"}
    assert await send("upsert", {**FACTS[2], "count": 1}, 3) == {"applied": True}  # a newer change revives it
    await _recompute(period)
    body = await _scores(period)
    assert {s["id"]: s["total"] for s in body["subjects"]} == {"p1": "89", "p2": "75"}  # attend 10 − 1


async def test_events_need_a_service_token(period: httpx.AsyncClient) -> None:
    response = await period.post("/events", json=fact_event("upsert", FACTS[0]), headers=admin())
    assert response.status_code == 403
    assert (await period.post("/events", json=fact_event("upsert", FACTS[0]))).status_code == 401


async def test_a_burst_of_events_is_one_debounced_recompute(period: httpx.AsyncClient) -> None:
    from services.scoring.scores.recomputer import Recomputer

    recomputer = Recomputer(app_db(), app_cache(), quiet_seconds=3600)
    assert await recomputer.run_due() == 0  # still inside the quiet time: nothing yet
    for points in ("41", "42", "43"):
        await ok(await period.post("/events", json=fact_event("upsert", {**FACTS[1], "points": points}),
                                   headers=service_headers()))
    assert await Recomputer(app_db(), app_cache(), quiet_seconds=0).run_due() == 1
    body = await _scores(period)
    assert body["score_set"] == 1
    assert {s["id"]: s["scores"]["work"] for s in body["subjects"]} == {"p1": "50", "p2": "43"}


async def test_history_and_as_of(period: httpx.AsyncClient) -> None:
    await _recompute(period)
    between = datetime.now(UTC)
    await asyncio.sleep(0.01)
    await ok(await period.post("/events", json=fact_event("upsert", {**FACTS[1], "points": "55"}),
                               headers=service_headers()))
    await _recompute(period)
    history = await ok(await period.get("/v1/periods/q1/subjects/p2/history?indicator=total", headers=admin()))
    assert [(h["value"], h["score_set"]) for h in history] == [("70", 1), ("95", 2)]
    as_of = await ok(await period.get("/v1/periods/q1/subjects/p2/history",
                                      params={"indicator": "total", "as_of": between.isoformat()}, headers=admin()))
    assert [h["value"] for h in as_of] == ["70"]
    early = await ok(await period.get("/v1/periods/q1/subjects/p2/history",
                                      params={"as_of": "2000-01-01T00:00:00+08:00"}, headers=admin()))
    assert early == []


async def test_verify_ok_then_a_tampered_fact_is_reported(period: httpx.AsyncClient) -> None:
    from services.scoring.app import app

    first = await _recompute(period)
    app.state.evidence_transport = empty_evidence()  # the facts were sent to scoring directly: none in evidence
    report = await ok(await period.post("/v1/periods/q1/verify", headers=auth(("auditor", "city"))))
    unbacked = [{"period_id": "q1", "kind": "unbacked", "fact": fact, "cause": None, "record_id": None,
                 "message": f"fact {fact} in scoring's copy of period q1 has no fact in evidence: no audited change "
                            "of evidence made it (written behind the services' back)"} for fact in ("f1", "f2", "f3")]
    assert report == {"ok": False, "inputs_sha256": first["inputs_sha256"], "mismatches": [],
                      "recompute_pending": False, "provenance": unbacked}
    async with app_db().sessionmaker() as session:
        await session.execute(text(
            "UPDATE scoring.fact_copy SET body = jsonb_set(body, '{points}', '\"59\"') WHERE fact_id = 'f2'"))
        await session.commit()
    report = await ok(await period.post("/v1/periods/q1/verify", headers=auth(("auditor", "city"))))
    del app.state.evidence_transport
    assert report["ok"] is False
    assert report["mismatches"][0]["field"] == "inputs_sha256"
    assert report["mismatches"][0]["stored"] == first["inputs_sha256"]
    assert sorted((m["subject"], m["indicator"], m["stored"], m["computed"]) for m in report["mismatches"][1:]) == [
        ("p1", "rankp", "30", "20"), ("p1", "total", "88", "78"),
        ("p2", "rankp", "20", "30"), ("p2", "total", "70", "99"), ("p2", "work", "40", "59"),
    ]


async def test_scores_changed_goes_to_ranking_through_the_outbox(period: httpx.AsyncClient) -> None:
    result = await _recompute(period)
    async with app_db().sessionmaker() as session:
        rows = (await session.scalars(select(common.outbox).where(common.outbox.topic == "scores.changed"))).all()
    assert [(r.destination, r.payload) for r in rows] == [("ranking", {
        "period_id": "q1", "scheme_id": "tiny", "scheme_version": 1, "label": "2026-Q1", "owner_path": "city",
        "inputs_sha256": result["inputs_sha256"], "score_set": 1, "causes": "user:office"})]
    await _recompute(period)  # unchanged: nothing more to tell
    assert await _count(common.outbox, common.outbox.topic == "scores.changed") == 1


async def test_finalized_by_ranking_refuses_writes_until_reopened(period: httpx.AsyncClient) -> None:
    await _recompute(period)
    status = {"id": str(uuid.uuid4()), "source": "ranking", "topic": "period.status",
              "payload": {"period_id": "q1", "status": "finalized"}}
    assert await ok(await period.post("/events", json=status, headers=service_headers("ranking"))) == {"applied": True}
    refused = await period.post("/events", json=fact_event("upsert", FACTS[0]), headers=service_headers())
    assert refused.status_code == 409
    assert (await period.post("/v1/periods/q1/recompute", headers=admin())).status_code == 409
    enrol = await period.post("/v1/periods/q1/subjects", json={"subjects": [{"id": "p1", "group": "B"}]},
                              headers=admin())
    assert enrol.status_code == 409
    late_publication = {**status, "id": str(uuid.uuid4()), "payload": {"period_id": "q1", "status": "published"}}
    assert await ok(await period.post("/events", json=late_publication, headers=service_headers("ranking"))) == {
        "applied": False}  # a publication delayed behind the approval does not undo it
    reopened = {**status, "id": str(uuid.uuid4()), "payload": {"period_id": "q1", "status": "reopened"}}
    await ok(await period.post("/events", json=reopened, headers=service_headers("ranking")))
    # reopened: results may change again, a new 公示 follows (ranking is back to "computed")
    assert (await ok(await period.get("/v1/periods/q1", headers=admin())))["status"] == "scoring"
    await ok(await period.post("/events", json=fact_event("upsert", FACTS[0]), headers=service_headers()))
    published = {**status, "id": str(uuid.uuid4()), "payload": {"period_id": "q1", "status": "published"}}
    assert await ok(await period.post("/events", json=published, headers=service_headers("ranking"))) == {
        "applied": True}
    assert (await ok(await period.get("/v1/periods/q1", headers=admin())))["status"] == "published"
    late = await period.post("/v1/periods/q1/subjects", json={"subjects": [{"id": "p1", "group": "B"}]},
                             headers=admin())
    assert late.status_code == 409


async def test_rebuild_pulls_evidence_facts_through_the_injected_client(period: httpx.AsyncClient) -> None:
    from services.scoring.app import app

    seen: list[str] = []

    def evidence(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url.params))
        if "after" not in request.url.params:
            return httpx.Response(200, json={"period_id": "q1", "items": [FACTS[0]], "next": "c1"})
        return httpx.Response(200, json={"period_id": "q1", "items": [{**FACTS[1], "points": "60"}],
                                         "next": None})

    app.state.evidence_transport = httpx.MockTransport(evidence)
    try:
        result = await ok(await period.post("/v1/periods/q1/rebuild", headers=admin()))
    finally:
        del app.state.evidence_transport
    assert seen == ["period_id=q1&limit=1000", "period_id=q1&limit=1000&after=c1"]
    assert result["score_set"] == 1
    body = await _scores(period)
    # f3 (p1 late ×2) is gone: p1 50+10+20 = 80, p2 60+10+30 = 100
    assert {s["id"]: s["total"] for s in body["subjects"]} == {"p1": "80", "p2": "100"}


async def test_office_readers_see_only_their_scope_and_subjects_see_no_scores(period: httpx.AsyncClient) -> None:
    await _recompute(period)
    other = await _scores(period, auth(("assessor", "city/b")))
    assert other["subjects"] == [] and other["problems"] == []
    # scores are the office's: the subject sees what the 公示 shows, through ranking (docs/decisions.md)
    mine = await _scores(period, subject_headers("p2"))
    assert mine["subjects"] == []
    head = await _scores(period, auth(("reviewer", "city/a")))
    assert head["subjects"] == []
    # outside the caller's scope a subject's history reads as that of a subject not enrolled (p9): nothing confirmed
    for outsider in (auth(("assessor", "city/b")), subject_headers("p2")):
        for subject in ("p1", "p9"):
            hidden = await period.get(f"/v1/periods/q1/subjects/{subject}/history", headers=outsider)
            assert (hidden.status_code, hidden.json()["error"]["message"]) == (
                404, f"subject {subject} is not enrolled in period q1")
    refused = await period.get("/v1/periods/q1/subjects/p1/history", headers=auth(("reviewer", "city/a")))
    assert refused.status_code == 403  # the unit's head sees the subject, but scores are the office's
    assert (await period.post("/v1/periods/q1/recompute", headers=auth(("admin", "city/b")))).status_code == 403
    assert (await period.post("/v1/periods/q1/verify", headers=auth(("assessor", "city")))).status_code == 403
    seen = await _scores(period, auth(("assessor", "city/a")))
    assert sorted(s["id"] for s in seen["subjects"]) == ["p1", "p2"]
    batch = await ok(await period.get("/v1/periods/q1/scores?subject_ids=p2,p9", headers=auth(("assessor", "city/a"))))
    assert [(s["id"], s["total"]) for s in batch["subjects"]] == [("p2", "70")]
