"""Newcomer probe: the audit trail could not reconstruct an appeal (`appeal.file` with empty details, `appeal.answer`
with only `late`, the fact's correction naming no appeal and the fact still sourced to the submission). An auditor
now rebuilds an upheld appeal from the audit records alone: from the event scoring names as a score's cause to the
fact change, from there to the appeal, its grounds' digest, the decision, the replies and the values corrected."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from services.evidence.app import app as evidence_app
from services.evidence.models import common
from tests.conftest import auth
from tests.evidence.conftest import Clock
from tests.evidence.test_appeals import OFFICE, ZHANG, _fact

AUDITOR = auth(("auditor", ""), subject="auditor")
POINTS = ["迟到系因公外出", "次数与考勤记录不符"]
REPLIES = ["属实", "核减1次"]


def _sha256(canonical_json: str) -> str:
    return hashlib.sha256(canonical_json.encode()).hexdigest()


async def _trail(client: httpx.AsyncClient, entity_id: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = (await client.get("/v1/audit", params={"entity_id": entity_id},
                                                      headers=AUDITOR)).json()
    return [{k: r[k] for k in ("actor", "action", "entity_id", "details")} for r in records]


async def _event_of_revision(revision: int) -> str:
    """The id of the fact.changed event evidence sent for a revision: what scoring names as a score's cause."""
    async with evidence_app.state.db.sessionmaker() as session:
        rows = (await session.scalars(select(common.outbox))).all()
    return next(str(r.id) for r in rows if r.payload["revision"] == revision)


async def test_an_auditor_reconstructs_an_upheld_appeal_from_the_trail(client: httpx.AsyncClient,
                                                                       clock: Clock) -> None:
    fact_id = await _fact(client)  # late × 3 on 2026-03-02 for p001, approved by chief-a
    filed = (await client.post("/v1/appeals", json={"fact_id": fact_id, "points": POINTS}, headers=ZHANG)).json()
    answer = {"decision": "upheld", "replies": REPLIES, "correction": {"count": 2}, "version": 1}
    assert (await client.post(f"/v1/appeals/{filed['id']}/answer", json=answer, headers=OFFICE)).status_code == 200

    # 1. the cause scoring names (the event of revision 2) leads to the fact change, which names the appeal
    event = await _event_of_revision(2)
    [change] = await _trail(client, f"event:{event}")
    assert change == {"actor": "office", "action": "fact.upsert", "entity_id": fact_id,
                      "details": {"appeal": filed["id"], "event": event}}
    # 2. the appeal's own records: who filed it on which grounds, who answered what, and what it corrected
    file, answered = await _trail(client, filed["id"])
    assert file == {"actor": "zhang", "action": "appeal.file", "entity_id": filed["id"], "details": {
        "fact_id": fact_id, "subject_id": "p001", "fact_revision": 1,
        # filed Mon 2026-03-02 09:00 Shanghai: due at the end of the 10th working day after, Mon 03-16 (in UTC ending
        # in Z, as the APIs write instants: newcomer probe)
        "answer_due_at": "2026-03-16T15:59:59.999999Z",
        "points": POINTS, "points_lengths": [7, 9],
        "points_sha256": _sha256('["迟到系因公外出","次数与考勤记录不符"]')}}
    assert answered == {"actor": "office", "action": "appeal.answer", "entity_id": filed["id"], "details": {
        "late": False, "decision": "upheld", "fact_id": fact_id,
        "correction": {"fact_id": fact_id, "action": "upsert", "revision": 2,
                       "before": {"type": "late", "count": 3, "date": "2026-03-02"},
                       "after": {"type": "late", "count": 2, "date": "2026-03-02"}},
        "replies": REPLIES, "replies_lengths": [2, 4], "replies_sha256": _sha256('["属实","核减1次"]')}}
    # the fact now names the appeal as what wrote it
    [record] = (await client.get("/v1/facts/records", params={"period_id": "2026-Q1"}, headers=OFFICE)).json()[
        "items"]
    assert (record["source_type"], record["source_id"], record["revision"]) == ("appeal", filed["id"], 2)

    # an upheld appeal without a correction retracts the fact: the retraction names the appeal too
    second = (await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["仍有异议"]},
                                headers=ZHANG)).json()
    retract = {"decision": "upheld", "replies": ["撤销扣分"], "version": 1}
    assert (await client.post(f"/v1/appeals/{second['id']}/answer", json=retract, headers=OFFICE)).status_code == 200
    gone = await _event_of_revision(3)
    assert await _trail(client, gone) == [{
        "actor": "office", "action": "fact.retract", "entity_id": fact_id,
        "details": {"appeal": second["id"], "reason": f"appeal {second['id']} upheld", "event": gone}}]
    assert (await _trail(client, second["id"]))[1]["details"]["correction"] == {
        "fact_id": fact_id, "action": "retract", "revision": 3,
        "before": {"type": "late", "count": 2, "date": "2026-03-02"}}


async def test_long_replies_are_kept_bounded_with_the_digest_of_the_whole(client: httpx.AsyncClient,
                                                                           clock: Clock) -> None:
    fact_id = await _fact(client)
    clock.now = datetime.now(UTC) + timedelta(days=1)
    filed = (await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["甲" * 2000]},
                               headers=ZHANG)).json()
    answer = {"decision": "dismissed", "replies": ["乙" * 5000], "version": 1}
    assert (await client.post(f"/v1/appeals/{filed['id']}/answer", json=answer, headers=OFFICE)).status_code == 200
    file, answered = await _trail(client, filed["id"])
    assert (file["details"]["points"], file["details"]["points_lengths"]) == (["甲" * 500], [2000])
    assert file["details"]["points_sha256"] == _sha256('["' + "甲" * 2000 + '"]')
    assert (answered["details"]["decision"], answered["details"]["correction"]) == ("dismissed", None)
    assert (answered["details"]["replies"], answered["details"]["replies_lengths"]) == (["乙" * 500], [5000])
    assert answered["details"]["replies_sha256"] == _sha256('["' + "乙" * 5000 + '"]')
