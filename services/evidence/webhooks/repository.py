"""All SQL of the event log and the webhooks."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.evidence.webhooks.models import EventRecord, WebhookDelivery, WebhookSecret, WebhookSubscription

# Events get their `seq` under this transaction-scoped lock, held to the commit: the log is gap-free in commit
# order, so a reader that has seen seq N never meets a smaller one later (GraphQL subscriptions resume by seq).
LOG_LOCK = int.from_bytes(hashlib.sha256(b"kaohe-event-log").digest()[:8], "big", signed=True)
CHANNEL = "kaohe_events"


async def add_events(session: AsyncSession, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the events not logged before; returns the ids that are new."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOG_LOCK})
    stmt = insert(EventRecord).values(rows).on_conflict_do_nothing(index_elements=["id"]).returning(EventRecord.id)
    new = set((await session.scalars(stmt)).all())
    if new:
        await session.execute(text("SELECT pg_notify(:c, '')"), {"c": CHANNEL})
    return new


async def active_subscriptions(session: AsyncSession) -> Sequence[WebhookSubscription]:
    return (await session.scalars(select(WebhookSubscription).where(WebhookSubscription.status == "active"))).all()


async def add_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(WebhookDelivery).values(rows))


async def subscription(session: AsyncSession, subscription_id: str, *,
                       lock: bool = False) -> WebhookSubscription | None:
    stmt = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def subscriptions(session: AsyncSession) -> Sequence[WebhookSubscription]:
    return (await session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.created_at,
                                                                       WebhookSubscription.id))).all()


async def secrets_in_force(session: AsyncSession, subscription_id: str, now: datetime) -> list[str]:
    """Newest first: the current secret, then the previous ones still in their overlap."""
    rows = await session.scalars(
        select(WebhookSecret.secret)
        .where(WebhookSecret.subscription_id == subscription_id,
               or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > now))
        .order_by(WebhookSecret.id.desc()))
    return list(rows.all())


async def expire_secrets(session: AsyncSession, subscription_id: str, at: datetime) -> None:
    await session.execute(update(WebhookSecret)
                          .where(WebhookSecret.subscription_id == subscription_id,
                                 or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > at))
                          .values(expires_at=at))


async def deliveries(session: AsyncSession, subscription_ids: Sequence[str], *, limit: int,
                     before: int | None = None) -> Sequence[WebhookDelivery]:
    """The newest deliveries of the subscriptions, newest first."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id.in_(subscription_ids))
    if before is not None:
        stmt = stmt.where(WebhookDelivery.id < before)
    return (await session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit))).all()


async def delivery(session: AsyncSession, delivery_id: int) -> WebhookDelivery | None:
    return await session.get(WebhookDelivery, delivery_id)


async def claimable(session: AsyncSession, now: datetime, limit: int) -> Sequence[WebhookDelivery]:
    """Due deliveries of active subscriptions that head their (subscription, entity) queue: nothing older about
    the same entity is still pending for that subscription, so each subscriber sees an entity's events in order.
    Locked (SKIP LOCKED): two dispatchers never claim the same row."""
    older = aliased(WebhookDelivery)
    stmt = (
        select(WebhookDelivery)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now,
               or_(WebhookDelivery.leased_until.is_(None), WebhookDelivery.leased_until < now),
               WebhookSubscription.status == "active",
               ~exists().where(and_(older.subscription_id == WebhookDelivery.subscription_id,
                                    older.ordering_key == WebhookDelivery.ordering_key,
                                    older.state == "pending", older.id < WebhookDelivery.id)))
        .order_by(WebhookDelivery.id)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    return (await session.scalars(stmt)).all()


async def in_flight(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Leased deliveries per subscription (being sent by some dispatcher)."""
    rows = await session.execute(
        select(WebhookDelivery.subscription_id, func.count())
        .where(WebhookDelivery.state == "pending", WebhookDelivery.leased_until >= now)
        .group_by(WebhookDelivery.subscription_id))
    return {str(sub): int(count) for sub, count in rows.all()}


async def events_after(session: AsyncSession, seq: int, limit: int) -> Sequence[EventRecord]:
    return (await session.scalars(select(EventRecord).where(EventRecord.seq > seq)
                                  .order_by(EventRecord.seq).limit(limit))).all()


async def last_seq(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(EventRecord.seq), 0))) or 0)
