"""`node(id:)`: the record a GraphQL node id names (issue 18).

Events (webhooks and subscriptions) carry ids and the node id of their record, base64 of `Type:id` (the Relay
convention, services/common/notify.py), never the record: the receiver fetches it here, and each type is
fetched with the access check of its own query, so a node id gives nobody more than they could read already:

- Submission: `submission`; Journal (`period/subject/week`): `journals`; RectificationNotice:
  `rectificationNotices`; Appeal: `appeals`; Objection: `objections` (each: the subject's unit, or the subject
  itself where that query allows it);
- Period: `period`; WebhookSubscription: `webhookSubscriptions` (evidence: the office or auditors over its
  scope); RatingTask: the office over the task's scope, as `closeRatingTask` reads it (a rater reads its own
  ballot with `myBallot`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from strawberry.types import Info

from gateway import access
from gateway.context import Context
from gateway.operations import bounded, fetch_owned
from gateway.operations.evidence import subject_list
from gateway.types.appeal import Appeal
from gateway.types.evidence import Journal, Submission
from gateway.types.period import Period
from gateway.types.publication import Objection
from gateway.types.rating import RatingTask
from gateway.types.rectification import RectificationNotice
from gateway.types.webhook import WebhookSubscription
from kaohe.i18n import _
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.peers import segment

Ctx = Info[Context, None]
Node = Annotated[Submission | Journal | RatingTask | RectificationNotice | Appeal | Period | Objection
                 | WebhookSubscription, strawberry.union("Node", description=(
                     "A record an event can name by its node id (`Event.nodeId`, a webhook's `data.node_id`)."))]


async def _submission(ctx: Context, key: str) -> Node:
    return Submission.from_json(await fetch_owned(ctx, "submission", "evidence", f"/v1/submissions/{segment(key)}"))


async def _journal(ctx: Context, key: str, info: Ctx) -> Node:
    parts = key.split("/")
    if len(parts) != 3 or not all(parts):
        raise NotFound(_("journal %(key)s does not exist", key=key))
    period_id, subject_id, week = parts
    for row in await subject_list(info, "journals", "/v1/journals", "journals", period_id, subject_id):
        if str(row.get("week")) == week:
            return Journal.from_json(row)
    raise NotFound(_("journal %(key)s does not exist", key=key))


async def _rating_task(ctx: Context, key: str) -> Node:
    """A read: refused in the words of a read (evidence's `GET /v1/rating-tasks/{id}` says the same), never in
    those of `closeRatingTask`, whose rule (the office over the task's scope) it borrows."""
    def refused() -> Forbidden:
        return Forbidden(_("%(subject)s may not read rating task %(task_id)s", subject=ctx.user.subject, task_id=key))

    try:
        access.require_role(ctx.user, "closeRatingTask")
    except Forbidden:
        raise refused() from None
    task = await ctx.clients.evidence.request("GET", f"/v1/rating-tasks/{segment(key)}", ctx.user)
    if not ctx.user.relates_to(str(task.get("scope", ""))):  # off the caller's branch: as a task of nothing
        raise NotFound(_("rating task %(task_id)s not found", task_id=key))
    if not access.allowed(ctx.user, "closeRatingTask", unit_path=str(task.get("scope", ""))):
        raise refused()
    return RatingTask.from_json(task)


async def _notice(ctx: Context, key: str) -> Node:
    path = f"/v1/rectifications/{segment(key)}"
    return RectificationNotice.from_json(await fetch_owned(ctx, "rectificationNotices", "evidence", path))


async def _appeal(ctx: Context, key: str) -> Node:
    return Appeal.from_json(await fetch_owned(ctx, "appeals", "evidence", f"/v1/appeals/{segment(key)}"))


async def _objection(ctx: Context, key: str) -> Node:
    return Objection.from_json(await fetch_owned(ctx, "objections", "ranking", f"/v1/objections/{segment(key)}"))


async def _period(ctx: Context, key: str) -> Node:
    access.require_role(ctx.user, "period")
    return Period.from_json(await ctx.clients.scoring.request("GET", f"/v1/periods/{segment(key)}", ctx.user))


async def _webhook(ctx: Context, key: str) -> Node:
    access.require_role(ctx.user, "webhookSubscriptions")
    body = await ctx.clients.evidence.request("GET", f"/v1/webhooks/{segment(key)}", ctx.user)
    return WebhookSubscription.from_json(body)


FETCH: dict[str, Callable[[Context, str], Awaitable[Node]]] = {
    "Submission": _submission, "RatingTask": _rating_task, "RectificationNotice": _notice, "Appeal": _appeal,
    "Objection": _objection, "Period": _period, "WebhookSubscription": _webhook,
}
TYPES = (*FETCH, "Journal")


def decode(node_id: str) -> tuple[str, str]:
    """The type name and record id of a node id; BAD_USER_INPUT for anything else."""
    bounded(node_id=node_id)
    try:
        type_name, sep, key = base64.b64decode(node_id, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        type_name, sep, key = "", "", ""
    if not sep or not key or type_name not in TYPES:
        raise InvalidInput(_("id is not a node id: base64 of `Type:id`, Type one of %(names)s", names=', '.join(TYPES)),
                           details=[{"field": "id", "reason": "not a node id"}])
    return type_name, key


@strawberry.type
class NodeQuery:
    @strawberry.field(description=(
        "The record a node id names (an event's `nodeId`, a webhook's `data.node_id`), checked as its own query "
        "checks it: a submission as `submission`, a journal as `journals`, a rectification notice as "
        "`rectificationNotices`, an appeal as `appeals`, an objection as `objections`, a period as `period`, a "
        "webhook subscription as `webhookSubscriptions`, a rating task for the office over its scope.\n"
        "Who may: whoever that query allows on the record. "
        "Errors: UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, UNAVAILABLE."))
    async def node(self, info: Ctx, id: Annotated[strawberry.ID, strawberry.argument(
            description="A node id: base64 of `Type:id`, as events carry it.")]) -> Node | None:
        ctx = info.context
        access.require_role(ctx.user, "node")  # any role; then the record's own check
        type_name, key = decode(str(id))
        if type_name == "Journal":
            return await _journal(ctx, key, info)
        return await FETCH[type_name](ctx, key)
