"""All SQL about objections."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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
    session: AsyncSession, period_id: str, *, subject_id: str | None, limit: int
) -> list[Objection]:
    """A period's objections (optionally one subject's), oldest first."""
    stmt = select(Objection).where(Objection.period_id == period_id)
    if subject_id is not None:
        stmt = stmt.where(Objection.subject_id == subject_id)
    rows = await session.scalars(stmt.order_by(Objection.filed_at, Objection.id).limit(limit))
    return list(rows)


async def count_open(session: AsyncSession, period_id: str) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Objection)
        .where(Objection.period_id == period_id, Objection.status == "open")
    )
    return int(count or 0)
