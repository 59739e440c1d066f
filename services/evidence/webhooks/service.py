"""Webhook subscriptions and the event log's intake.

Subscriptions are managed by the office (admin, assessor) or an auditor over their scope: a subscription
receives only events about units inside its scope, which its creator may read in full. Events come in as
notices (services/common/notify.py) and are logged once; each new one becomes a delivery for every active
subscription of its type whose scope covers its unit, in the same transaction (nothing is lost between the
log and the queues). The dispatcher (dispatcher.py) sends the deliveries.

Every instant this module and the dispatcher store or compare (due times, back-off, leases, the retry
window, secret expiry, the subscriptions' own times) is on the real clock (`clock.real_now`), so a stack whose
business clock was moved (`KAOHE_CLOCK_FILE`) still sends at once; only an event's `timestamp` in the payload
(when it happened) is business time.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _
from services.common import audit, clock, listing
from services.common.auth import Principal, Role, scope_covers
from services.common.db import pending
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.localtime import shown_instant
from services.common.notify import Notice, publish
from services.evidence.config import evidence_settings
from services.evidence.webhooks import repository
from services.evidence.webhooks.models import WebhookDelivery, WebhookSecret, WebhookSubscription
from services.evidence.webhooks.schemas import SubscriptionCreate, SubscriptionUpdate
from services.evidence.webhooks.signing import new_secret
from services.evidence.webhooks.ssrf import Refused, UrlPolicy, parse_hosts, parse_networks

MANAGERS: tuple[Role, ...] = ("admin", "assessor", "auditor")
WAKE = "webhook_wake"
MAX_DELIVERIES_LISTED = 200


def url_policy() -> UrlPolicy:
    """The allow-list of the settings; production allows no host unless listed and HTTPS only."""
    from services.common.settings import get_settings

    conf = evidence_settings()
    production = get_settings().environment == "production"
    return UrlPolicy(hosts=parse_hosts(conf.webhook_allowed_hosts),
                     networks=parse_networks(conf.webhook_allowed_networks),
                     any_host=not production, https_only=production)


def payload_of(notice: Notice) -> dict[str, Any]:
    """The body a subscriber receives (Standard Webhooks: type, timestamp, data)."""
    return {"type": notice.type, "timestamp": notice.occurred_at, "data": notice.data()}


def wants(subscription: WebhookSubscription, notice: Notice) -> bool:
    return ((not subscription.event_types or notice.type in subscription.event_types)
            and scope_covers(subscription.scope_path, notice.unit_path))


def _delivery_row(subscription_id: str, notice: Notice, now: datetime, *,
                  redelivery_of: int | None = None) -> dict[str, Any]:
    return {"subscription_id": subscription_id, "event_id": uuid.UUID(notice.id), "type": notice.type,
            "ordering_key": notice.ordering_key[:300], "payload": payload_of(notice), "state": "pending",
            "attempts": 0, "next_attempt_at": now, "created_at": now, "redelivery_of": redelivery_of}


async def record_notices(session: AsyncSession, notices: list[Notice]) -> None:
    """The evidence sink (before commit): log the new notices and queue one delivery per interested subscription,
    due now on the dispatcher's clock (the real one)."""
    now = clock.real_now()
    rows = [{"id": uuid.UUID(n.id), "type": n.type, "entity_id": n.entity_id[:200], "unit_path": n.unit_path,
             "period_id": n.period_id, "subject_id": n.subject_id,
             "occurred_at": datetime.fromisoformat(n.occurred_at), "notice": n.to_json()} for n in notices]
    new = await repository.add_events(session, rows)
    fresh = [n for n in notices if uuid.UUID(n.id) in new]
    if not fresh:
        return
    subscribers = await repository.active_subscriptions(session)
    deliveries = [_delivery_row(s.id, n, now) for n in fresh for s in subscribers if wants(s, n)]
    await repository.add_deliveries(session, deliveries)
    if deliveries:
        pending(session, WAKE).append(len(deliveries))


def _require_manager(principal: Principal, scope_path: str) -> None:
    if not principal.can(MANAGERS, scope_path):
        raise Forbidden(_("%(subject)s may not manage webhooks for %(scope)s (admin, assessor or auditor over that "
                          "scope)", subject=principal.subject, scope=scope_path or _("the organisation")))


def _check_url(url: str) -> str:
    """The URL to store (its host in ASCII), or 422 saying why it may not be called."""
    try:
        return url_policy().normalized(url)
    except Refused as exc:
        raise InvalidInput(_("webhook URL refused: %(exc)s", exc=exc), details={"field": "url"}) from None


