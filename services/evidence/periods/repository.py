"""All SQL on period states."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.evidence.periods.models import PeriodState


def frozen_period_ids() -> Select[str]:
    """The periods ranking announced as finalized: sweeps leave their evidence alone."""
    return select(PeriodState.period_id).where(PeriodState.status == "finalized")


async def get(session: AsyncSession, period_id: str) -> PeriodState | None:
    return await session.get(PeriodState, period_id)


async def set_status(session: AsyncSession, period_id: str, status: str) -> None:
    now = clock.now()
    stmt = insert(PeriodState).values(period_id=period_id, status=status, updated_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["period_id"], set_={"status": status, "updated_at": now})
    await session.execute(stmt)
