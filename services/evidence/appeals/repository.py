"""All SQL on appeals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.evidence.appeals.models import Appeal
from services.evidence.facts.repository import in_scopes


async def add(session: AsyncSession, appeal: Appeal) -> None:
    session.add(appeal)
    await session.flush()


async def get(session: AsyncSession, appeal_id: str) -> Appeal | None:
    return await session.get(Appeal, appeal_id)


async def open_for(session: AsyncSession, fact_id: str) -> Appeal | None:
    return await session.scalar(select(Appeal).where(Appeal.fact_id == fact_id, Appeal.status == "open"))


async def claim(session: AsyncSession, appeal_id: str, expected_version: int) -> Appeal | None:
    """Bump the version if unchanged since the caller read it (one answer wins)."""
    stmt = (update(Appeal).where(Appeal.id == appeal_id, Appeal.version == expected_version)
            .values(version=Appeal.version + 1).returning(Appeal.id))
    if (await session.execute(stmt)).first() is None:
        return None
    return await session.get(Appeal, appeal_id, populate_existing=True)


async def page(session: AsyncSession, *, period_id: str, scopes: Sequence[str],
               subject_ids: Sequence[str], limit: int) -> Sequence[Appeal]:
    visible = in_scopes(Appeal.unit_path, scopes)
    if subject_ids:
        visible = or_(visible, Appeal.subject_id.in_(subject_ids))
    stmt = select(Appeal).where(Appeal.period_id == period_id, visible)
    return (await session.scalars(stmt.order_by(Appeal.filed_at, Appeal.id).limit(limit))).all()
