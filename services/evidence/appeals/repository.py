"""All SQL on appeals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import counted_page
from services.common.listing import filters
from services.evidence.appeals.models import Appeal
from services.evidence.facts.repository import in_scopes


async def add(session: AsyncSession, appeal: Appeal) -> None:
    session.add(appeal)
    await session.flush()


async def get(session: AsyncSession, appeal_id: str) -> Appeal | None:
    return await session.get(Appeal, appeal_id)


async def open_for(session: AsyncSession, fact_id: str) -> Appeal | None:
    return await session.scalar(select(Appeal).where(Appeal.fact_id == fact_id, Appeal.status == "open"))


async def count_open(session: AsyncSession, period_id: str) -> int:
    """How many appeals of the period wait for an answer."""
    return int(await session.scalar(select(func.count()).select_from(Appeal)
                                    .where(Appeal.period_id == period_id, Appeal.status == "open")) or 0)


async def claim(session: AsyncSession, appeal_id: str, expected_version: int) -> Appeal | None:
    """Bump the version if unchanged since the caller read it (one answer wins)."""
    stmt = (update(Appeal).where(Appeal.id == appeal_id, Appeal.version == expected_version)
            .values(version=Appeal.version + 1).returning(Appeal.id))
    if (await session.execute(stmt)).first() is None:
        return None
    return await session.get(Appeal, appeal_id, populate_existing=True)


async def page(session: AsyncSession, *, period_id: str, scopes: Sequence[str], subject_ids: Sequence[str],
               subject_id: str | None, status: str | None, offset: int, limit: int) -> tuple[int, list[Appeal]]:
    """A page of a period's appeals within scopes (or of the caller's own subjects), oldest first, and their count."""
    visible = in_scopes(Appeal.unit_path, scopes)
    if subject_ids:
        visible = or_(visible, Appeal.subject_id.in_(subject_ids))
    where = [Appeal.period_id == period_id, visible, *filters(Appeal, subject_id=subject_id, status=status)]
    return await counted_page(session, Appeal, where, (Appeal.filed_at, Appeal.id), offset=offset, limit=limit)
