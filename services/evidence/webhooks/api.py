"""Webhook subscriptions and their deliveries (issue 18); the gateway exposes them over GraphQL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from services.common import listing
from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.notify import EVENT_TYPES
from services.common.openapi import errors
from services.evidence.config import evidence_settings
from services.evidence.webhooks import service
from services.evidence.webhooks.dispatcher import Dispatcher
from services.evidence.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPage,
    SubscriptionRead,
    SubscriptionUpdate,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.get("/event-types", summary="Every event type and what it means")
async def event_types(principal: CurrentPrincipal) -> list[dict[str, str]]:
    """Every event type a webhook can subscribe to, with what it means (e.g. `submission.approved`,
    `publication.opened`).
    """
    return [{"type": name, "entity_type": entity, "description": text}
            for name, (entity, text) in EVENT_TYPES.items()]


@router.post("", status_code=201, response_model=SubscriptionCreated,
             summary="Subscribe a URL to events of a scope (the secret is returned this once)")
async def create(payload: SubscriptionCreate, session: SessionDep, principal: CurrentPrincipal) -> SubscriptionCreated:
    """Subscribe a URL to the events about units inside `scope_path` (the caller must be admin, assessor or
    auditor there), optionally only some types. Deliveries are signed as Standard Webhooks (`webhook-id`,
    `webhook-timestamp`, `webhook-signature`); the signing secret is in this answer only. The URL's host must
    be allowed by the installation; private, loopback and link-local addresses are refused (422).
    """
    subscription, secret = await service.create(session, principal, payload)
    return SubscriptionCreated(**SubscriptionRead.model_validate(subscription).model_dump(), secret=secret)


Cursor = Annotated[str | None, Query(max_length=300, description="The `next` of the page before.")]


@router.get("", response_model=SubscriptionPage, summary="The subscriptions the caller manages, oldest first (paged)")
async def list_subscriptions(session: SessionDep, principal: CurrentPrincipal,
                             limit: Annotated[int, Query(ge=1, le=listing.MAX_LIMIT)] = listing.DEFAULT_LIMIT,
                             after: Cursor = None) -> SubscriptionPage:
    """The subscriptions within the scopes where the caller is admin, assessor or auditor, oldest first, in pages of
    `limit` by cursor: pass the answer's `next` as `after` for the next page; `total_count` is how many the caller's
    list holds.
    """
    found, cursor, total = await service.list_for(session, principal, limit=limit, after=after)
    return SubscriptionPage(items=[SubscriptionRead.model_validate(s) for s in found], next=cursor, total_count=total)


@router.get("/{subscription_id}", response_model=SubscriptionRead, summary="One subscription")
async def get_subscription(subscription_id: str, session: SessionDep, principal: CurrentPrincipal) -> SubscriptionRead:
    """One subscription: its URL, scope, types, status and failure count; never its secret."""
    return SubscriptionRead.model_validate(await service.get_managed(session, principal, subscription_id))


@router.patch("/{subscription_id}", response_model=SubscriptionRead,
              summary="Change name, URL or types; pause (`paused: true`) or resume and re-enable (`paused: false`)")
async def update(subscription_id: str, payload: SubscriptionUpdate, session: SessionDep,
                 principal: CurrentPrincipal) -> SubscriptionRead:
    """Change a subscription's name, URL or types; `paused: true` pauses it, `paused: false` resumes it and
    re-enables one disabled after repeated failures. The same checks as creating it.
    """
    return SubscriptionRead.model_validate(await service.update(session, principal, subscription_id, payload))


@router.delete("/{subscription_id}", status_code=204, summary="Delete a subscription and its delivery log")
async def delete(subscription_id: str, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Delete a subscription with its delivery log; nothing more is sent to it."""
    await service.delete(session, principal, subscription_id)
    return Response(status_code=204)


@router.post("/{subscription_id}/rotate-secret", response_model=SecretRotated,
             summary="A new signing secret (returned this once); the old one signs too during the overlap")
async def rotate(subscription_id: str, session: SessionDep, principal: CurrentPrincipal) -> SecretRotated:
    """A new signing secret, in this answer only; the secrets in force keep signing beside it for the overlap,
    so a receiver can switch without losing events.
    """
    secret, until = await service.rotate_secret(session, principal, subscription_id)
    return SecretRotated(secret=secret, previous_expires_at=until)


@router.post("/{subscription_id}/test", status_code=202, response_model=DeliveryRead,
             summary="Queue a `webhook.test` event for this subscription")
async def send_test(subscription_id: str, session: SessionDep, principal: CurrentPrincipal) -> DeliveryRead:
    """Queue a `webhook.test` event for this subscription only; the answer is the queued delivery."""
    return DeliveryRead.model_validate(await service.send_test(session, principal, subscription_id))


@router.get("/{subscription_id}/deliveries", response_model=DeliveryPage,
            summary="The delivery log, newest first (paged)")
async def deliveries(subscription_id: str, session: SessionDep, principal: CurrentPrincipal,
                     limit: Annotated[int, Query(ge=1, le=service.MAX_DELIVERIES_LISTED)] = 50,
                     after: Cursor = None,
                     count: Annotated[bool, Query(description="Also count the whole log (`total_count`).")] = False,
                     ) -> DeliveryPage:
    """The subscription's delivery log, newest first: each attempt's status, HTTP answer and time, in pages of
    `limit` by cursor: pass the answer's `next` as `after` for the next page; with `count=true`, `total_count` is
    how many the log holds.
    """
    found, cursor, total = await service.deliveries_of(session, principal, subscription_id, limit=limit, after=after,
                                                       counted=count)
    return DeliveryPage(items=[DeliveryRead.model_validate(d) for d in found], next=cursor, total_count=total)


@router.post("/deliveries/{delivery_id}/redeliver", status_code=202, response_model=DeliveryRead,
             summary="Send a delivery again (same webhook-id)", responses=errors(409))
async def redeliver(delivery_id: Annotated[int, Path(ge=1, le=2**63 - 1)], session: SessionDep,
                    principal: CurrentPrincipal) -> DeliveryRead:
    """Send a finished delivery again, as a new delivery with the same `webhook-id` (receivers deduplicate on
    it). A pending delivery that is not in flight (waiting for its next attempt) is made due now, with the pending
    deliveries about the same entity queued ahead of it, and answered as it is. 409 while it is in flight.
    """
    return DeliveryRead.model_validate(await service.redeliver(session, principal, delivery_id))


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Run the dispatcher while the app lives (not when the relay is off, as in tests)."""
    dispatcher = None
    if getattr(app.state, "run_relay", True):
        conf = evidence_settings()
        dispatcher = Dispatcher(app.state.db, concurrency=conf.webhook_concurrency,
                                per_subscription=conf.webhook_per_subscription)
        dispatcher.start()
    app.state.webhooks = dispatcher
    try:
        yield
    finally:
        if dispatcher is not None:
            await dispatcher.stop()
        app.state.webhooks = None
        listener = getattr(app.state, "events_listener", None)
        if listener is not None:
            await listener.stop()
            app.state.events_listener = None


router.lifespan_context = lifespan
