"""All SQL of the event log and the webhooks."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _
from services.common.db import advisory_lock, insert_unnested
from services.common.listing import scopes_covering
from services.evidence.webhooks.models import EventRecord, WebhookDelivery, WebhookSecret, WebhookSubscription

# Events get their `seq` under this transaction-scoped lock, held to the commit: the log is gap-free in commit
# order, so a reader that has seen seq N never meets a smaller one later (GraphQL subscriptions resume by seq).
LOG_LOCK = int.from_bytes(hashlib.sha256(b"kaohe-event-log").digest()[:8], "big", signed=True)
CHANNEL = "kaohe_events"


async def add_events(session: AsyncSession, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the events not logged before; returns the ids that are new."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOG_LOCK})
    # one statement of a parameter per column: a bulk upload logs 20,000 notices at once
    new = set(await insert_unnested(session, EventRecord.__table__, rows, conflict="id", returning="id"))
    if new:
        await session.execute(text("SELECT pg_notify(:c, '')"), {"c": CHANNEL})
    return new


async def active_subscriptions(session: AsyncSession) -> Sequence[WebhookSubscription]:
    return (await session.scalars(select(WebhookSubscription).where(WebhookSubscription.status == "active"))).all()


async def add_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await insert_unnested(session, WebhookDelivery.__table__, rows)


async def subscription(session: AsyncSession, subscription_id: str, *,
                       lock: bool = False) -> WebhookSubscription | None:
    stmt = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def subscriptions_within(session: AsyncSession, scopes: list[str], *, limit: int,
                               after: tuple[datetime, str] | None) -> tuple[Sequence[WebhookSubscription], int]:
    """A page of the subscriptions whose scope lies within one of `scopes`, oldest first: at most `limit` after the
    position `after` (created_at, id), and how many the whole list holds; chosen and counted in SQL."""
    within = scopes_covering(WebhookSubscription.scope_path, scopes)
    stmt = select(WebhookSubscription).where(within)
    if after is not None:
        stmt = stmt.where(tuple_(WebhookSubscription.created_at, WebhookSubscription.id) > tuple_(*after))
    found = (await session.scalars(stmt.order_by(WebhookSubscription.created_at, WebhookSubscription.id)
                                   .limit(limit))).all()
    total = await session.scalar(select(func.count()).select_from(WebhookSubscription).where(within))
    return found, int(total or 0)


async def subscriptions(session: AsyncSession) -> Sequence[WebhookSubscription]:
    return (await session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.created_at,
                                                                       WebhookSubscription.id))).all()


async def count_subscriptions_of_scope(session: AsyncSession, scope_path: str) -> int:
    """The subscriptions on exactly `scope_path`, counted after waiting for the other creations on it (a
    transaction-scoped advisory lock), so that two at once cannot both pass the bound."""
    await advisory_lock(session, f"evidence.webhook_scope:{scope_path}")
    count = await session.scalar(select(func.count()).select_from(WebhookSubscription)
                                 .where(WebhookSubscription.scope_path == scope_path))
    return int(count or 0)


async def count_pending_tests(session: AsyncSession, subscription_id: str) -> int:
    count = await session.scalar(select(func.count()).select_from(WebhookDelivery)
                                 .where(WebhookDelivery.subscription_id == subscription_id,
                                        WebhookDelivery.type == "webhook.test", WebhookDelivery.state == "pending"))
    return int(count or 0)


async def expire_secrets(session: AsyncSession, subscription_id: str, at: datetime) -> None:
    await session.execute(update(WebhookSecret)
                          .where(WebhookSecret.subscription_id == subscription_id,
                                 or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > at))
                          .values(expires_at=at))


async def deliveries(session: AsyncSession, subscription_ids: Sequence[str], *, limit: int,
                     before: int | None = None) -> Sequence[WebhookDelivery]:
    """The newest deliveries of the subscriptions, newest first (those older than the delivery `before`)."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id.in_(subscription_ids))
    if before is not None:
        stmt = stmt.where(WebhookDelivery.id < before)
    return (await session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit))).all()


async def count_deliveries(session: AsyncSession, subscription_id: str) -> int:
    """How many deliveries the subscription's log holds."""
    count = await session.scalar(select(func.count()).select_from(WebhookDelivery)
                                 .where(WebhookDelivery.subscription_id == subscription_id))
    return int(count or 0)


async def give_up_pending(session: AsyncSession, subscription_id: str) -> int:
    """Mark a deleted subscription's pending deliveries failed (they stay in its log); how many there were."""
    d = WebhookDelivery.__table__
    given_up = await session.execute(
        update(WebhookDelivery).where(d.c.subscription_id == subscription_id, d.c.state == "pending")
        .values(state="failed", leased_until=None, last_error=_("the subscription was deleted")).returning(d.c.id))
    return len(given_up.all())


async def delivery(session: AsyncSession, delivery_id: int) -> WebhookDelivery | None:
    return await session.get(WebhookDelivery, delivery_id)


