"""What waits for the caller (issue 17): `GET /v1/inbox/{part}`, one list per part, each scoped to the caller.

- `reviews`: pending submissions at a level the caller may review (reviewer or admin over the unit and the
  level's scope), soonest deadline first;
- `ratings`: open rating tasks that list the caller as a rater and that it has not fully answered;
- `notices`: rectification notices awaiting the caller: feedback (`open`, a submitter or admin over the unit) or
  the unit head's signature (`answered`, a reviewer or admin over the unit), soonest deadline first;
- `appeals`: open appeals an admin over the subject must answer, soonest answer deadline first;
- `journals`: the caller's own rostered weeks (its `subject_ids`) whose journal falls due this week (local time)
  and is not in yet.

Each answer holds at most MAX_ITEMS rows (the gateway pages them); `truncated` says when more exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import listing
from services.common.auth import CurrentPrincipal, Principal
from services.common.db import SessionDep
from services.common.localtime import instant_json
from services.common.settings import get_settings
from services.evidence.appeals.models import Appeal
from services.evidence.appeals.schemas import AppealRead
from services.evidence.clock import Now
from services.evidence.journals.models import JournalRoster, JournalWeek
from services.evidence.journals.service import week_due, weeks
from services.evidence.ratings.models import RatingBallot, RatingRater, RatingSubject, RatingTask
from services.evidence.rectifications.models import RectificationNotice
from services.evidence.rectifications.schemas import NoticeRead
from services.evidence.reviews.chains import may_review
from services.evidence.submissions.models import Submission
from services.evidence.submissions.service import to_read

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])
MAX_ITEMS = 1000
SCANNED = 5000  # pending submissions read to find those at the caller's levels
Part = Literal["reviews", "ratings", "notices", "appeals", "journals"]


@router.get("/{part}", summary="What waits for the caller: one part of its inbox")
async def inbox(part: Part, session: SessionDep, principal: CurrentPrincipal, now: Now) -> dict[str, Any]:
    """One part of what waits for the caller (待办), at most 1,000 items (`truncated` says when there were more):
    `reviews` (pending submissions at a level the caller reviews, soonest deadline first), `ratings` (open
    tasks listing the caller as a rater, not fully answered), `notices` (rectification notices awaiting its
    feedback or its signature), `appeals` (open appeals it must answer), `journals` (its own weeks due this
    week).
    """
    found = await PARTS[part](session, principal, now)
    return {"items": found[:MAX_ITEMS], "truncated": len(found) > MAX_ITEMS}


async def _reviews(session: AsyncSession, principal: Principal, now: datetime) -> list[Any]:
    scopes = principal.scopes_for("reviewer", "admin")
    if not scopes:
        return []
    rows = await session.scalars(
        select(Submission).where(Submission.status == "pending", listing.scopes_covering(Submission.unit_path, scopes))
        .order_by(Submission.level_due_at.asc().nulls_last(), Submission.created_at, Submission.id).limit(SCANNED))
    return [to_read(s).model_dump(mode="json") for s in rows
            if s.level < len(s.chain) and may_review(principal, s.chain[s.level], s.unit_path)]


async def _ratings(session: AsyncSession, principal: Principal, now: datetime) -> list[Any]:
    subjects = (select(func.count()).select_from(RatingSubject).where(RatingSubject.task_id == RatingTask.id)
                .scalar_subquery())
    answered = (select(func.count()).select_from(RatingBallot)
                .where(RatingBallot.task_id == RatingTask.id, RatingBallot.rater == principal.subject)
                .scalar_subquery())
    rows = await session.execute(
        select(RatingTask, RatingRater.level, subjects, answered)
        .join(RatingRater, and_(RatingRater.task_id == RatingTask.id, RatingRater.rater == principal.subject))
        .where(RatingTask.status == "open", RatingTask.closes_at > now)
        .order_by(RatingTask.closes_at, RatingTask.id).limit(MAX_ITEMS + 1))
    return [{"task_id": task.id, "period_id": task.period_id, "indicator": task.indicator, "kind": task.kind,
             "round": task.round, "level": level, "closes_at": instant_json(task.closes_at), "subjects": total,
             "answered": done} for task, level, total, done in rows if done < total]


async def _notices(session: AsyncSession, principal: Principal, now: datetime) -> list[Any]:
    feedback, sign = principal.scopes_for("submitter", "admin"), principal.scopes_for("reviewer", "admin")
    rows = await session.scalars(
        select(RectificationNotice).where(or_(
            and_(RectificationNotice.status == "open",
                 listing.scopes_covering(RectificationNotice.unit_path, feedback)),
            and_(RectificationNotice.status == "answered",
                 listing.scopes_covering(RectificationNotice.unit_path, sign))))
        .order_by(RectificationNotice.deadline, RectificationNotice.id).limit(MAX_ITEMS + 1))
    return [NoticeRead.model_validate(n).model_dump(mode="json") for n in rows]


async def _appeals(session: AsyncSession, principal: Principal, now: datetime) -> list[Any]:
    rows = await session.scalars(
        select(Appeal).where(Appeal.status == "open",
                             listing.scopes_covering(Appeal.unit_path, principal.scopes_for("admin")))
        .order_by(Appeal.answer_due_at, Appeal.id).limit(MAX_ITEMS + 1))
    return [AppealRead.at(a, now).model_dump(mode="json") for a in rows]


async def _journals(session: AsyncSession, principal: Principal, now: datetime) -> list[Any]:
    if not principal.subject_ids:
        return []
    local = now.astimezone(ZoneInfo(get_settings().timezone))
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), datetime.min.time(),
                              tzinfo=local.tzinfo).astimezone(UTC)
    sunday_end = monday + timedelta(days=7)
    rosters = await session.scalars(select(JournalRoster).where(
        JournalRoster.subject_id.in_(list(principal.subject_ids))).order_by(JournalRoster.period_id))
    due: list[dict[str, Any]] = []
    for roster in rosters:
        for week in weeks(roster.first_week, roster.last_week):
            deadline = week_due(week)
            if not monday <= deadline < sunday_end:
                continue
            row = await session.scalar(select(JournalWeek).where(
                JournalWeek.period_id == roster.period_id, JournalWeek.subject_id == roster.subject_id,
                JournalWeek.week == week))
            if row is None or row.status == "missing":
                due.append({"period_id": roster.period_id, "subject_id": roster.subject_id, "week": week,
                            "indicator": roster.indicator, "due_at": instant_json(deadline),
                            "status": row.status if row is not None else "due"})
    return due


PARTS = {"reviews": _reviews, "ratings": _ratings, "notices": _notices, "appeals": _appeals, "journals": _journals}
