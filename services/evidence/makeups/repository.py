"""All SQL on make-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.evidence.makeups.models import Makeup


async def add(session: AsyncSession, makeup: Makeup) -> None:
    session.add(makeup)
    await session.flush()


async def covering(session: AsyncSession, *, period_id: str, subject_id: str, indicator: str | None,
                   at: datetime) -> Makeup | None:
    """An approved make-up of the subject still open at `at`, for the indicator or for any (the latest first)."""
    stmt = (select(Makeup)
            .where(Makeup.period_id == period_id, Makeup.subject_id == subject_id, Makeup.closes_at > at,
                   Makeup.approved_at <= at,
                   or_(Makeup.indicator.is_(None), Makeup.indicator == indicator) if indicator is not None
                   else Makeup.indicator.is_(None))
            .order_by(Makeup.approved_at.desc(), Makeup.id).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none()


async def of_period(session: AsyncSession, period_id: str, subject_id: str | None,
                    limit: int) -> Sequence[Makeup]:
    """A period's make-ups (of one subject), in the order they were approved."""
    stmt = select(Makeup).where(Makeup.period_id == period_id)
    if subject_id is not None:
        stmt = stmt.where(Makeup.subject_id == subject_id)
    return (await session.execute(stmt.order_by(Makeup.approved_at, Makeup.id).limit(limit))).scalars().all()