async def hasten(session: AsyncSession, delivery: WebhookDelivery, now: datetime) -> list[int]:
    """Make a pending delivery due at `now`, with the pending ones about the same entity queued ahead of it for
    the same subscription (it cannot go before them), leaving any in flight alone: the ids made due, oldest
    first. The caller holds the delivery's row lock."""
    d = WebhookDelivery.__table__
    ahead = await session.scalars(
        update(WebhookDelivery)
        .where(d.c.subscription_id == delivery.subscription_id, d.c.ordering_key == delivery.ordering_key,
               d.c.state == "pending", d.c.id < delivery.id, d.c.next_attempt_at > now,
               or_(d.c.leased_until.is_(None), d.c.leased_until < now))
        .values(next_attempt_at=now).returning(d.c.id).execution_options(synchronize_session=False))
    ids = sorted(ahead.all())
    if delivery.next_attempt_at > now:
        delivery.next_attempt_at = now
        ids.append(delivery.id)
    return ids


async def claim(session: AsyncSession, now: datetime, lease_until: datetime, free: int,
                per_subscription: int) -> Sequence[Any]:
    """Lease up to `free` due deliveries in one statement and return what their requests need: `id`,
    `subscription_id`, `event_id`, `payload`, the subscription's `url` and its `secrets` in force, newest first.

    Due deliveries of active subscriptions that head their (subscription, entity) queue (nothing older about the
    same entity still pending for that subscription, so each subscriber sees an entity's events in order), locked
    with SKIP LOCKED (two dispatchers never claim the same row), at most `per_subscription` leased per subscription
    counting those already in flight, oldest first. One round trip: the claim sits on every event's way out."""
    d, s, k = WebhookDelivery.__table__, WebhookSubscription.__table__, WebhookSecret.__table__
    older = d.alias("older")
    busy = (select(d.c.subscription_id, func.count().label("n"))
            .where(d.c.state == "pending", d.c.leased_until >= now).group_by(d.c.subscription_id).cte("busy"))
    candidates = (
        select(d.c.id, d.c.subscription_id)
        .join(s, s.c.id == d.c.subscription_id)
        .where(d.c.state == "pending", d.c.next_attempt_at <= now,
               or_(d.c.leased_until.is_(None), d.c.leased_until < now), s.c.status == "active",
               ~exists().where(and_(older.c.subscription_id == d.c.subscription_id,
                                    older.c.ordering_key == d.c.ordering_key,
                                    older.c.state == "pending", older.c.id < d.c.id)))
        .order_by(d.c.id).limit(free * 4)
        .with_for_update(of=d, skip_locked=True)
        .cte("candidates"))
    place = func.row_number().over(partition_by=candidates.c.subscription_id, order_by=candidates.c.id)
    ranked = (select(candidates.c.id, (place + func.coalesce(busy.c.n, 0)).label("place"))
              .select_from(candidates.outerjoin(busy, busy.c.subscription_id == candidates.c.subscription_id))
              .cte("ranked"))
    chosen = (select(ranked.c.id).where(ranked.c.place <= per_subscription).order_by(ranked.c.id).limit(free)
              .cte("chosen"))
    url = select(s.c.url).where(s.c.id == d.c.subscription_id).scalar_subquery()
    secrets = (select(func.array_agg(aggregate_order_by(k.c.secret, k.c.id.desc())))
               .where(k.c.subscription_id == d.c.subscription_id,
                      or_(k.c.expires_at.is_(None), k.c.expires_at > now))
               .scalar_subquery())
    stmt = (update(WebhookDelivery).where(d.c.id == chosen.c.id).values(leased_until=lease_until)
            .returning(d.c.id, d.c.subscription_id, d.c.event_id, d.c.payload, url.label("url"),
                       secrets.label("secrets")))
    return sorted((await session.execute(stmt)).all(), key=lambda row: row.id)


async def delivered(session: AsyncSession, delivery_id: int, now: datetime, status: int | None,
                    latency_ms: int) -> None:
    """Record a successful attempt of a pending delivery and clear its subscription's failure count, in one
    statement; the subscription's row is locked only when it had failures to clear."""
    d, s = WebhookDelivery.__table__, WebhookSubscription.__table__
    done = (update(WebhookDelivery).where(d.c.id == delivery_id, d.c.state == "pending")
            .values(state="delivered", delivered_at=now, attempts=d.c.attempts + 1, last_attempt_at=now,
                    leased_until=None, response_status=status, latency_ms=latency_ms, last_error=None)
            .returning(d.c.subscription_id).cte("done"))
    await session.execute(update(WebhookSubscription)
                          .where(s.c.id == done.c.subscription_id, s.c.consecutive_failures != 0)
                          .values(consecutive_failures=0, failing_since=None))


async def events_after(session: AsyncSession, seq: int, limit: int) -> Sequence[EventRecord]:
    return (await session.scalars(select(EventRecord).where(EventRecord.seq > seq)
                                  .order_by(EventRecord.seq).limit(limit))).all()


async def last_seq(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(EventRecord.seq), 0))) or 0)
