"""All SQL on make-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import counted_page
from services.common.listing import filters
from services.evidence.facts.repository import in_scopes
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


async def of_period(session: AsyncSession, period_id: str, *, scopes: Sequence[str], subject_ids: Sequence[str],
                    subject_id: str | None, offset: int, limit: int) -> tuple[int, list[Makeup]]:
    """A page of a period's make-ups (of one subject) within scopes (or about the caller itself), in the order they
    were approved, and how many there are."""
    visible = in_scopes(Makeup.unit_path, scopes)
    if subject_ids:
        visible = visible | Makeup.subject_id.in_(subject_ids)
    where = [Makeup.period_id == period_id, visible, *filters(Makeup, subject_id=subject_id, status=None)]
    return await counted_page(session, Makeup, where, (Makeup.approved_at, Makeup.id), offset=offset, limit=limit)
