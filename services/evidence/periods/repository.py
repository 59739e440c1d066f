"""All SQL on period states."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.evidence.periods.models import PeriodState


def frozen_period_ids() -> Select[str]:
    """The periods ranking announced as finalized: sweeps leave their evidence alone."""
    return select(PeriodState.period_id).where(PeriodState.status == "finalized")


async def get(session: AsyncSession, period_id: str) -> PeriodState | None:
    return await session.get(PeriodState, period_id)


async def set_status(session: AsyncSession, period_id: str, status: str, published_at: datetime | None = None) -> None:
    """Record ranking's status; `published_at` (a 公示) replaces the one kept, None keeps it."""
    now = clock.now()
    stmt = insert(PeriodState).values(period_id=period_id, status=status, updated_at=now, published_at=published_at)
    stmt = stmt.on_conflict_do_update(index_elements=["period_id"], set_={
        "status": status, "updated_at": now,
        "published_at": func.coalesce(stmt.excluded.published_at, PeriodState.published_at)})
    await session.execute(stmt)
