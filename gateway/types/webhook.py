"""Webhook subscriptions and their delivery log (kept by evidence), as an administrator sees them."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from gateway.types import text


@strawberry.type(description="One event for one subscription: its queue entry while pending, then its log line.")
class WebhookDelivery:
    id: strawberry.ID
    event_id: strawberry.ID = strawberry.field(description="Also the `webhook-id` header (as `msg_<hex>`).")
    type: str
    state: str = strawberry.field(description="pending, delivered or failed (given up after the retry window).")
    attempts: int
    response_status: int | None
    latency_ms: int | None
    last_error: str | None
    created_at: str
    last_attempt_at: str | None
    next_attempt_at: str | None
    delivered_at: str | None
    redelivery_of: strawberry.ID | None
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
    name: str
    url: str
    scope_path: str
    event_types: list[str] = strawberry.field(description="Empty: every type.")
    status: str = strawberry.field(description="active, paused, or disabled (after sustained failure).")
    disabled_reason: str | None
    failing_since: str | None
    consecutive_failures: int
    created_by: str
    created_at: str
    updated_at: str

    @strawberry.field(description="The delivery log, newest first (`before`: a delivery id, for the next page).")
    async def deliveries(self, info: strawberry.Info, limit: int = 20,
                         before: strawberry.ID | None = None) -> list[WebhookDelivery]:
        from gateway.operations.webhooks import deliveries_of

        return await deliveries_of(info.context, str(self.id), limit, before)

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
    subscription: WebhookSubscription


@strawberry.type(description="A rotated secret: the new one (shown once) and until when the previous one still signs.")
class RotatedWebhookSecret:
    secret: str
    previous_expires_at: str | None
