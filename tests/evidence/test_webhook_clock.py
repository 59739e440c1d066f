"""Webhook scheduling stays on the real clock when the business clock is moved (KAOHE_CLOCK_FILE): deliveries are
due at once, back-off and the retry window count in real time, secrets expire in real time, and the payload's
`timestamp` keeps business time; a pending delivery that is not in flight can be made due now by redelivering it.

The real clock is pinned (`clock.real_now`) so every instant is exact; the dispatcher runs one round at a time
(`dispatch_round`, `drain`), never on a timer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from services.common import clock, notify
from services.common.db import Database, session_scope
from services.evidence.db import common
from services.evidence.webhooks.dispatcher import Timing
from services.evidence.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.evidence.conftest import Stack
from tests.evidence.receiver import Call, Receiver
from tests.evidence.webhook_stack import OFFICE, dispatcher, subscribe

REAL = datetime.now(UTC).replace(microsecond=0)  # the pinned real instant of every test here
THREE_DAYS = timedelta(days=3)
# no jitter (random.uniform is pinned to 1.0 below): the first retry waits exactly `base`
SLOW_RETRY = Timing(timeout=0.5, base=5.0, cap=60.0, idle=0.05, lease_seconds=10.0)


@pytest.fixture
def moved(clock_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clock file (written by each test) and the real clock pinned at REAL."""
    monkeypatch.setattr(clock, "real_now", lambda: REAL)
    monkeypatch.setattr("services.evidence.webhooks.dispatcher.random.uniform", lambda _a, _b: 1.0)
    return clock_file


def set_offset(path: Path, seconds: str) -> None:
    path.write_text(seconds, encoding="utf-8")


async def emit(db: Database, type: str, entity: str) -> str:
    notice_id = ""
    async for session in session_scope(db):
        notice_id = notify.publish(session, type, entity_id=entity, unit_path="city/a", period_id="2026-Q1").id
    return notice_id


async def rows(db: Database) -> list[WebhookDelivery]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


async def audit_details(db: Database, action: str) -> list[Any]:
    model = common.audit
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(model.details).where(model.action == action).order_by(model.id)))


async def test_a_clock_moved_ahead_delays_no_delivery_and_keeps_business_time_in_the_payload(
        stack: Stack, moved: Path) -> None:
    set_offset(moved, "259200\n")  # three days ahead, as a 公示 rehearsal does
    assert clock.now() == REAL + THREE_DAYS
    receiver = await Receiver().start()
    sender = dispatcher(stack.db)
    try:
        created = await subscribe(stack, receiver.url)
        event = await emit(stack.db, "publication.opened", "2026-Q1")
        test = await stack.client.post(f"/v1/webhooks/{created['id']}/test", headers=OFFICE)
        assert test.status_code == 202
        opened, tested = await rows(stack.db)
        for row in (opened, tested):
            assert (row.state, row.next_attempt_at, row.created_at) == ("pending", REAL, REAL)
            assert row.payload["timestamp"] == (REAL + THREE_DAYS).isoformat()
        assert datetime.fromisoformat(test.json()["next_attempt_at"]) == REAL

        assert await sender.dispatch_round() == 2
        await sender.drain()
        assert [c.json["type"] for c in sorted(receiver.calls, key=lambda c: c.json["type"])] == [
            "publication.opened", "webhook.test"]
        opened_call = next(c for c in receiver.calls if c.json["type"] == "publication.opened")
        assert opened_call.headers["webhook-id"] == f"msg_{uuid.UUID(event).hex}"
        assert opened_call.json["timestamp"] == (REAL + THREE_DAYS).isoformat()
        assert [(r.state, r.attempts, r.delivered_at) for r in await rows(stack.db)] == [
            ("delivered", 1, REAL), ("delivered", 1, REAL)]

        # the dispatcher compares a secret's expiry with the real clock: the overlap is counted from it
        rotated = await stack.client.post(f"/v1/webhooks/{created['id']}/rotate-secret", headers=OFFICE)
        assert datetime.fromisoformat(rotated.json()["previous_expires_at"]) == REAL + timedelta(hours=24)
        async with stack.db.sessionmaker() as session:
            subscription = await session.get(WebhookSubscription, created["id"])
            assert subscription is not None and subscription.created_at == REAL
    finally:
        await sender.stop()
        await receiver.stop()


