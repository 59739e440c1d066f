"""Outbox events delivered out of order and several times over: every fact is applied once and the scores equal
those of the clean, in-order delivery (worked by hand in tests/scoring/conftest.py: p1 88, p2 70)."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from services.scoring.db import common
from tests.scoring.conftest import admin, app_db, fact_event, make_org, ok, open_period, publish, service_headers

FACTS: list[dict[str, Any]] = [
    {"id": "f1", "subject": "p1", "indicator": "work", "fact": "score", "points": "50"},
    {"id": "f2", "subject": "p2", "indicator": "work", "fact": "score", "points": "40"},
    {"id": "f3", "subject": "p1", "indicator": "attend", "fact": "event", "type": "late", "count": 2},
    {"id": "f4", "subject": "p2", "indicator": "attend", "fact": "event", "type": "late", "count": 1},
    {"id": "f5", "subject": "p2", "indicator": "attend", "fact": "event", "type": "late", "count": 3},
]


async def _totals(client: httpx.AsyncClient) -> dict[str, str]:
    await ok(await client.post("/v1/periods/q1/recompute", headers=admin()))
    body = await ok(await client.get("/v1/periods/q1/scores", headers=service_headers()))
    return {s["id"]: s["total"] for s in body["subjects"]}


async def test_shuffled_and_repeated_delivery_applies_each_event_once(api: Any) -> None:
    client: httpx.AsyncClient = await api("scoring")
    await make_org(client)
    await publish(client)
    await open_period(client)
    # f4 is retracted after it arrived; the retraction is an event of its own
    events = [fact_event("upsert", fact) for fact in FACTS] + [fact_event("retract", {"id": "f4"})]
    upserts, retraction = events[:-1], events[-1]
    deliveries = [*upserts, *upserts[1:3], *upserts]  # every event at least twice, some three times
    random.Random(7).shuffle(deliveries)
    answers = [await ok(await client.post("/events", json=e, headers=service_headers())) for e in deliveries]
    answers += [await ok(await client.post("/events", json=retraction, headers=service_headers())) for _ in range(3)]
    assert sum(a == {"applied": True} for a in answers) == 6
    assert sum(a == {"applied": False, "duplicate": True} for a in answers) == len(answers) - 6
    async with app_db().sessionmaker() as session:
        inbox = await session.scalar(select(func.count()).select_from(common.inbox))
    assert inbox == 6
    # p1: work 50, attend 10 − 2 = 8, rank_points 30 → 88; p2: work 40, attend 10 − 3 = 7, rank_points 20 → 67
    assert await _totals(client) == {"p1": "88", "p2": "67"}


async def test_a_retraction_before_its_upsert_does_not_resurrect_a_repeat(api: Any) -> None:
    """A repeat of an already-applied upsert after the retraction is ignored by its event id."""
    client: httpx.AsyncClient = await api("scoring")
    await make_org(client)
    await publish(client)
    await open_period(client)
    first = fact_event("upsert", FACTS[0], event_id=uuid.uuid4())
    for event in (first, fact_event("upsert", FACTS[1]), fact_event("retract", {"id": "f1"}), first):
        await ok(await client.post("/events", json=event, headers=service_headers()))
    # p1 has no work fact (0) and ranks second (20); p2: 40 + 10 + 30
    assert await _totals(client) == {"p1": "30", "p2": "80"}
