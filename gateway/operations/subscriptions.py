"""The GraphQL `Subscription` root (issue 18): the events for integrators, live, filtered by the caller's scope."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.context import Context
from gateway.events import may_see
from gateway.operations import bounded, bounded_texts
from kaohe.i18n import _
from services.common.errors import InvalidInput, ServiceUnavailable
from services.common.localtime import instant_json
from services.common.notify import EVENT_TYPES, Notice, node_id

Ctx = Info[Context, None]


@strawberry.type(description="Something that happened, about one entity: ids only; fetch the entity to see it.")
class Event:
    id: strawberry.ID = strawberry.field(description="The event's id (a webhook's `webhook-id` is `msg_<hex>`).")
    type: str = strawberry.field(description="The event type, e.g. `submission.returned`.")
    occurred_at: str = strawberry.field(description="When it happened: ISO 8601 in UTC ending in `Z`, as every "
                                                    "GraphQL instant (the webhook payload's `timestamp` keeps "
                                                    "`+00:00`).")
    entity_type: str = strawberry.field(description="The GraphQL type to fetch the entity as.")
    entity_id: strawberry.ID = strawberry.field(description="The id to fetch the entity by.")
    node_id: strawberry.ID = strawberry.field(description="base64 of `Type:id` (the Relay convention).")
    unit_path: str = strawberry.field(description="The unit the entity belongs to.")
    period_id: strawberry.ID | None
    subject_id: strawberry.ID | None
    data: JSON = strawberry.field(description="The webhook payload's `data` (ids and a few small values).")

    @classmethod
    def of(cls, notice: Notice) -> Event:
        return cls(id=strawberry.ID(notice.id), type=notice.type, occurred_at=_utc_z(notice.occurred_at),
                   entity_type=notice.entity_type, entity_id=strawberry.ID(notice.entity_id),
                   node_id=strawberry.ID(node_id(notice.entity_type, notice.entity_id)),
                   unit_path=notice.unit_path,
                   period_id=strawberry.ID(notice.period_id) if notice.period_id is not None else None,
                   subject_id=strawberry.ID(notice.subject_id) if notice.subject_id is not None else None,
                   data=cast(JSON, notice.data()))


def _utc_z(stamp: str) -> str:
    """An event's instant as GraphQL writes instants (UTC, `Z`); the notice keeps the webhooks' `+00:00`."""
    try:
        return instant_json(datetime.fromisoformat(stamp))
    except ValueError:
        return stamp


def _wanted(notice: Notice, types: list[str] | None, period_id: str | None, scope: str | None,
            subject_id: str | None) -> bool:
    return ((not types or notice.type in types) and (period_id is None or notice.period_id == period_id)
            and (subject_id is None or notice.subject_id == subject_id)
            and (scope is None or scope == "" or notice.unit_path == scope or notice.unit_path.startswith(scope + "/")))


@strawberry.type(description="Live events over graphql-transport-ws on /graphql.")
class Subscription:
    @strawberry.subscription(description=(
        "Events as they happen (over graphql-transport-ws on /graphql), only about units the caller may see; "
        "optionally of some types, of one period, of one assessed subject, or inside one unit path. A portal "
        "watches its inbox with the submission and review types; an app watches a period's ranking with "
        "`periodId` and the results and publication types."))
    async def events(
        self, info: Ctx,
        types: Annotated[list[str] | None, strawberry.argument(
            description="Only these event types (docs/api.md, \"Receiving events\"); none: every type.")] = None,
        period_id: strawberry.ID | None = None,
        subject_id: strawberry.ID | None = None,
        scope_path: Annotated[str | None, strawberry.argument(
            description="Only events about this unit path and below.")] = None,
    ) -> AsyncGenerator[Event, None]:
        ctx = info.context
        user = ctx.user
        bounded_texts("types", types or [], limit=len(EVENT_TYPES))
        bounded(period_id=period_id, subject_id=subject_id, scope_path=scope_path)
        unknown = sorted(set(types or []) - set(EVENT_TYPES))
        if unknown:
            raise InvalidInput(_("unknown event type %(unknown)r", unknown=unknown[0][:100]),
                               details=[{"field": "types", "reason": "unknown event type"}])
        request: Any = ctx.request
        hub = getattr(request.app.state, "events", None)
        if hub is None:
            raise ServiceUnavailable(_("live events are not available on this gateway"))
        scope = scope_path.strip().strip("/") if scope_path is not None else None
        ctx.active_subscriptions += 1
        try:
            async with hub.listen() as queue:
                while True:
                    notice = await queue.get()
                    if notice is None:
                        raise ServiceUnavailable(_("this subscription fell too far behind and was cut off; "
                                                   "subscribe again and read what you missed through the queries"))
                    ctx.last_activity = time.monotonic()
                    if may_see(user, notice) and _wanted(notice, types, period_id, scope, subject_id):
                        yield Event.of(notice)
        finally:
            ctx.active_subscriptions -= 1
            ctx.last_activity = time.monotonic()
