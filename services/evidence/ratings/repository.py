"""All SQL on rating tasks and ballots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.evidence.periods.repository import frozen_period_ids
from services.evidence.ratings.models import RatingBallot, RatingRater, RatingSubject, RatingTask


async def add_task(session: AsyncSession, task: RatingTask, raters: list[RatingRater],
                   subjects: list[RatingSubject]) -> None:
    session.add(task)
    await session.flush()
    session.add_all([*raters, *subjects])
    await session.flush()


async def get(session: AsyncSession, task_id: str) -> RatingTask | None:
    return await session.get(RatingTask, task_id)


async def rater(session: AsyncSession, task_id: str, name: str) -> RatingRater | None:
    return await session.scalar(select(RatingRater).where(RatingRater.task_id == task_id, RatingRater.rater == name))


async def raters(session: AsyncSession, task_id: str) -> Sequence[RatingRater]:
    return (await session.scalars(select(RatingRater).where(RatingRater.task_id == task_id))).all()


async def subjects(session: AsyncSession, task_id: str) -> Sequence[RatingSubject]:
    stmt = select(RatingSubject).where(RatingSubject.task_id == task_id).order_by(RatingSubject.subject_id)
    return (await session.scalars(stmt)).all()


async def ballots(session: AsyncSession, task_id: str, rater_name: str | None = None) -> Sequence[RatingBallot]:
    stmt = select(RatingBallot).where(RatingBallot.task_id == task_id)
    if rater_name is not None:
        stmt = stmt.where(RatingBallot.rater == rater_name)
    return (await session.scalars(stmt.order_by(RatingBallot.rater, RatingBallot.subject_id))).all()


async def put_answer(session: AsyncSession, *, task_id: str, rater_name: str, subject_id: str,
                     grade: str | None, at: datetime) -> None:
    stmt = insert(RatingBallot).values(task_id=task_id, rater=rater_name, subject_id=subject_id, grade=grade,
                                       answered_at=at)
    stmt = stmt.on_conflict_do_update(index_elements=["task_id", "rater", "subject_id"],
                                      set_={"grade": grade, "answered_at": at})
    await session.execute(stmt)


async def claim(session: AsyncSession, task_id: str, expected_version: int) -> RatingTask | None:
    stmt = (update(RatingTask).where(RatingTask.id == task_id, RatingTask.version == expected_version)
            .values(version=RatingTask.version + 1).returning(RatingTask.id))
    if (await session.execute(stmt)).first() is None:
        return None
    return await session.get(RatingTask, task_id, populate_existing=True)


async def closing_before(session: AsyncSession, moment: datetime) -> Sequence[RatingTask]:
    """Open tasks of periods not finalized that close before `moment` (read only)."""
    stmt = select(RatingTask).where(RatingTask.status == "open", RatingTask.closes_at < moment,
                                    RatingTask.period_id.not_in(frozen_period_ids())).limit(1000)
    return (await session.scalars(stmt)).all()


async def due_to_close(session: AsyncSession, now: datetime) -> Sequence[RatingTask]:
    stmt = (select(RatingTask).where(RatingTask.status == "open", RatingTask.closes_at <= now,
                                     RatingTask.period_id.not_in(frozen_period_ids()))
            .with_for_update(skip_locked=True))
    return (await session.scalars(stmt)).all()
