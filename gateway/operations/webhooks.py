"""Webhook subscriptions (issue 18): kept and checked by evidence (admin, assessor or auditor over the scope)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from gateway import access
from gateway.context import Context
from gateway.operations import bounded, bounded_texts, rows
from gateway.pagination import Connection, service_keyset_page, service_page_params
from gateway.types.webhook import (
    CreatedWebhookSubscription,
    RotatedWebhookSecret,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from kaohe.i18n import _
from services.common import listing
from services.common.errors import InvalidInput
from services.common.notify import EVENT_TYPES
from services.common.peers import segment

Ctx = Info[Context, None]
URL = "Where to POST the events: an allowed host, never a private, loopback or link-local address."
SCOPE = "The unit path whose events (and those below) it receives; you must be admin, assessor or auditor there."
TYPES = "The event types to receive (docs/api.md, \"Receiving events\"); empty: every type."


def _path(subscription_id: Any) -> str:
    bounded(subscription_id=str(subscription_id))
    return f"/v1/webhooks/{segment(str(subscription_id))}"


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Every event type a webhook subscription may name in `eventTypes`, with the "
                                  "GraphQL type of its entity and what it means, in the order of docs/api.md's "
                                  "table; for those who may manage subscriptions (admin, assessor, auditor).")
    def webhook_event_types(self, info: Ctx) -> list[WebhookEventType]:
        access.require_role(info.context.user, "webhookEventTypes")
        return [WebhookEventType(type=name, entity_type=entity, description=text)
                for name, (entity, text) in EVENT_TYPES.items()]

    @strawberry.field(description="The webhook subscriptions within the scopes where the caller is admin, assessor "
                                  "or auditor, oldest first, each with its delivery log.")
    async def webhook_subscriptions(self, info: Ctx, first: int | None = None,
                                    after: str | None = None) -> Connection[WebhookSubscription]:
        ctx = info.context
        bounded(after=after)
        access.require_role(ctx.user, "webhookSubscriptions")
        body = await ctx.clients.evidence.request("GET", "/v1/webhooks", ctx.user,
                                                  params=service_page_params(first, after))
        found = [(listing.encode_cursor(r["created_at"], r["id"]), WebhookSubscription.from_json(r))
                 for r in rows(body, "items")]
        return service_keyset_page(found, first=first, after=after, body=body)


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description=(
        "Subscribe a URL to events about units inside `scopePath` (where the caller is admin, assessor or auditor); "
        "`eventTypes` empty = every type. The URL's host must be allowed by the installation; private, loopback and "
        "link-local addresses are refused. The signing secret is in this answer only."))
    async def create_webhook_subscription(
        self, info: Ctx, name: str, url: Annotated[str, strawberry.argument(description=URL)],
        scope_path: Annotated[str, strawberry.argument(description=SCOPE)],
        event_types: Annotated[list[str] | None, strawberry.argument(description=TYPES)] = None,
    ) -> CreatedWebhookSubscription:
        ctx = info.context
        bounded(name=name, url=url, scope_path=scope_path)
        bounded_texts("eventTypes", event_types or [], limit=50)
        access.require_role(ctx.user, "createWebhookSubscription")
        body = await ctx.clients.evidence.request("POST", "/v1/webhooks", ctx.user, json={
            "name": name, "url": url, "scope_path": scope_path, "event_types": event_types or []})
        return CreatedWebhookSubscription(secret=str(body["secret"]), subscription=WebhookSubscription.from_json(body))

    @strawberry.mutation(description="Change a subscription; `paused: true` pauses it, `paused: false` resumes it "
                                     "(and re-enables one disabled after failures).")
    async def update_webhook_subscription(
        self, info: Ctx, id: strawberry.ID, name: str | None = None,
        url: Annotated[str | None, strawberry.argument(description=URL)] = None,
        event_types: Annotated[list[str] | None, strawberry.argument(description=TYPES)] = None,
        paused: Annotated[bool | None, strawberry.argument(
            description="true pauses; false resumes (and re-enables a disabled subscription).")] = None,
    ) -> WebhookSubscription:
        ctx = info.context
        bounded(name=name, url=url)
        bounded_texts("eventTypes", event_types or [], limit=50)
        access.require_role(ctx.user, "updateWebhookSubscription")
        change = {k: v for k, v in {"name": name, "url": url, "event_types": event_types, "paused": paused}.items()
                  if v is not None}
        body = await ctx.clients.evidence.request("PATCH", _path(id), ctx.user, json=change)
        return WebhookSubscription.from_json(body)

    @strawberry.mutation(description="Delete a subscription with its delivery log; returns its id.")
    async def delete_webhook_subscription(self, info: Ctx, id: strawberry.ID) -> strawberry.ID:
        ctx = info.context
        access.require_role(ctx.user, "deleteWebhookSubscription")
        await ctx.clients.evidence.request("DELETE", _path(id), ctx.user)
        return id

    @strawberry.mutation(description="A new signing secret (in this answer only); the previous one keeps signing "
                                     "beside it for the overlap, so receivers can switch without losing events.")
    async def rotate_webhook_secret(self, info: Ctx, id: strawberry.ID) -> RotatedWebhookSecret:
        ctx = info.context
        access.require_role(ctx.user, "rotateWebhookSecret")
        body = await ctx.clients.evidence.request("POST", f"{_path(id)}/rotate-secret", ctx.user)
        return RotatedWebhookSecret(secret=str(body["secret"]), previous_expires_at=body.get("previous_expires_at"))

    @strawberry.mutation(description="Queue a `webhook.test` event for this subscription only.")
    async def send_test_webhook(self, info: Ctx, id: strawberry.ID) -> WebhookDelivery:
        ctx = info.context
        access.require_role(ctx.user, "sendTestWebhook")
        return WebhookDelivery.from_json(await ctx.clients.evidence.request("POST", f"{_path(id)}/test", ctx.user))

    @strawberry.mutation(description="Send a finished delivery again (the same `webhook-id`), as a new delivery; a "
                                     "pending one not in flight is made due now (with the pending ones about the "
                                     "same entity ahead of it) and answered as it is.")
    async def redeliver_webhook(
        self, info: Ctx,
        delivery_id: Annotated[strawberry.ID, strawberry.argument(description="A delivery of the log.")],
    ) -> WebhookDelivery:
        ctx = info.context
        access.require_role(ctx.user, "redeliverWebhook")
        if not str(delivery_id).isdigit() or len(str(delivery_id)) > 18:
            raise InvalidInput(_("deliveryId is a delivery id"),
                               details=[{"field": "deliveryId", "reason": "not an id"}])
        body = await ctx.clients.evidence.request("POST", f"/v1/webhooks/deliveries/{int(str(delivery_id))}/redeliver",
                                                  ctx.user)
        return WebhookDelivery.from_json(body)
