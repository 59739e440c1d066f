"""Concurrency and delivery: two reviewers approving at once on real connections (one wins), and the
outbox reaching scoring after scoring was down, with redelivery ignored by the consumer's inbox."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from services.common.db import Database, create_engine
from services.common.outbox import EventIn, OutboxRelay, apply_once
from services.evidence.app import app as evidence_app
from services.evidence.attachments.storage import LocalStorage
from services.evidence.models import common
from services.scoring.models import common as scoring_common
from tests.conftest import auth, service_client
from tests.evidence.conftest import SCORE, FakeScoring

ASSESSOR_A = auth(("assessor", "city/a"), subject="assessor-a")


async def test_two_concurrent_approvals_exactly_one_wins(fresh_database: Any, tmp_path: Any) -> None:
    db = Database(create_engine(fresh_database(), pool_size=4), "evidence")
    evidence_app.state.scoring_transport = httpx.MockTransport(FakeScoring())
    evidence_app.state.scoring_client = None
    evidence_app.state.attachment_storage = LocalStorage(tmp_path)
    async with service_client("evidence", db) as client:
        sub = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
        body = {"action": "approve", "version": 1}
        first, second = (auth(("reviewer", "city/a"), subject=name) for name in ("chief-1", "chief-2"))
        responses = await asyncio.gather(
            client.post(f"/v1/submissions/{sub['id']}/decisions", json=body, headers=first),
            client.post(f"/v1/submissions/{sub['id']}/decisions", json=body, headers=second),
        )
        assert sorted(r.status_code for r in responses) == [201, 409]
        decisions = (await client.get(f"/v1/submissions/{sub['id']}/decisions", headers=first)).json()
        assert len(decisions) == 1
        facts = (await client.get("/v1/facts", params={"period_id": "2026-Q1"}, headers=first)).json()
        assert len(facts["items"]) == 1
    await db.dispose()


class FlakyScoring:
    """Scoring's `/events`, down for the first `failures` calls, then applying each event once."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.applied: list[dict[str, Any]] = []
        self.seen: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.failures:
            self.failures -= 1
            return httpx.Response(503)
        event = json.loads(request.content)
        if event["id"] not in self.seen:
            self.seen.add(event["id"])
            self.applied.append(event)
        return httpx.Response(200, json={"applied": True})


async def _due_now(db: Database) -> None:
    async with db.sessionmaker() as session:
        await session.execute(update(common.outbox).values(available_at=datetime.now(UTC) - timedelta(seconds=1)))
        await session.commit()


async def test_outbox_delivers_after_scoring_was_down(client: httpx.AsyncClient, service_db: Any) -> None:
    reviewer = auth(("reviewer", "city/a"), subject="chief")
    sub = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
    await client.post(f"/v1/submissions/{sub['id']}/decisions", json={"action": "approve", "version": 1},
                      headers=reviewer)
    await client.post(f"/v1/submissions/{sub['id']}/decisions",
                      json={"action": "revoke", "reason": "撤销", "version": 2}, headers=reviewer)
    db: Database = evidence_app.state.db
    scoring = FlakyScoring(failures=3)
    relay = OutboxRelay(db, common.outbox, source="evidence", resolve_url=lambda name: f"http://{name}",
                        transport=httpx.MockTransport(scoring))
    assert await relay.deliver_batch() == 2  # both fail (3 failures left → 1)
    assert await relay.deliver_batch() == 0  # backing off
    await _due_now(db)
    assert await relay.deliver_batch() == 2  # the third failure, then one delivery
    await _due_now(db)
    assert await relay.deliver_batch() == 1
    assert await relay.deliver_batch() == 0
    await relay.stop()
    fact_id = f"sub-{sub['id']}"
    # Each change arrives exactly once although scoring failed three times; retries may reorder them
    # (here both rows share one test transaction's timestamp), so the revision says which is newer.
    delivered = sorted((e["payload"]["revision"], e["payload"]["action"], e["payload"]["fact"]["id"], e["topic"])
                       for e in scoring.applied)
    assert delivered == [(1, "upsert", fact_id, "fact.changed"), (2, "retract", fact_id, "fact.changed")]
    # The consumer side: scoring's inbox applies an event id once and ignores the redelivery.
    scoring_db = await service_db("scoring")
    event = EventIn.model_validate({**scoring.applied[0], "id": uuid.UUID(scoring.applied[0]["id"])})
    async with scoring_db.sessionmaker() as session:
        assert await apply_once(session, scoring_common.inbox, event) is True
        assert await apply_once(session, scoring_common.inbox, event) is False
