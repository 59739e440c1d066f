"""Evidence, journals, reviews, rating tasks, rectification notices and appeals (evidence)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway import access, loaders
from gateway.context import Context
from gateway.operations import MAX_LIST, bounded, bounded_ids, bounded_texts, fetch_owned, idempotency, rows
from gateway.operations.period_lists import PeriodListArguments, checked_list, offset_list, period_list_field
from gateway.pagination import Connection, keyset_page, page_size
from gateway.types.appeal import Appeal
from gateway.types.evidence import Journal, Makeup, Submission
from gateway.types.fact import Fact
from gateway.types.rating import Ballot, RatingResponses, RatingTask
from gateway.types.rectification import RectificationNotice
from services.common import listing
from services.common.peers import segment

Ctx = Info[Context, None]


async def subject_list(info: Ctx, operation: str, path: str, key: str, period_id: str,
                       subject_id: str) -> list[dict[str, Any]]:
    """Every row of one subject's list (at most a page of the service's longest, MAX_LIMIT rows)."""
    ctx = info.context
    bounded(period_id=period_id, subject_id=subject_id)
    await loaders.authorize_subject(ctx, operation, period_id, subject_id)
    body = await ctx.clients.evidence.request("GET", path, ctx.user, params={
        "period_id": period_id, "subject_id": subject_id, "limit": str(listing.MAX_LIMIT)})
    return [r for r in rows(body, key) if str(r.get("subject_id", subject_id)) == subject_id]


async def submission_page(ctx: Context, arguments: PeriodListArguments) -> Connection[Submission]:
    """A keyset page of submissions, cut and counted by evidence (in id order: new ones land after the last page)."""
    params = {**service_page(arguments.first, arguments.after), "count": "true", **arguments.filters()}
    body = await ctx.clients.evidence.request("GET", "/v1/submissions", ctx.user, params=params)
    found = [(listing.encode_cursor(r["id"]), Submission.from_json(r)) for r in rows(body, "items")]
    next_cursor = body.get("next") if isinstance(body, dict) else None
    if page_size(arguments.first) == 0:  # the count only
        found, next_cursor = [], (arguments.after or "") if found else None
    elif next_cursor is not None:
        next_cursor = found[-1][0]
    return keyset_page(found, after=arguments.after, next_cursor=next_cursor,
                       total=int(body.get("total_count") or 0))


@strawberry.type
class EvidenceQuery:
    submissions = period_list_field("submissions", Submission, submission_page, description=(
        "Submissions with attachments and review state, in id order: one subject's, or period-wide every one within "
        "your grants (a subject: its own), optionally of one status (`pending`, `approved`, `rejected`, "
        "`returned`)."))

    @strawberry.field(description="One submission.")
    async def submission(self, info: Ctx, id: strawberry.ID) -> Submission:
        bounded(id=str(id))
        path = f"/v1/submissions/{segment(id)}"
        return Submission.from_json(await fetch_owned(info.context, "submission", "evidence", path))

    journals = period_list_field("journals", Journal, offset_list("evidence", "/v1/journals", Journal.from_json),
                                 description=(
        "Weekly journals (003 篇三) by subject and week: one subject's, or period-wide every one within your grants "
        "(a person: its own), optionally of one status (`submitted`, `excused`, `missing`)."))

    @strawberry.field(description="How many raters of a task have answered (the office; never who rated whom).")
    async def rating_responses(self, info: Ctx, task_id: strawberry.ID) -> RatingResponses:
        ctx = info.context
        bounded(task_id=str(task_id))
        access.require_role(ctx.user, "ratingResponses")
        body = await ctx.clients.evidence.request("GET", f"/v1/rating-tasks/{segment(task_id)}/responses", ctx.user)
        return RatingResponses(raters=int(body.get("raters", 0)), responded=int(body.get("responded", 0)),
                               by_level=body.get("by_level", {}))

    @strawberry.field(description="The caller's own ballot in a rating task (a rater sees nobody else's).")
    async def my_ballot(self, info: Ctx, task_id: strawberry.ID) -> Ballot:
        ctx = info.context
        bounded(task_id=str(task_id))
        access.require_role(ctx.user, "myBallot")
        body = await ctx.clients.evidence.request("GET", f"/v1/rating-tasks/{segment(task_id)}/ballot", ctx.user)
        return Ballot.from_json({"task_id": str(task_id), **body})

    makeups = period_list_field("makeups", Makeup, offset_list("evidence", "/v1/makeups", Makeup.from_json),
                                statuses=False, description=(
        "Make-ups (补报) of a period approved by the office, in the order they were approved: one subject's, or "
        "period-wide every one within your grants (a subject: its own)."))

    rectification_notices = period_list_field(
        "rectificationNotices", RectificationNotice,
        offset_list("evidence", "/v1/rectifications", RectificationNotice.from_json), description=(
            "Rectification notices (问题整改单) in the order they were checked: one subject's, or period-wide every "
            "one within your grants, optionally of one status (`open`, `answered`, `signed`, `overdue`)."))

    appeals = period_list_field("appeals", Appeal, offset_list("evidence", "/v1/appeals", Appeal.from_json),
                                description=(
        "Appeals (申诉), oldest first: one subject's, or period-wide every one within your grants (a subject: its "
        "own), optionally of one status (`open`, or as answered)."))


def service_page(first: int | None, after: str | None) -> dict[str, Any]:
    """The `limit` and `after` of a keyset page of a service list (`after`: the gateway's opaque cursor)."""
    key = listing.decode_cursor(after, 1)
    return {"limit": max(page_size(first), 1), **({"after": key[0]} if key else {})}


@strawberry.type
class FactQuery:
    @strawberry.field(description="The facts (事实) in force in a period, in id order, with the record that made "
                                  "each: of one subject, or of every subject within your grants (auditors: all they "
                                  "cover), optionally of one indicator or some ids (a score version's `factIds`; "
                                  "ids outside your grants or not in force are left out).")
    async def facts(self, info: Ctx, period_id: strawberry.ID, subject_id: strawberry.ID | None = None,
                    ids: list[str] | None = None, indicator: str | None = None, first: int | None = None,
                    after: str | None = None) -> Connection[Fact]:
        ctx = info.context
        bounded(period_id=str(period_id), subject_id=None if subject_id is None else str(subject_id),
                indicator=indicator, after=after)
        if ids is not None:
            bounded_ids("ids", ids)
        await checked_list(ctx, "facts", str(period_id), None if subject_id is None else str(subject_id))
        filters = {"period_id": str(period_id), "subject_id": subject_id, "indicator": indicator,
                   "ids": None if ids is None else ",".join(ids)}
        params = {**service_page(first, after), **{k: str(v) for k, v in filters.items() if v is not None}}
        if ids == []:
            return keyset_page([], after=after, next_cursor=None, total=0)
        body = await ctx.clients.evidence.request("GET", "/v1/facts/records", ctx.user, params=params)
        found = [(listing.encode_cursor(r["id"]), Fact.from_json(r)) for r in rows(body, "items")]
        next_cursor = body.get("next") if isinstance(body, dict) else None
        if page_size(first) == 0:  # the count only
            found, next_cursor = [], (after or "") if found else None
        return keyset_page(found, after=after, next_cursor=next_cursor, total=int(body.get("total_count", 0)))


@strawberry.input(description="Evidence for one (period, subject, indicator): a fact of kind `fact` "
                              "(docs/scheme-reference.md §5 Facts).")
class EvidenceInput:
    period_id: str
    subject_id: str
    indicator: str | None = None
    fact: str = strawberry.field(description="The fact kind (事实种类, docs/scheme-reference.md §5): score | measure | "
                                             "event | rating | task | case | journal | document; a `Submission` "
                                             "answers it as `kind`.")
    content: JSON = strawberry.field(description="The fact's fields for its kind, e.g. {\"value\": \"12.5\"}.")
    justification: str | None = None


@strawberry.input(description="A weekly journal (003 篇三) of a person subject, with the person's own points; it then "
                               "goes through the journal indicator's review chain (`reviewSubmission` on its "
                               "`submissionId`: each level may adjust the points, the highest level that acted gives "
                               "the week's points).")
class JournalInput:
    period_id: str
    subject_id: str
    week: str = strawberry.field(description="ISO week, e.g. 2026-W07.")
    text: str
    points: str = strawberry.field(description="The person's own points for the week (自评分, the mean of its "
                                               "categories), an exact decimal, e.g. \"45\".")


@strawberry.input(description="A review decision at the caller's level of the chain.")
class ReviewInput:
    action: str = strawberry.field(description="approve | reject | return | adjust")
    version: int = strawberry.field(description="The submission version the reviewer saw (stale → CONFLICT).")
    value: JSON | None = strawberry.field(default=None, description="The adjusted fact fields (adjust only).")
    reason: str | None = None


@strawberry.input(description="A rectification notice (问题整改单) against a subject.")
class RectificationInput:
    period_id: str
    subject_id: str
    checked_at: str = strawberry.field(description=(
        "When the inspection (检查) took place: an ISO 8601 instant with its time zone, e.g. "
        "\"2026-12-10T09:30:00+08:00\" or \"2026-12-10T01:30:00Z\"; a plain date or a time without a zone is refused "
        "(BAD_USER_INPUT naming checkedAt)."))
    problem: str
    opinion: str = strawberry.field(description="处理意见")
    deadline: str = strawberry.field(description="ISO date or instant: today or later, at most the grace days "
                                                 "(30) after the period's last day.")
    follow_up: JSON | None = strawberry.field(default=None, description=(
        "The deduction event raised if overdue, applied without review: {indicator, type, count}, a deduction leaf "
        "of the period's scheme and one of its event types (never a bonus), count 1-10; no other field."))


@strawberry.input(description="A rater of a task: who, at which level (群众, 领导…), from which unit.")
class RaterInput:
    rater: str = strawberry.field(description="The rater's user id (the `sub` of their token).")
    level: str
    unit_path: str = strawberry.field(description="A unit never rates itself.")


@strawberry.input(description="A rating task (民主测评, 领导评议, 单位互评).")
class RatingTaskInput:
    period_id: str
    indicator: str
    kind: str = strawberry.field(description="democratic | leader | mutual")
    scope: str = strawberry.field(description="The office running it (an organisation path).")
    grades: list[str]
    closes_at: str = strawberry.field(description="ISO instant.")
    raters: list[RaterInput]
    subject_ids: list[str]
    round: int = 1


@strawberry.input(description="One answer of a ballot; a null grade abstains.")
class BallotAnswer:
    subject_id: str
    grade: str | None = None


def _payload(input: object) -> dict[str, object]:
    return {k: v for k, v in vars(input).items() if v is not None}


@strawberry.type
class EvidenceMutation:
    @strawberry.mutation(description="Submit evidence (attachments follow through POST /uploads/...).")
    async def submit_evidence(self, info: Ctx, input: EvidenceInput, idempotency_key: str | None = None) -> Submission:
        ctx = info.context
        bounded(period_id=input.period_id, subject_id=input.subject_id, indicator=input.indicator,
                fact=input.fact, justification=input.justification)
        await loaders.authorize_subject(ctx, "submitEvidence", input.period_id, input.subject_id)
        body = await ctx.clients.evidence.request("POST", "/v1/submissions", ctx.user, json=_payload(input),
                                                  headers=idempotency(idempotency_key))
        return Submission.from_json(body)

    @strawberry.mutation(description="Submit a weekly journal.")
    async def submit_journal(self, info: Ctx, input: JournalInput, idempotency_key: str | None = None) -> Journal:
        ctx = info.context
        bounded(period_id=input.period_id, subject_id=input.subject_id, week=input.week, text=input.text,
                points=input.points)
        await loaders.authorize_subject(ctx, "submitJournal", input.period_id, input.subject_id)
        body = await ctx.clients.evidence.request("POST", "/v1/journals", ctx.user, json=_payload(input),
                                                  headers=idempotency(idempotency_key))
        return Journal.from_json(body)

    @strawberry.mutation(description=(
        "Approve, reject, return or adjust a submission at the caller's level. Four-eyes principle (四眼原则): "
        "whoever submitted the submission or corrected it (made one of its versions), and the person it is about, "
        "may not review it at any level (FORBIDDEN)."))
    async def review_submission(self, info: Ctx, id: strawberry.ID, input: ReviewInput) -> Submission:
        ctx = info.context
        bounded(id=str(id), action=input.action, reason=input.reason)
        await fetch_owned(ctx, "reviewSubmission", "evidence", f"/v1/submissions/{segment(id)}")
        body = await ctx.clients.evidence.request("POST", f"/v1/submissions/{segment(id)}/decisions", ctx.user,
                                                  json=_payload(input))
        return Submission.from_json(body)

    @strawberry.mutation(description="Open a rating task (raters with levels, subjects, grades, round, closing).")
    async def open_rating_task(self, info: Ctx, input: RatingTaskInput,
                               idempotency_key: str | None = None) -> RatingTask:
        ctx = info.context
        bounded(period_id=input.period_id, indicator=input.indicator, kind=input.kind, scope=input.scope,
                closes_at=input.closes_at)
        bounded_texts("grades", input.grades)
        bounded_ids("subject_ids", input.subject_ids, limit=MAX_LIST)
        bounded_ids("raters", [r.rater for r in input.raters], limit=MAX_LIST)
        access.require(ctx.user, "openRatingTask", unit_path=input.scope)
        payload = {**_payload(input), "raters": [{"rater": r.rater, "level": r.level, "unit_path": r.unit_path}
                                                 for r in input.raters]}
        body = await ctx.clients.evidence.request("POST", "/v1/rating-tasks", ctx.user, json=payload,
                                                  headers=idempotency(idempotency_key))
        return RatingTask.from_json(body)

    @strawberry.mutation(description="Fill in (or change) the caller's own ballot; a null grade abstains.")
    async def cast_ballot(self, info: Ctx, task_id: strawberry.ID, answers: list[BallotAnswer]) -> Ballot:
        ctx = info.context
        bounded(task_id=str(task_id))
        bounded_ids("answers", [a.subject_id for a in answers], limit=MAX_LIST)
        access.require_role(ctx.user, "castBallot")
        body = await ctx.clients.evidence.request(
            "PUT", f"/v1/rating-tasks/{segment(task_id)}/ballot", ctx.user,
            json={"answers": [{"subject_id": a.subject_id, "grade": a.grade} for a in answers]})
        return Ballot.from_json({"task_id": str(task_id), **body})

    @strawberry.mutation(description="Close a rating task: its ballots become rating facts.")
    async def close_rating_task(self, info: Ctx, task_id: strawberry.ID, version: int) -> RatingTask:
        ctx = info.context
        bounded(task_id=str(task_id))
        access.require_role(ctx.user, "closeRatingTask")
        task = await ctx.clients.evidence.request("GET", f"/v1/rating-tasks/{segment(task_id)}", ctx.user)
        access.require(ctx.user, "closeRatingTask", unit_path=str(task.get("scope", "")))
        return RatingTask.from_json(await ctx.clients.evidence.request(
            "POST", f"/v1/rating-tasks/{segment(task_id)}/close", ctx.user, json={"version": version}))

    @strawberry.mutation(description=(
        "Approve a make-up (补报): the subject's late evidence (of `indicator`, or any) is taken for "
        "KAOHE_EVIDENCE_LATE_MAKEUP_WORKING_DAYS working days once the period no longer collects evidence; the office "
        "over the period only, never for its own subject."))
    async def grant_makeup(self, info: Ctx, period_id: strawberry.ID, subject_id: strawberry.ID, reason: str,
                           indicator: str | None = None, idempotency_key: str | None = None) -> Makeup:
        ctx = info.context
        bounded(period_id=str(period_id), subject_id=str(subject_id), indicator=indicator, reason=reason)
        await loaders.authorize_period(ctx, "grantMakeup", str(period_id))
        payload = {"period_id": str(period_id), "subject_id": str(subject_id), "reason": reason,
                   **({"indicator": indicator} if indicator is not None else {})}
        body = await ctx.clients.evidence.request("POST", "/v1/makeups", ctx.user, json=payload,
                                                  headers=idempotency(idempotency_key))
        return Makeup.from_json(body)

    @strawberry.mutation(description="Issue a rectification notice (问题整改单).")
    async def issue_rectification_notice(self, info: Ctx, input: RectificationInput,
                                         idempotency_key: str | None = None) -> RectificationNotice:
        ctx = info.context
        bounded(period_id=input.period_id, subject_id=input.subject_id, problem=input.problem,
                opinion=input.opinion, deadline=input.deadline, checked_at=input.checked_at)
        await loaders.authorize_subject(ctx, "issueRectificationNotice", input.period_id, input.subject_id)
        body = await ctx.clients.evidence.request("POST", "/v1/rectifications", ctx.user,
                                                  json=_payload(input), headers=idempotency(idempotency_key))
        return RectificationNotice.from_json(body)

    @strawberry.mutation(description="The inspected unit's feedback on a notice.")
    async def answer_rectification_notice(self, info: Ctx, id: strawberry.ID, feedback: str,
                                          version: int) -> RectificationNotice:
        ctx = info.context
        bounded(id=str(id), feedback=feedback)
        await fetch_owned(ctx, "answerRectificationNotice", "evidence", f"/v1/rectifications/{segment(id)}")
        body = await ctx.clients.evidence.request("POST", f"/v1/rectifications/{segment(id)}/feedback", ctx.user,
                                                  json={"feedback": feedback, "version": version})
        return RectificationNotice.from_json(body)

    @strawberry.mutation(description="The unit head's sign-off of the feedback (签字).")
    async def sign_rectification_notice(self, info: Ctx, id: strawberry.ID, version: int) -> RectificationNotice:
        ctx = info.context
        bounded(id=str(id))
        await fetch_owned(ctx, "signRectificationNotice", "evidence", f"/v1/rectifications/{segment(id)}")
        body = await ctx.clients.evidence.request("POST", f"/v1/rectifications/{segment(id)}/sign", ctx.user,
                                                  json={"version": version})
        return RectificationNotice.from_json(body)

    @strawberry.mutation(description=(
        "Appeal one fact point by point: any time before the period's 公示, then until the end (local time) of the "
        "10th working day (KAOHE_EVIDENCE_APPEAL_WINDOW_DAYS) after the later of the latest 公示 and the fact's last "
        "change; later is CONFLICT with details.closed_at."))
    async def file_appeal(self, info: Ctx, period_id: strawberry.ID, subject_id: strawberry.ID, fact_id: str,
                          points: list[str], idempotency_key: str | None = None) -> Appeal:
        ctx = info.context
        bounded(period_id=str(period_id), subject_id=str(subject_id), fact_id=fact_id)
        bounded_texts("points", points)
        await loaders.authorize_subject(ctx, "fileAppeal", str(period_id), str(subject_id))
        body = await ctx.clients.evidence.request("POST", "/v1/appeals", ctx.user, headers=idempotency(idempotency_key),
                                                  json={"fact_id": fact_id, "points": points})
        return Appeal.from_json(body)

    @strawberry.mutation(description=(
        "Answer an appeal point by point; an upheld appeal corrects or retracts the fact. Four-eyes principle "
        "(四眼原则): whoever filed the appeal and the person it is about may not answer it (FORBIDDEN)."))
    async def answer_appeal(self, info: Ctx, id: strawberry.ID, upheld: bool, replies: list[str], version: int,
                            correction: JSON | None = None) -> Appeal:
        ctx = info.context
        bounded(id=str(id))
        bounded_texts("replies", replies)
        await fetch_owned(ctx, "answerAppeal", "evidence", f"/v1/appeals/{segment(id)}")
        payload = {"decision": "upheld" if upheld else "dismissed", "replies": replies, "version": version,
                   "correction": correction}
        path = f"/v1/appeals/{segment(id)}/answer"
        return Appeal.from_json(await ctx.clients.evidence.request("POST", path, ctx.user, json=payload))
