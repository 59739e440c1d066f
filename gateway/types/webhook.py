"""Webhook subscriptions and their delivery log (kept by evidence), as an administrator sees them."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from gateway.loaders import rows_of
from gateway.operations import bounded
from gateway.pagination import Connection, asks_total, service_keyset_page, service_page_params
from gateway.types import text
from services.common import listing
from services.common.peers import segment


@strawberry.type(description="An event type a webhook subscription may receive (docs/api.md, \"Receiving events\").")
class WebhookEventType:
    type: str = strawberry.field(description="The type as `eventTypes` and the payload's `type` name it, e.g. "
                                             "`submission.approved`.")
    entity_type: str = strawberry.field(description="The GraphQL type of the entity the event is about (its "
                                                    "`data.node_id` fetches it with `node`), e.g. `Submission`.")
    description: str = strawberry.field(description="What happened when the event is sent (English).")


@strawberry.type(description="One event for one subscription: its queue entry while pending, then its log line.")
class WebhookDelivery:
    id: strawberry.ID
    event_id: strawberry.ID = strawberry.field(description="Also the `webhook-id` header (as `msg_<hex>`).")
    type: str = strawberry.field(description="The event type, e.g. `submission.approved`.")
    state: str = strawberry.field(description="pending, delivered or failed (given up after the retry window).")
    attempts: int = strawberry.field(description="Requests made so far.")
    response_status: int | None = strawberry.field(description="The HTTP status of the last attempt (none when "
                                                               "no answer came: refused, timeout, network).")
    latency_ms: int | None = strawberry.field(description="How long the last attempt took, in milliseconds.")
    last_error: str | None = strawberry.field(description=(
        "Why the last attempt failed, when it did, in the request's language (Accept-Language); the HTTP "
        "library's own error text inside it stays English."))
    created_at: str = strawberry.field(description="When it was queued.")
    last_attempt_at: str | None = strawberry.field(description="When the last attempt was made.")
    next_attempt_at: str | None = strawberry.field(description="When the next attempt is due (while pending).")
    delivered_at: str | None = strawberry.field(description="When the receiver answered 2xx.")
    redelivery_of: strawberry.ID | None = strawberry.field(description="The delivery this one sends again "
                                                                       "(redeliverWebhook).")
    payload: JSON = strawberry.field(description="The body sent: type, timestamp and ids (never a document).")

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> WebhookDelivery:
        again = row.get("redelivery_of")
        return cls(id=strawberry.ID(str(row["id"])), event_id=strawberry.ID(str(row["event_id"])),
                   type=str(row["type"]), state=str(row["state"]), attempts=int(row.get("attempts") or 0),
                   response_status=row.get("response_status"), latency_ms=row.get("latency_ms"),
                   last_error=row.get("last_error"), created_at=text(row, "created_at") or "",
                   last_attempt_at=text(row, "last_attempt_at"), next_attempt_at=text(row, "next_attempt_at"),
                   delivered_at=text(row, "delivered_at"),
                   redelivery_of=strawberry.ID(str(again)) if again is not None else None,
                   payload=cast(JSON, row.get("payload") or {}))


@strawberry.type(description="Where events of some types about units inside a scope are POSTed (Standard Webhooks).")
class WebhookSubscription:
    id: strawberry.ID
    name: str = strawberry.field(description="A name for people, e.g. the portal's.")
    url: str = strawberry.field(description="Where the events are POSTed.")
    scope_path: str = strawberry.field(description="The unit path whose events (and those below) it receives.")
    event_types: list[str] = strawberry.field(description="Empty: every type.")
    status: str = strawberry.field(description="active, paused, or disabled (after sustained failure).")
    disabled_reason: str | None = strawberry.field(description=(
        "Why it was disabled, when it was, in the request's language (Accept-Language)."))
    failing_since: str | None = strawberry.field(description="Since when every attempt has failed (none while "
                                                             "deliveries succeed).")
    consecutive_failures: int = strawberry.field(description="Failed attempts since the last success.")
    created_by: str = strawberry.field(description="Who created it (its scope was checked against their grants).")
    created_at: str
    updated_at: str = strawberry.field(description="When it was last changed.")

    @strawberry.field(description="The delivery log, newest first.")
    async def deliveries(self, info: strawberry.Info, first: int | None = None,
                         after: str | None = None) -> Connection[WebhookDelivery]:
        return await deliveries_of(info, str(self.id), first, after)

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> WebhookSubscription:
        return cls(id=strawberry.ID(str(row["id"])), name=str(row["name"]), url=str(row["url"]),
                   scope_path=str(row.get("scope_path", "")), event_types=list(row.get("event_types") or []),
                   status=str(row["status"]), disabled_reason=row.get("disabled_reason"),
                   failing_since=text(row, "failing_since"),
                   consecutive_failures=int(row.get("consecutive_failures") or 0),
                   created_by=str(row.get("created_by", "")), created_at=text(row, "created_at") or "",
                   updated_at=text(row, "updated_at") or "")


@strawberry.type(description="A new subscription with its signing secret, shown here once and never again.")
class CreatedWebhookSubscription:
    secret: str = strawberry.field(description="`whsec_` + base64 of 32 random bytes (Standard Webhooks).")
    subscription: WebhookSubscription = strawberry.field(description="The subscription made.")


@strawberry.type(description="A rotated secret: the new one (shown once) and until when the previous one still signs.")
class RotatedWebhookSecret:
    secret: str = strawberry.field(description="The new signing secret (`whsec_…`), shown this once.")
    previous_expires_at: str | None = strawberry.field(description="Until when the previous secret signs too.")


async def deliveries_of(info: strawberry.Info, subscription_id: str, first: int | None,
                        after: str | None) -> Connection[WebhookDelivery]:
    """A page of a subscription's delivery log, cut (and counted, when the query asks) by evidence."""
    ctx = info.context
    bounded(after=after)
    params = {**service_page_params(first, after), **({"count": "true"} if asks_total(info) else {})}
    body = await ctx.clients.evidence.request("GET", f"/v1/webhooks/{segment(subscription_id)}/deliveries",
                                              ctx.user, params=params)
    found = [(listing.encode_cursor(r["id"]), WebhookDelivery.from_json(r)) for r in rows_of(body, "items")]
    return service_keyset_page(found, first=first, after=after, body=body)
