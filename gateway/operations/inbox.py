"""`inbox`: what waits for the caller, one paged part each (issue 17). Each part is asked of its service only
when the query selects it, and each service scopes it to the caller (evidence's and ranking's /v1/inbox)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from gateway import access
from gateway.context import Context
from gateway.pagination import Connection, paginate
from gateway.types import text
from gateway.types.appeal import Appeal
from gateway.types.evidence import Submission
from gateway.types.publication import Objection
from gateway.types.rectification import RectificationNotice

Ctx = Info[Context, None]


@strawberry.type(description="An open rating task that lists the caller as a rater, with how far it has answered.")
class PendingRating:
    task_id: strawberry.ID
    period_id: str
    indicator: str
    kind: str
    round: int
    level: str
    closes_at: str
    subjects: int
    answered: int

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> PendingRating:
        return cls(task_id=strawberry.ID(str(row["task_id"])), period_id=str(row["period_id"]),
                   indicator=str(row["indicator"]), kind=str(row["kind"]), round=int(row["round"]),
                   level=str(row["level"]), closes_at=str(row["closes_at"]), subjects=int(row["subjects"]),
                   answered=int(row["answered"]))


@strawberry.type(description="A week of the caller's own journal that falls due this week and is not in yet.")
class JournalDue:
    period_id: str
    subject_id: str
    week: str
    indicator: str
    due_at: str
    status: str = strawberry.field(description="`due`, or `missing` once the deadline passed")

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> JournalDue:
        return cls(period_id=str(row["period_id"]), subject_id=str(row["subject_id"]), week=str(row["week"]),
                   indicator=str(row["indicator"]), due_at=str(row["due_at"]), status=text(row, "status") or "due")


async def _part(ctx: Context, part: str) -> list[dict[str, Any]]:
    body = await ctx.clients.evidence.request("GET", f"/v1/inbox/{part}", ctx.user)
    return list(body.get("items", []))


@strawberry.type(description="The caller's pending work; each part is paged and holds at most 1,000 items.")
class Inbox:
    @strawberry.field(description="Submissions pending at a review level the caller may act on, soonest deadline "
                                  "first.")
    async def reviews(self, info: Ctx, first: int | None = None, after: str | None = None) -> Connection[Submission]:
        return paginate([Submission.from_json(r) for r in await _part(info.context, "reviews")], first, after)

    @strawberry.field(description="Open rating tasks the caller rates in and has not fully answered, closing first.")
    async def rating_tasks(self, info: Ctx, first: int | None = None,
                           after: str | None = None) -> Connection[PendingRating]:
        return paginate([PendingRating.from_json(r) for r in await _part(info.context, "ratings")], first, after)

    @strawberry.field(description="Rectification notices awaiting the caller: feedback (status open) or the unit "
                                  "head's signature (answered), soonest deadline first.")
    async def rectification_notices(self, info: Ctx, first: int | None = None,
                                    after: str | None = None) -> Connection[RectificationNotice]:
        found = [RectificationNotice.from_json(r) for r in await _part(info.context, "notices")]
        return paginate(found, first, after)

    @strawberry.field(description="Open appeals (申诉) the caller answers, soonest answer deadline first.")
    async def appeals(self, info: Ctx, first: int | None = None, after: str | None = None) -> Connection[Appeal]:
        return paginate([Appeal.from_json(r) for r in await _part(info.context, "appeals")], first, after)

    @strawberry.field(description="Open objections (异议) to published results the caller answers, oldest first.")
    async def objections(self, info: Ctx, first: int | None = None, after: str | None = None) -> Connection[Objection]:
        ctx = info.context
        found = await ctx.clients.ranking.request("GET", "/v1/inbox/objections", ctx.user)
        return paginate([Objection.from_json(r) for r in found], first, after)

    @strawberry.field(description="The caller's own journal weeks (its subject ids) due this week and not in yet.")
    async def journals_due(self, info: Ctx, first: int | None = None,
                           after: str | None = None) -> Connection[JournalDue]:
        return paginate([JournalDue.from_json(r) for r in await _part(info.context, "journals")], first, after)


@strawberry.type
class InboxQuery:
    @strawberry.field(description="What waits for the caller: reviews, rating tasks, rectification notices, appeals, "
                                  "objections and journals due, each scoped to the caller and paged.")
    async def inbox(self, info: Ctx) -> Inbox:
        access.require_role(info.context.user, "inbox")
        return Inbox()
