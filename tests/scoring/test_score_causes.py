"""Newcomer probe: after a bulk upload every subject's score version named every event of the file (eleven ids, other
subjects' facts among them), too long to walk, and the period's scores.recompute record had that list cut at the
actor column, mid-uuid. Now a version names the events that changed its own subject's facts, a value moved only by
other subjects' facts names its score set, and the audit record's actor is the recompute with every event whole in
its details (hash chain intact)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from services.scoring.db import common
from services.scoring.scores.recomputer import Recomputer
from tests.conftest import auth
from tests.scoring.conftest import FACTS, admin, app_cache, app_db, empty_evidence, fact_event, ok, service_headers

AUDITOR = auth(("auditor", ""), subject="auditor")


async def _versions(client: httpx.AsyncClient, subject: str, indicator: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await ok(await client.get(
        f"/v1/periods/q1/subjects/{subject}/history?indicator={indicator}", headers=admin()))
    return found


async def _recompute_records(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    records = await ok(await client.get("/v1/audit", params={"entity_id": "q1"}, headers=AUDITOR))
    return [r for r in records if r["action"] == "scores.recompute"]


async def _batch(client: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
    answer = await ok(await client.post("/events/batch", json={"events": events}, headers=service_headers()))
    assert answer == {"events": [{"applied": True}] * len(events)}
    assert await Recomputer(app_db(), app_cache(), quiet_seconds=0).run_due() == 1


async def test_a_version_names_only_the_events_of_its_own_subjects_facts(period: httpx.AsyncClient) -> None:
    await ok(await period.post("/v1/periods/q1/recompute", headers=admin()))  # score set 1: p1 88, p2 70
    e1, e2 = uuid.uuid4(), uuid.uuid4()
    # p2's work corrected twice in one batch (55, then 56): p2 becomes first, so p1's rank points fall 30 → 20
    # through the rank_points rule although none of p1's facts changed
    await _batch(period, [fact_event("upsert", {**FACTS[1], "points": "55"}, event_id=e1, revision=1),
                          fact_event("upsert", {**FACTS[1], "points": "56"}, event_id=e2, revision=2)])

    # p2: work 56, attend 10, rank 1 of 2 → 30: 96; p1: work 50, attend 10 − 2 = 8, rank 2 → 20: 78
    p2_total, p1_total = (await _versions(period, "p2", "total"))[-1], (await _versions(period, "p1", "total"))[-1]
    assert (p2_total["value"], p2_total["score_set"], p2_total["cause"]) == ("96", 2, f"event:{e1},event:{e2}")
    assert (p1_total["value"], p1_total["score_set"], p1_total["cause"]) == ("78", 2, "score_set:2")
    assert (await _versions(period, "p1", "rankp"))[-1]["cause"] == "score_set:2"
    assert (await _versions(period, "p2", "work"))[-1]["cause"] == f"event:{e1},event:{e2}"

    first, second = await _recompute_records(period)
    # score set 1: the office's recompute, after the three facts' events and the period's opening (user:office)
    assert (first["actor"], first["details"]["score_set"], first["details"]["causes_total"]) == ("user:office", 1, 4)
    assert [c.split(":")[0] for c in first["details"]["causes"]] == ["event", "event", "event", "user"]
    # score set 2's record: the recompute acted, the events are whole in its details, in the order applied
    assert (second["actor"], second["details"]) == (
        "system:recompute", {"score_set": 2, "causes": [f"event:{e1}", f"event:{e2}"], "causes_total": 2})
    from services.scoring.app import app

    app.state.evidence_transport = empty_evidence()  # the facts came to scoring directly: evidence holds none
    try:
        report = await ok(await period.get("/v1/audit/verify", headers=AUDITOR))
    finally:
        del app.state.evidence_transport
    # the chain and every audited row hold; what is named is only the facts no evidence change vouches for
    assert (report["first_broken_id"], report["row_problems"], report["unsealed"]) == (None, [], 0)
    # the period's three facts (none in evidence) and the two events of score set 2 (no audited change of evidence)
    kinds = [p["kind"] for p in report["provenance"]]
    assert (kinds.count("unbacked"), kinds.count("cause"), report["provenance_count"]) == (3, 2, 5)


async def test_a_subject_changed_by_more_events_than_a_cause_holds(period: httpx.AsyncClient) -> None:
    await ok(await period.post("/v1/periods/q1/recompute", headers=admin()))
    events = [uuid.uuid4() for _ in range(47)]
    # 47 new lateness facts of p1: its attendance falls to 0 (10 − 49, held at 0)
    await _batch(period, [fact_event("upsert", {"id": f"late-{n}", "subject": "p1", "indicator": "attend",
                                                "fact": "event", "type": "late", "count": 1}, event_id=event)
                          for n, event in enumerate(events)])
    cause = (await _versions(period, "p1", "attend"))[-1]["cause"]
    # "event:<uuid>" is 42 characters: 46 of them and 45 commas are 1,977; the 47th would pass 2,000
    assert cause == ",".join([*(f"event:{e}" for e in events[:46]), "more:1"])
    assert (await _versions(period, "p1", "attend"))[-1]["value"] == "0"

    async with app_db().sessionmaker() as session:
        payload = (await session.scalars(select(common.outbox.payload).where(
            common.outbox.topic == "scores.changed").order_by(common.outbox.created_at))).all()[-1]
    # ranking's copy holds 500 characters: 8 for ",more:NN", then 11 whole events (11 × 43 = 473)
    assert payload["causes"] == ",".join([*(f"event:{e}" for e in events[:11]), "more:36"])
    record = (await _recompute_records(period))[-1]
    assert record["actor"] == "system:recompute"
    assert record["details"]["causes"] == [f"event:{e}" for e in events] and record["details"]["causes_total"] == 47
