"""All SQL about objections."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import advisory_lock, counted_page
from services.common.listing import filters
from services.ranking.objections.models import Objection


async def add(session: AsyncSession, objection: Objection) -> Objection:
    session.add(objection)
    await session.flush()
    return objection


async def get(session: AsyncSession, objection_id: uuid.UUID, *, lock: bool = False) -> Objection | None:
    stmt = select(Objection).where(Objection.id == objection_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def of_period(
    session: AsyncSession, period_id: str, visible: ColumnElement[bool], *, subject_id: str | None,
    status: str | None, offset: int, limit: int,
) -> tuple[int, list[Objection]]:
    """A page of a period's objections the SQL condition `visible` keeps (optionally one subject's or status's),
    oldest first, and their count."""
    where = [Objection.period_id == period_id, visible, *filters(Objection, subject_id=subject_id, status=status)]
    return await counted_page(session, Objection, where, (Objection.filed_at, Objection.id), offset=offset,
                              limit=limit)


async def count_open_of_subject(session: AsyncSession, period_id: str, subject_id: str) -> int:
    """The open objections to one subject's result in a period, counted after waiting for the other filings of the
    same subject (a transaction-scoped advisory lock), so that two at once cannot both pass a bound."""
    await advisory_lock(session, f"ranking.objection:{period_id}:{subject_id}")
    count = await session.scalar(
        select(func.count()).select_from(Objection)
        .where(Objection.period_id == period_id, Objection.subject_id == subject_id, Objection.status == "open"))
    return int(count or 0)


async def count_open(session: AsyncSession, period_id: str) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Objection)
        .where(Objection.period_id == period_id, Objection.status == "open")
    )
    return int(count or 0)
