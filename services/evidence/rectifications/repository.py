"""All SQL on rectification notices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import counted_page
from services.common.listing import filters
from services.evidence.facts.repository import in_scopes
from services.evidence.periods.repository import frozen_period_ids
from services.evidence.rectifications.models import RectificationNotice


async def add(session: AsyncSession, notice: RectificationNotice) -> None:
    session.add(notice)
    await session.flush()


async def get(session: AsyncSession, notice_id: str) -> RectificationNotice | None:
    return await session.get(RectificationNotice, notice_id)


async def claim(session: AsyncSession, notice_id: str, expected_version: int) -> RectificationNotice | None:
    stmt = (update(RectificationNotice)
            .where(RectificationNotice.id == notice_id, RectificationNotice.version == expected_version)
            .values(version=RectificationNotice.version + 1).returning(RectificationNotice.id))
    if (await session.execute(stmt)).first() is None:
        return None
    return await session.get(RectificationNotice, notice_id, populate_existing=True)


async def page(session: AsyncSession, *, period_id: str, scopes: Sequence[str], subject_id: str | None,
               status: str | None, offset: int, limit: int) -> tuple[int, list[RectificationNotice]]:
    """A page of a period's notices within scopes, in the order they were checked, and their count."""
    where = [RectificationNotice.period_id == period_id, in_scopes(RectificationNotice.unit_path, scopes),
             *filters(RectificationNotice, subject_id=subject_id, status=status)]
    return await counted_page(session, RectificationNotice, where,
                              (RectificationNotice.checked_at, RectificationNotice.id), offset=offset, limit=limit)


async def overdue(session: AsyncSession, before: date) -> Sequence[RectificationNotice]:
    """Unsigned notices whose deadline day is before `before` (the local date now), locked."""
    stmt = (select(RectificationNotice)
            .where(RectificationNotice.status.in_(("open", "answered")), RectificationNotice.deadline < before,
                   RectificationNotice.period_id.not_in(frozen_period_ids()))
            .with_for_update(skip_locked=True))
    return (await session.scalars(stmt)).all()
