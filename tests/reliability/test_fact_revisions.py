"""An older revision of a fact that arrives after a newer one (a retried outbox row whose backoff outlasted the
next one's) does not overwrite it (regression of the out-of-order delivery check; fixed in scoring by a882fa9)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.reliability.test_event_delivery import FACTS, _totals
from tests.scoring.conftest import make_org, ok, open_period, publish, service_headers


def _event(fact: dict[str, Any], revision: int) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "source": "evidence", "topic": "fact.changed",
            "payload": {"period_id": "q1", "action": "upsert", "fact": fact, "revision": revision}}


async def test_an_older_revision_arriving_late_does_not_win(api: Any) -> None:
    client = await api("scoring")
    await make_org(client)
    await publish(client)
    await open_period(client)
    await ok(await client.post("/events", json=_event(FACTS[1], 1), headers=service_headers()))
    await ok(await client.post("/events", json=_event({**FACTS[0], "points": "45"}, 2), headers=service_headers()))
    await ok(await client.post("/events", json=_event(FACTS[0], 1), headers=service_headers()))  # stale, late
    # p1 work 45 (revision 2), attend 10, rank 1 → 30: 85; p2 work 40, attend 10, rank 2 → 20: 70
    assert await _totals(client) == {"p1": "85", "p2": "70"}