async def create(session: AsyncSession, principal: Principal,
                 payload: SubscriptionCreate) -> tuple[WebhookSubscription, str]:
    _require_manager(principal, payload.scope_path)
    url = _check_url(payload.url)
    limit = evidence_settings().webhook_subscriptions_per_scope
    if await repository.count_subscriptions_of_scope(session, payload.scope_path) >= limit:
        raise Conflict(_("scope %(scope)s already has %(limit)s webhook subscriptions; delete one first",
                         scope=payload.scope_path or _("the organisation"), limit=limit), details={"limit": limit})
    now = clock.real_now()
    subscription = WebhookSubscription(
        id=str(uuid.uuid4()), name=payload.name, url=url, event_types=payload.event_types,
        scope_path=payload.scope_path, created_by=principal.subject, status="active", consecutive_failures=0,
        created_at=now, updated_at=now)
    session.add(subscription)
    secret = new_secret()
    await session.flush()
    session.add(WebhookSecret(subscription_id=subscription.id, secret=secret, created_at=now))
    audit.record(session, actor=principal, action="webhook.create", entity_type="webhook_subscription",
                 entity_id=subscription.id, after=_state(subscription), details=_fields(subscription))
    await session.flush()
    return subscription, secret


def _state(subscription: WebhookSubscription) -> dict[str, Any]:
    return {"name": subscription.name, "url": subscription.url, "event_types": subscription.event_types,
            "scope_path": subscription.scope_path, "status": subscription.status}


def _fields(subscription: WebhookSubscription) -> dict[str, Any]:
    """The audit details of a subscription: where its events go and which (never its secret), in the clear."""
    return {**_state(subscription), "paused": subscription.status == "paused"}


async def get_managed(session: AsyncSession, principal: Principal, subscription_id: str, *,
                      lock: bool = False) -> WebhookSubscription:
    subscription = await repository.subscription(session, subscription_id[:36], lock=lock)
    if subscription is None or not principal.can(MANAGERS, subscription.scope_path):
        raise NotFound(_("webhook subscription %(subscription_id)s does not exist",
                         subscription_id=subscription_id[:36]))
    return subscription


async def list_for(session: AsyncSession, principal: Principal, *, limit: int,
                   after: str | None) -> tuple[list[WebhookSubscription], str | None, int]:
    """A page of the subscriptions within the caller's managing scopes, oldest first, chosen and counted in SQL (the
    rows of other scopes are never read): at most `limit` after the cursor `after`, the cursor of the next page
    (None on the last) and how many the caller's list holds."""
    position = listing.decode_position(after)
    scopes = principal.scopes_for(*MANAGERS)
    if not scopes:
        return [], None, 0
    found, total = await repository.subscriptions_within(session, scopes, limit=limit + 1, after=position)
    page = list(found[:limit])
    more = len(found) > limit
    return page, listing.encode_cursor(page[-1].created_at.isoformat(), page[-1].id) if more else None, total


async def update(session: AsyncSession, principal: Principal, subscription_id: str,
                 payload: SubscriptionUpdate) -> WebhookSubscription:
    subscription = await get_managed(session, principal, subscription_id, lock=True)
    before = _state(subscription)
    was = _fields(subscription)
    if payload.url is not None:
        subscription.url = _check_url(payload.url)
    if payload.name is not None:
        subscription.name = payload.name
    if payload.event_types is not None:
        subscription.event_types = payload.event_types
    if payload.paused is True:
        subscription.status = "paused"
    elif payload.paused is False:
        subscription.status, subscription.disabled_reason = "active", None
        subscription.failing_since, subscription.consecutive_failures = None, 0
    subscription.updated_at = clock.real_now()
    now = _fields(subscription)
    audit.record(session, actor=principal, action="webhook.update", entity_type="webhook_subscription",
                 entity_id=subscription.id, before=before, after=_state(subscription),
                 details={**now, "changed": {key: {"from": was[key], "to": value} for key, value in now.items()
                                             if was[key] != value}})
    await session.flush()
    return subscription


async def delete(session: AsyncSession, principal: Principal, subscription_id: str) -> None:
    """Delete the subscription and its secrets; its delivery log stays (the deliveries keep its id, for the audit) and
    what was still pending is given up."""
    subscription = await get_managed(session, principal, subscription_id, lock=True)
    given_up = await repository.give_up_pending(session, subscription.id)
    audit.record(session, actor=principal, action="webhook.delete", entity_type="webhook_subscription",
                 entity_id=subscription.id, before=_state(subscription),
                 details={**_fields(subscription), "pending_given_up": given_up})
    await session.delete(subscription)
    await session.flush()


async def rotate_secret(session: AsyncSession, principal: Principal,
                        subscription_id: str) -> tuple[str, datetime | None]:
    """A new secret; the ones in force keep signing for the overlap (0: they stop at once)."""
    subscription = await get_managed(session, principal, subscription_id, lock=True)
    now = clock.real_now()  # the dispatcher's clock: it compares `expires_at` with its own now
    overlap = timedelta(hours=evidence_settings().webhook_secret_overlap_hours)
    await repository.expire_secrets(session, subscription.id, now + overlap)
    secret = new_secret()
    session.add(WebhookSecret(subscription_id=subscription.id, secret=secret, created_at=now))
    audit.record(session, actor=principal, action="webhook.rotate_secret", entity_type="webhook_subscription",
                 entity_id=subscription.id)
    await session.flush()
    return secret, (now + overlap) if overlap else None


