"""Evidence workflow settings and corrections (evidence): review chains, corrected submissions,
journal rosters and excused weeks. A make-up journal is `submitJournal` on an excused week."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway import access, loaders
from gateway.context import Context
from gateway.operations import MAX_LIST, bounded, bounded_ids, fetch_owned, idempotency, rows
from gateway.types.evidence import Journal, JournalRosterEntry, ReviewChain, RosterResult, Submission
from services.common.peers import segment

Ctx = Info[Context, None]
MAX_LEVELS = 10
ROSTER_OWN = "journalRoster"


@strawberry.type
class WorkflowQuery:
    @strawberry.field(description="The review chains of a scheme, one per indicator (\"\" = the scheme's default).")
    async def review_chains(self, info: Ctx, scheme_id: strawberry.ID) -> list[ReviewChain]:
        ctx = info.context
        bounded(scheme_id=str(scheme_id))
        access.require_role(ctx.user, "reviewChains")
        body = await ctx.clients.evidence.request("GET", f"/v1/schemes/{segment(scheme_id)}/review-chains", ctx.user)
        return [ReviewChain.from_json(r) for r in rows(body, "chains")]

    @strawberry.field(description="Who owes weekly journals in a period, over which weeks (those the caller may see).")
    async def journal_roster(self, info: Ctx, period_id: strawberry.ID) -> list[JournalRosterEntry]:
        ctx = info.context
        bounded(period_id=str(period_id))
        access.require_role(ctx.user, ROSTER_OWN)
        body = await ctx.clients.evidence.request("GET", "/v1/journals/rosters", ctx.user,
                                                  params={"period_id": str(period_id)})
        return [JournalRosterEntry.from_json(r) for r in rows(body, "rosters")
                if access.visible(ctx.user, ROSTER_OWN, unit_path=str(r.get("unit_path", "")),
                                  subject_id=str(r.get("subject_id")))]


@strawberry.input(description="One review level: reviewers over `scope` (null = the subject's unit), in working days.")
class ReviewLevelInput:
    name: str
    scope: str | None = None
    working_days: int = 5
    same_reviewer_allowed: bool = strawberry.field(default=False, description=(
        "One person reviews a submission at one level only; true lets a person who decided at an earlier level "
        "decide at this one too (never on the first level)."))


@strawberry.input(description="A corrected content of a submission before approval (a new version).")
class CorrectionInput:
    content: JSON = strawberry.field(description="The fact's fields for its kind, e.g. {\"value\": \"13\"}.")
    version: int = strawberry.field(description="The submission version the caller saw (stale → CONFLICT).")
    justification: str | None = None


@strawberry.input(description="People who owe a weekly journal over a range of ISO weeks.")
class RosterInput:
    period_id: str
    subject_ids: list[str]
    first_week: str = strawberry.field(description="ISO week, e.g. 2026-W01.")
    last_week: str = strawberry.field(description="ISO week, e.g. 2026-W13.")


@strawberry.input(description="The supervisor's excuse of a week (leave, official trip, holiday).")
class ExcuseInput:
    period_id: str
    subject_id: str
    week: str = strawberry.field(description="ISO week, e.g. 2026-W07.")
    kind: str = strawberry.field(description="leave | trip | holiday")
    reason: str
    ends_on: str = strawberry.field(description="Last day of the absence (ISO date); the make-up window follows it.")


@strawberry.type
class WorkflowMutation:
    @strawberry.mutation(description="Set (or replace) the review chain of a scheme's indicator (\"\" = its default).")
    async def set_review_chain(self, info: Ctx, scheme_id: strawberry.ID, levels: list[ReviewLevelInput],
                               indicator: str = "") -> ReviewChain:
        ctx = info.context
        bounded(scheme_id=str(scheme_id), indicator=indicator)
        bounded_ids("levels", [level.name for level in levels], limit=MAX_LEVELS)
        for level in levels:
            bounded(level=level.name, scope=level.scope)
        access.require(ctx.user, "setReviewChain")
        payload = {"indicator": indicator, "levels": [
            {"name": level.name, "scope": level.scope, "working_days": level.working_days,
             "same_reviewer_allowed": level.same_reviewer_allowed} for level in levels]}
        body = await ctx.clients.evidence.request("PUT", f"/v1/schemes/{segment(scheme_id)}/review-chains", ctx.user,
                                                  json=payload)
        return ReviewChain.from_json(body)

    @strawberry.mutation(description="Correct a pending or returned submission: a new version; review starts again.")
    async def correct_submission(self, info: Ctx, id: strawberry.ID, input: CorrectionInput) -> Submission:
        ctx = info.context
        bounded(id=str(id), justification=input.justification)
        await fetch_owned(ctx, "correctSubmission", "evidence", f"/v1/submissions/{segment(id)}")
        payload = {"content": input.content, "version": input.version,
                   **({"justification": input.justification} if input.justification is not None else {})}
        body = await ctx.clients.evidence.request("PATCH", f"/v1/submissions/{segment(id)}", ctx.user, json=payload)
        return Submission.from_json(body)

    @strawberry.mutation(description="Register who owes weekly journals over which weeks (the office).")
    async def set_journal_roster(self, info: Ctx, input: RosterInput) -> RosterResult:
        ctx = info.context
        bounded(period_id=input.period_id, first_week=input.first_week, last_week=input.last_week)
        bounded_ids("subject_ids", input.subject_ids, limit=MAX_LIST)
        await loaders.authorize_subjects(ctx, "setJournalRoster", input.period_id, input.subject_ids)
        body = await ctx.clients.evidence.request("POST", "/v1/journals/rosters", ctx.user, json={
            "period_id": input.period_id, "subject_ids": input.subject_ids, "first_week": input.first_week,
            "last_week": input.last_week})
        return RosterResult(people=int(body.get("people", 0)))

    @strawberry.mutation(description="Excuse a week with a reason (supervisor); it may then be made up in time.")
    async def excuse_journal_week(self, info: Ctx, input: ExcuseInput, idempotency_key: str | None = None) -> Journal:
        ctx = info.context
        bounded(period_id=input.period_id, subject_id=input.subject_id, week=input.week, kind=input.kind,
                reason=input.reason, ends_on=input.ends_on)
        await loaders.authorize_subject(ctx, "excuseJournalWeek", input.period_id, input.subject_id)
        body = await ctx.clients.evidence.request("POST", "/v1/journals/excuses", ctx.user,
                                                  headers=idempotency(idempotency_key), json={
            "period_id": input.period_id, "subject_id": input.subject_id, "week": input.week, "kind": input.kind,
            "reason": input.reason, "ends_on": input.ends_on})
        return Journal.from_json(body)