async def test_a_clock_moved_back_neither_gives_up_a_delivery_nor_shortens_its_back_off(
        stack: Stack, moved: Path) -> None:
    set_offset(moved, "-259200")
    answers = [500]

    async def fails_once(_call: Call) -> int:
        return answers.pop(0) if answers else 200

    receiver = await Receiver(fails_once).start()
    sender = dispatcher(stack.db, SLOW_RETRY)
    try:
        created = await subscribe(stack, receiver.url)
        await emit(stack.db, "period.finalised", "2026-Q1")
        assert await sender.dispatch_round() == 1
        await sender.drain()
        [row] = await rows(stack.db)
        # retried 5 s after the real attempt, not given up: it was queued 0 s ago, not 3 days
        assert (row.state, row.attempts, row.last_attempt_at, row.next_attempt_at, row.leased_until) == (
            "pending", 1, REAL, REAL + timedelta(seconds=5), None)
        assert row.payload["timestamp"] == (REAL - THREE_DAYS).isoformat()
        async with stack.db.sessionmaker() as session:
            subscription = await session.get(WebhookSubscription, created["id"])
            assert subscription is not None
            assert (subscription.failing_since, subscription.consecutive_failures) == (REAL, 1)
        assert await sender.dispatch_round() == 0  # not due before its back-off

        # redelivering it, not in flight, sends it now rather than in 5 s
        again = await stack.client.post(f"/v1/webhooks/deliveries/{row.id}/redeliver", headers=OFFICE)
        assert again.status_code == 202
        body = again.json()
        assert (body["id"], body["state"], body["attempts"], body["redelivery_of"]) == (row.id, "pending", 1, None)
        assert datetime.fromisoformat(body["next_attempt_at"]) == REAL
        assert await sender.dispatch_round() == 1
        await sender.drain()
        assert [(r.id, r.state, r.attempts) for r in await rows(stack.db)] == [(row.id, "delivered", 2)]
        assert len(receiver.calls) == 2
    finally:
        await sender.stop()
        await receiver.stop()


async def test_redelivering_a_stuck_delivery_frees_its_queue_but_one_in_flight_is_409(
        stack: Stack, moved: Path) -> None:
    """The probe's case: a delivery queued three days ahead (as before the fix) held back the next test event
    of its subscription; redelivering the later one makes both due, the earlier first."""
    set_offset(moved, "0")
    receiver = await Receiver().start()
    sender = dispatcher(stack.db)
    try:
        created = await subscribe(stack, receiver.url)
        ahead = REAL + THREE_DAYS
        async for session in session_scope(stack.db):
            stuck = WebhookDelivery(
                subscription_id=created["id"], event_id=uuid.uuid4(), type="webhook.test",
                ordering_key=f"WebhookSubscription:{created['id']}", state="pending", attempts=0,
                next_attempt_at=ahead, created_at=ahead,
                payload={"type": "webhook.test", "timestamp": ahead.isoformat(), "data": {"id": created["id"]}})
            session.add(stuck)
        test = (await stack.client.post(f"/v1/webhooks/{created['id']}/test", headers=OFFICE)).json()
        assert datetime.fromisoformat(test["next_attempt_at"]) == REAL
        assert await sender.dispatch_round() == 0  # the new one waits behind the stuck one

        # in flight (its lease runs): 409, as before
        async for session in session_scope(stack.db):
            await session.execute(update(WebhookDelivery).where(WebhookDelivery.id == stuck.id)
                                  .values(leased_until=REAL + timedelta(seconds=1)))
        busy = await stack.client.post(f"/v1/webhooks/deliveries/{stuck.id}/redeliver", headers=OFFICE)
        assert busy.status_code == 409
        assert busy.json()["error"]["message"] == (f"delivery {stuck.id} is still being delivered (attempt 1 due "
                                         f"{ahead + timedelta(hours=8):%Y-%m-%d %H:%M} (UTC+08:00))")  # Shanghai
        # a lease that ran out is no longer in flight
        async for session in session_scope(stack.db):
            await session.execute(update(WebhookDelivery).where(WebhookDelivery.id == stuck.id)
                                  .values(leased_until=REAL - timedelta(seconds=1)))

        again = await stack.client.post(f"/v1/webhooks/deliveries/{test['id']}/redeliver", headers=OFFICE)
        assert again.status_code == 202 and again.json()["id"] == test["id"]
        assert [(r.id, r.next_attempt_at) for r in await rows(stack.db)] == [(stuck.id, REAL), (test["id"], REAL)]
        assert await audit_details(stack.db, "webhook.redeliver") == [
            {"delivery": test["id"], "due_now": [stuck.id]}]
        assert await sender.dispatch_round() == 1  # the stuck one first: events of one entity keep their order
        await sender.drain()
        assert await sender.dispatch_round() == 1
        await sender.drain()
        assert [c.json["timestamp"] for c in receiver.calls] == [ahead.isoformat(), test["payload"]["timestamp"]]
        assert [r.state for r in await rows(stack.db)] == ["delivered", "delivered"]
    finally:
        await sender.stop()
        await receiver.stop()