async def send_test(session: AsyncSession, principal: Principal, subscription_id: str) -> WebhookDelivery:
    """Queue a `webhook.test` event for this subscription only (whatever its types; even paused ones queue it)."""
    subscription = await get_managed(session, principal, subscription_id, lock=True)  # one test send at a time
    limit = evidence_settings().webhook_test_pending_per_subscription
    if await repository.count_pending_tests(session, subscription.id) >= limit:
        raise Conflict(_("webhook subscription %(subscription_id)s already has %(limit)s test deliveries pending; "
                         "send another once they are delivered or given up", subscription_id=subscription.id,
                         limit=limit), details={"limit": limit})
    notice = Notice(id=str(uuid.uuid4()), type="webhook.test", entity_id=subscription.id,
                    unit_path=subscription.scope_path, occurred_at=clock.now().isoformat(),
                    extra={"by": principal.subject})
    delivery = WebhookDelivery(**_delivery_row(subscription.id, notice, clock.real_now()))
    session.add(delivery)
    await session.flush()
    pending(session, WAKE).append(1)
    return delivery


async def deliveries_of(session: AsyncSession, principal: Principal, subscription_id: str, *, limit: int,
                        after: str | None, counted: bool) -> tuple[list[WebhookDelivery], str | None, int | None]:
    """A page of a managed subscription's delivery log, newest first: at most `limit` after the cursor `after`, the
    cursor of the next page (None on the last) and, when `counted`, how many the log holds."""
    key = listing.decode_cursor(after, 1)
    if key is not None and not (key[0].isdigit() and len(key[0]) <= 18):
        raise InvalidInput(_("the cursor is not one this list gave out"), details={"field": "after"})
    subscription = await get_managed(session, principal, subscription_id)
    size = min(limit, MAX_DELIVERIES_LISTED)
    found = await repository.deliveries(session, [subscription.id], limit=size + 1,
                                        before=int(key[0]) if key is not None else None)
    page = list(found[:size])
    total = await repository.count_deliveries(session, subscription.id) if counted else None
    return page, listing.encode_cursor(page[-1].id) if len(found) > size else None, total


async def redeliver(session: AsyncSession, principal: Principal, delivery_id: int) -> WebhookDelivery:
    """Send a logged delivery again (same `webhook-id`, so the receiver can tell a repeat). A finished one is
    sent as a new delivery; a pending one that is not in flight (no lease running) is made due now, with the
    pending deliveries about the same entity queued ahead of it (they go first), instead of waiting for its next
    attempt; one in flight is 409."""
    original = await repository.delivery(session, delivery_id)
    subscription = None if original is None else await repository.subscription(session, original.subscription_id)
    if original is None or subscription is None or not principal.can(MANAGERS, subscription.scope_path):
        # the same answer as for no delivery at all: nothing says whose subscription it belongs to
        raise NotFound(_("webhook delivery %(delivery_id)s does not exist", delivery_id=delivery_id))
    now = clock.real_now()
    if original.state == "pending":
        await session.refresh(original, with_for_update=True)  # a claim in progress commits first
    if original.state == "pending":
        if original.leased_until is not None and original.leased_until >= now:
            raise Conflict(_("delivery %(delivery_id)s is still being delivered (attempt %(attempt)s due "
                             "%(next_attempt_at)s)", delivery_id=delivery_id, attempt=original.attempts + 1,
                             next_attempt_at=shown_instant(original.next_attempt_at)),
                           details={"state": original.state})
        hastened = await repository.hasten(session, original, now)
        audit.record(session, actor=principal, action="webhook.redeliver", entity_type="webhook_subscription",
                     entity_id=subscription.id, details={"delivery": original.id, "due_now": hastened})
        await session.flush()
        pending(session, WAKE).append(1)
        return original
    copy = WebhookDelivery(subscription_id=subscription.id, event_id=original.event_id, type=original.type,
                           ordering_key=original.ordering_key, payload=original.payload, state="pending",
                           attempts=0, next_attempt_at=now, created_at=now, redelivery_of=original.id)
    session.add(copy)
    audit.record(session, actor=principal, action="webhook.redeliver", entity_type="webhook_subscription",
                 entity_id=subscription.id, details={"delivery": original.id})
    await session.flush()
    pending(session, WAKE).append(1)
    return copy


def announce_disabled(session: AsyncSession, subscription: WebhookSubscription, reason: str) -> None:
    """The event that says a subscription was disabled (to the other subscribers of its scope, and live)."""
    publish(session, "webhook.disabled", entity_id=subscription.id, unit_path=subscription.scope_path,
            reason=reason[:500], name=subscription.name)
