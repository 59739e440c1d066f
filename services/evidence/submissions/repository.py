"""All SQL on submissions and their versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import copy_objects
from services.evidence.facts.repository import in_scopes
from services.evidence.periods.repository import frozen_period_ids
from services.evidence.submissions.models import Submission, SubmissionVersion


async def get(session: AsyncSession, submission_id: str) -> Submission | None:
    return await session.get(Submission, submission_id)


async def get_many(session: AsyncSession, submission_ids: Sequence[str]) -> Sequence[Submission]:
    stmt = select(Submission).where(Submission.id.in_(submission_ids))
    return (await session.scalars(stmt.order_by(Submission.id))).all()


async def add(session: AsyncSession, submission: Submission, first: SubmissionVersion) -> None:
    session.add(submission)
    await session.flush()
    session.add(first)
    await session.flush()


async def add_many(session: AsyncSession, submissions: Sequence[Submission],
                   firsts: Sequence[SubmissionVersion]) -> None:
    """New submissions and their first versions (none in the session), with one COPY each."""
    await copy_objects(session, submissions)
    await copy_objects(session, firsts)


async def add_version(session: AsyncSession, version: SubmissionVersion) -> None:
    session.add(version)
    await session.flush()


async def claim(session: AsyncSession, submission_id: str, expected_version: int) -> Submission | None:
    """Bump the row version if it is still `expected_version` (compare-and-swap; one writer wins)."""
    stmt = (update(Submission)
            .where(Submission.id == submission_id, Submission.version == expected_version)
            .values(version=Submission.version + 1)
            .returning(Submission.id))
    if (await session.execute(stmt)).first() is None:
        return None
    row = await session.get(Submission, submission_id, populate_existing=True)
    return row


async def current_version(session: AsyncSession, submission_id: str) -> int | None:
    """The row version as committed now (after a lost compare-and-swap, the version that won)."""
    return await session.scalar(select(Submission.version).where(Submission.id == submission_id))


async def versions(session: AsyncSession, submission_id: str) -> Sequence[SubmissionVersion]:
    stmt = select(SubmissionVersion).where(SubmissionVersion.submission_id == submission_id)
    return (await session.scalars(stmt.order_by(SubmissionVersion.number))).all()


async def version(session: AsyncSession, submission_id: str, number: int) -> SubmissionVersion | None:
    stmt = select(SubmissionVersion).where(SubmissionVersion.submission_id == submission_id,
                                           SubmissionVersion.number == number)
    return await session.scalar(stmt)


def _listed(*, scopes: Sequence[str], subject_ids: Sequence[str], period_id: str | None, status: str | None,
            subject_id: str | None) -> list[Any]:
    """The conditions of a submissions list: visible in `scopes` (or about `subject_ids`), filtered."""
    visible = in_scopes(Submission.unit_path, scopes)
    if subject_ids:
        visible = or_(visible, Submission.subject_id.in_(subject_ids))
    where: list[Any] = [visible]
    for column, value in ((Submission.period_id, period_id), (Submission.status, status),
                          (Submission.subject_id, subject_id)):
        if value is not None:
            where.append(column == value)
    return where


async def page(
    session: AsyncSession, *, scopes: Sequence[str], subject_ids: Sequence[str], period_id: str | None,
    status: str | None, subject_id: str | None, after: str | None, limit: int,
) -> Sequence[Submission]:
    """Submissions visible in `scopes` (or about `subject_ids`), filtered, in id order."""
    stmt = select(Submission).where(*_listed(scopes=scopes, subject_ids=subject_ids, period_id=period_id,
                                              status=status, subject_id=subject_id))
    if after is not None:
        stmt = stmt.where(Submission.id > after)
    return (await session.scalars(stmt.order_by(Submission.id).limit(limit))).all()


async def count(
    session: AsyncSession, *, scopes: Sequence[str], subject_ids: Sequence[str], period_id: str | None,
    status: str | None, subject_id: str | None,
) -> int:
    """How many submissions `page` pages through."""
    where = _listed(scopes=scopes, subject_ids=subject_ids, period_id=period_id, status=status, subject_id=subject_id)
    return int(await session.scalar(select(func.count()).select_from(Submission).where(*where)) or 0)


async def count_pending(session: AsyncSession, period_id: str) -> int:
    """How many submissions of the period wait for a review decision."""
    return int(await session.scalar(select(func.count()).select_from(Submission)
                                    .where(Submission.period_id == period_id, Submission.status == "pending")) or 0)


async def due_between(session: AsyncSession, start: datetime, end: datetime) -> Sequence[Submission]:
    """Pending submissions whose level deadline falls in [start, end) (the due-soon announcements)."""
    stmt = (select(Submission)
            .where(Submission.status == "pending", Submission.level_due_at >= start, Submission.level_due_at < end,
                   Submission.period_id.not_in(frozen_period_ids()))
            .order_by(Submission.level_due_at).limit(1000))
    return (await session.scalars(stmt)).all()


async def overdue(session: AsyncSession, now: datetime, limit: int) -> Sequence[Submission]:
    """Pending submissions whose level deadline has passed, locked (other sweepers skip them)."""
    stmt = (select(Submission)
            .where(Submission.status == "pending", Submission.level_due_at <= now,
                   Submission.period_id.not_in(frozen_period_ids()))
            .order_by(Submission.level_due_at).limit(limit).with_for_update(skip_locked=True))
    return (await session.scalars(stmt)).all()
