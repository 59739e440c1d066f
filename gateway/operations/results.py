"""Results, publication (公示), objections and approval (审定) (ranking)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from gateway import access, loaders
from gateway.context import Context
from gateway.operations import bounded, fetch_owned, idempotency, rows
from gateway.operations.period_lists import offset_list, period_list_field
from gateway.pagination import Connection, decode_cursor, offset_page, page_size, paginate
from gateway.types.publication import Objection, Publication, Reopening, Snapshot, SnapshotVerification
from gateway.types.result import Result
from services.common.peers import segment

Ctx = Info[Context, None]


async def _publication(ctx: Context, period_id: str) -> Publication:
    body = await ctx.clients.ranking.request("GET", f"/v1/periods/{segment(period_id)}", ctx.user)
    return Publication.from_json(body or {}, period_id)


async def _period_rows(ctx: Context, operation: str, period_id: str) -> list[dict[str, Any]]:
    """The rows of ranking's `/v1/periods/{id}/<operation>` list, checked against the period's owner."""
    bounded(period_id=period_id)
    await loaders.authorize_period(ctx, operation, period_id)
    path = f"/v1/periods/{segment(period_id)}/{segment(operation)}"
    return rows(await ctx.clients.ranking.request("GET", path, ctx.user), operation)


@strawberry.type
class ResultQuery:
    @strawberry.field(description="The ranking table of a period (rows the caller may see), best first.")
    async def ranking(self, info: Ctx, period_id: strawberry.ID, group: str | None = None,
                      first: int | None = None, after: str | None = None) -> Connection[Result]:
        ctx = info.context
        bounded(period_id=str(period_id), group=group)
        access.require_role(ctx.user, "ranking")
        offset, limit = decode_cursor(after), page_size(first)
        params: dict[str, Any] = {"offset": offset, "limit": max(limit, 1), **({"group": group} if group else {})}
        path = f"/v1/periods/{segment(period_id)}/ranking"
        body = await ctx.clients.ranking.request("GET", path, ctx.user, params=params)
        read = rows(body, "items")[:limit]
        shown = [(i, Result.from_json(r, str(period_id))) for i, r in enumerate(read)
                 if access.visible(ctx.user, "ranking", unit_path=str(r.get("unit_path", "")),
                                   subject_id=str(r.get("subject_id")))]
        # ranking pages the table itself (and filters by scope); cursors are offsets into its order
        total = int(body.get("total_count", len(read))) if isinstance(body, dict) else len(read)
        return offset_page(shown, offset=offset, consumed=len(read), total=total)

    @strawberry.field(description="One subject's rank, grade, labels and rewards.")
    async def result(self, info: Ctx, period_id: strawberry.ID, subject_id: strawberry.ID) -> Result | None:
        ctx = info.context
        bounded(period_id=str(period_id), subject_id=str(subject_id))
        await loaders.authorize_subject(ctx, "result", str(period_id), str(subject_id))
        row = await loaders.results(ctx).load((str(period_id), str(subject_id)))
        return Result.from_json(row, str(period_id)) if row else None

    @strawberry.field(description="Every version of one subject's result, oldest first.")
    async def result_history(self, info: Ctx, period_id: strawberry.ID, subject_id: strawberry.ID,
                             first: int | None = None, after: str | None = None) -> Connection[Result]:
        ctx = info.context
        bounded(period_id=str(period_id), subject_id=str(subject_id))
        await loaders.authorize_subject(ctx, "resultHistory", str(period_id), str(subject_id))
        path = f"/v1/periods/{segment(period_id)}/results/{segment(subject_id)}/history"
        body = await ctx.clients.ranking.request("GET", path, ctx.user)
        return paginate([Result.from_json(r, str(period_id)) for r in rows(body, "results")], first, after)

    @strawberry.field(description="The finalized snapshots (审定) of a period with their SHA-256.")
    async def snapshots(self, info: Ctx, period_id: strawberry.ID, first: int | None = None,
                        after: str | None = None) -> Connection[Snapshot]:
        found = await _period_rows(info.context, "snapshots", str(period_id))
        return paginate([Snapshot.from_json(r) for r in found], first, after)

    @strawberry.field(description="Check a 审定 snapshot (the latest unless `sequence` says): its bytes against its "
                                  "SHA-256 and the audit record of the approval, and the results served for the "
                                  "finalized period against it, naming each subject that differs. Its bytes: "
                                  "GET /exports/periods/{periodId}/snapshots/{sequence}.json.")
    async def verify_snapshot(self, info: Ctx, period_id: strawberry.ID,
                              sequence: int | None = None) -> SnapshotVerification:
        ctx = info.context
        bounded(period_id=str(period_id))
        await loaders.authorize_period(ctx, "verifySnapshot", str(period_id))
        params = {"sequence": sequence} if sequence is not None else None
        body = await ctx.clients.ranking.request("GET", f"/v1/periods/{segment(period_id)}/snapshot-check",
                                                 ctx.user, params=params)
        return SnapshotVerification.from_json(body or {})

    @strawberry.field(description="Every formal reopening of a finalized period, oldest first.")
    async def reopenings(self, info: Ctx, period_id: strawberry.ID, first: int | None = None,
                         after: str | None = None) -> Connection[Reopening]:
        found = await _period_rows(info.context, "reopenings", str(period_id))
        return paginate([Reopening.from_json(r) for r in found], first, after)

    @strawberry.field(description="A period's publication window and approval state.")
    async def publication(self, info: Ctx, period_id: strawberry.ID) -> Publication:
        bounded(period_id=str(period_id))
        access.require_role(info.context.user, "publication")
        return await _publication(info.context, str(period_id))

    objections = period_list_field(
        "objections", Objection, offset_list("ranking", "/v1/periods/{period_id}/objections", Objection.from_json),
        description=("Objections (异议) filed against results during the 公示, oldest first: one subject's, or "
                     "period-wide every one within your grants (a subject or its unit's account: its own), optionally "
                     "of one status (`open`, `answered`)."))


@strawberry.type
class ResultMutation:
    @strawberry.mutation(description=(
        "Publish a period's results for objection (公示) for `workingDays` working days, ending at 24:00 Beijing "
        "time on the last one; left out, the scheme's window (`publication.working_days`, for a re-publication "
        "`republication_working_days`), else 5 (a re-publication: as long as the one before)."))
    async def publish_results(self, info: Ctx, period_id: strawberry.ID,
                              working_days: int | None = None) -> Publication:
        ctx = info.context
        bounded(period_id=str(period_id))
        await loaders.authorize_period(ctx, "publishResults", str(period_id))
        payload = {"working_days": working_days} if working_days is not None else {}
        body = await ctx.clients.ranking.request("POST", f"/v1/periods/{segment(period_id)}/publication", ctx.user,
                                                 json=payload)
        return Publication.from_json(body, str(period_id))

    @strawberry.mutation(description=(
        "Object to a subject's published result; `reason` is the objection's text (ranking's REST calls it `text`)."))
    async def file_objection(self, info: Ctx, period_id: strawberry.ID, subject_id: strawberry.ID, reason: str,
                             idempotency_key: str | None = None) -> Objection:
        ctx = info.context
        bounded(period_id=str(period_id), subject_id=str(subject_id), reason=reason)
        await loaders.authorize_subject(ctx, "fileObjection", str(period_id), str(subject_id))
        body = await ctx.clients.ranking.request(
            "POST", f"/v1/periods/{segment(period_id)}/objections", ctx.user, headers=idempotency(idempotency_key),
            json={"subject_id": str(subject_id), "text": reason})
        return Objection.from_json(body)

    @strawberry.mutation(description=(
        "Answer an objection; finalizing waits until every one is answered. Four-eyes principle (四眼原则): whoever "
        "filed the objection and the person it is about may not answer it (FORBIDDEN)."))
    async def answer_objection(self, info: Ctx, id: strawberry.ID, answer: str) -> Objection:
        ctx = info.context
        bounded(id=str(id), answer=answer)
        await fetch_owned(ctx, "answerObjection", "ranking", f"/v1/objections/{segment(id)}")
        body = await ctx.clients.ranking.request("POST", f"/v1/objections/{segment(id)}/answer", ctx.user,
                                                 json={"answer": answer})
        return Objection.from_json(body)

    @strawberry.mutation(description=(
        "Approve (审定): freeze the period with a snapshot and its SHA-256, once its 公示 is over. CONFLICT while "
        "an objection or appeal (申诉) is open or a submission waits for review, naming how many (`details`: "
        "`open_objections`, or `open_appeals` and `pending_submissions`); from then on appeals and objections are "
        "closed."))
    async def finalize_period(self, info: Ctx, period_id: strawberry.ID) -> Snapshot:
        ctx = info.context
        bounded(period_id=str(period_id))
        await loaders.authorize_period(ctx, "finalizePeriod", str(period_id))
        return Snapshot.from_json(await ctx.clients.ranking.request(
            "POST", f"/v1/periods/{segment(period_id)}/finalize", ctx.user))

    @strawberry.mutation(description=(
        "Reopen a finalized period, with the reason (audited). Answers the publication, whose `status` is "
        "`computed` again (ranking's state of the results), while `Period.status` reads `scoring` (the lifecycle)."))
    async def reopen_period(self, info: Ctx, period_id: strawberry.ID, reason: str) -> Publication:
        ctx = info.context
        bounded(period_id=str(period_id), reason=reason)
        await loaders.authorize_period(ctx, "reopenPeriod", str(period_id))
        await ctx.clients.ranking.request("POST", f"/v1/periods/{segment(period_id)}/reopen", ctx.user,
                                          json={"reason": reason})
        return await _publication(ctx, str(period_id))
