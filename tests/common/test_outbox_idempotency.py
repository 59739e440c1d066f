"""Outbox delivery with backoff, at-most-once application, and Idempotency-Key replays."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from starlette.requests import Request

from services.common.auth import Principal
from services.common.db import session_scope
from services.common.errors import InvalidInput
from services.common.idempotency import Idempotency
from services.common.outbox import EventIn, OutboxRelay, apply_once, backoff, enqueue
from services.ranking.models import common as ranking_common
from services.scoring.models import common as scoring_common


class FlakyScoring:
    """Another service's HTTP: fails the first `failures` calls, then accepts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/events"
        assert request.headers["Authorization"].startswith("Bearer ")
        if self.failures:
            self.failures -= 1
            return httpx.Response(503, json={"error": {"code": "unavailable"}})
        self.received.append(json.loads(request.content))
        return httpx.Response(200, json={"applied": True})


Outbox = scoring_common.outbox


async def test_outbox_retries_with_backoff_then_delivers_once(service_db: Any) -> None:
    db = await service_db("scoring")
    async for session in session_scope(db):
        event_id = enqueue(session, Outbox, destination="ranking", topic="score.changed",
                           payload={"period": "2026-Q1", "subject": "p001"})
    peer = FlakyScoring(failures=1)
    relay = OutboxRelay(db, Outbox, source="scoring", resolve_url=lambda name: f"http://{name}",
                        transport=httpx.MockTransport(peer))
    assert await relay.deliver_batch() == 1  # claimed, failed
    async with db.sessionmaker() as session:
        row = await session.get(Outbox, event_id)
        assert row.attempts == 1 and row.delivered_at is None and "503" in row.last_error
        assert row.available_at > datetime.now(UTC)  # backed off: not due again yet
    assert await relay.deliver_batch() == 0
    async with db.sessionmaker() as session:
        await session.execute(update(Outbox).values(available_at=datetime.now(UTC) - timedelta(seconds=1)))
        await session.commit()
    assert await relay.deliver_batch() == 1
    assert await relay.deliver_batch() == 0  # delivered rows are never sent again
    assert peer.received == [{"id": str(event_id), "source": "scoring", "topic": "score.changed",
                              "payload": {"period": "2026-Q1", "subject": "p001"}}]
    await relay.stop()


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 10, 30)] == [1, 2, 4, 8, 300, 300]


async def test_an_event_is_applied_once(service_db: Any) -> None:
    db = await service_db("ranking")
    event = EventIn(id=uuid.uuid4(), source="scoring", topic="score.changed", payload={})
    async with db.sessionmaker() as session:
        assert await apply_once(session, ranking_common.inbox, event) is True
        assert await apply_once(session, ranking_common.inbox, event) is False


def _request(key: str | None, path: str = "/v1/things") -> Request:
    headers = [(b"idempotency-key", key.encode())] if key else []
    return Request({"type": "http", "method": "POST", "path": path, "headers": headers, "query_string": b""})


async def test_same_key_same_body_replays_the_first_response(service_db: Any) -> None:
    db = await service_db("scoring")
    alice = Principal(subject="alice")
    made: list[int] = []

    async def create() -> dict[str, Any]:
        made.append(1)
        return {"id": len(made)}

    async with db.sessionmaker() as session:
        idem = Idempotency(_request("k-1"), scoring_common.idempotency)
        first = await idem.once(session, alice, {"name": "a"}, create)
        again = await idem.once(session, alice, {"name": "a"}, create)
        assert json.loads(first.body) == {"id": 1} and first.status_code == 201
        assert json.loads(again.body) == {"id": 1} and again.headers["Idempotent-Replay"] == "true"
        assert made == [1]
        with pytest.raises(InvalidInput, match="different request body"):
            await idem.once(session, alice, {"name": "b"}, create)
        other = await Idempotency(_request("k-1"), scoring_common.idempotency).once(
            session, Principal(subject="bob"), {"name": "a"}, create)
        assert json.loads(other.body) == {"id": 2}  # keys belong to their caller
        rows = (await session.scalars(select(scoring_common.idempotency))).all()
        assert len(rows) == 2


async def test_without_a_key_every_call_creates(service_db: Any) -> None:
    db = await service_db("scoring")
    count = 0

    async def create() -> dict[str, int]:
        nonlocal count
        count += 1
        return {"n": count}

    async with db.sessionmaker() as session:
        idem = Idempotency(_request(None), scoring_common.idempotency)
        await idem.once(session, Principal(subject="a"), {}, create)
        await idem.once(session, Principal(subject="a"), {}, create)
    assert count == 2


def test_an_overlong_key_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Idempotency(_request("k" * 201), scoring_common.idempotency)
