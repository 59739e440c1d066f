"""All SQL about ranked periods, snapshots and reopenings."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ranking.periods.models import PeriodReopening, PeriodSnapshot, RankedPeriod


async def get(session: AsyncSession, period_id: str, *, lock: bool = False) -> RankedPeriod | None:
    """One period; `lock` serialises writers of the same period (recompute, publish, finalize)."""
    stmt = select(RankedPeriod).where(RankedPeriod.id == period_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def add(session: AsyncSession, period: RankedPeriod) -> RankedPeriod:
    session.add(period)
    await session.flush()
    return period


async def finalized_of_scheme(session: AsyncSession, scheme_id: str) -> list[RankedPeriod]:
    """The finalized periods of one scheme (roll-up sources), by label."""
    rows = await session.scalars(
        select(RankedPeriod)
        .where(RankedPeriod.scheme_id == scheme_id, RankedPeriod.status == "finalized")
        .order_by(RankedPeriod.label)
    )
    return list(rows)


async def snapshots(session: AsyncSession, period_id: str) -> list[PeriodSnapshot]:
    rows = await session.scalars(
        select(PeriodSnapshot).where(PeriodSnapshot.period_id == period_id).order_by(PeriodSnapshot.sequence)
    )
    return list(rows)


async def snapshot(session: AsyncSession, period_id: str, sequence: int) -> PeriodSnapshot | None:
    rows = await session.scalars(
        select(PeriodSnapshot).where(PeriodSnapshot.period_id == period_id, PeriodSnapshot.sequence == sequence)
    )
    return rows.first()


async def latest_snapshot(session: AsyncSession, period_id: str) -> PeriodSnapshot | None:
    rows = await session.scalars(
        select(PeriodSnapshot).where(PeriodSnapshot.period_id == period_id)
        .order_by(PeriodSnapshot.sequence.desc()).limit(1)
    )
    return rows.first()


async def next_sequence(session: AsyncSession, period_id: str) -> int:
    last = await session.scalar(
        select(func.max(PeriodSnapshot.sequence)).where(PeriodSnapshot.period_id == period_id)
    )
    return int(last or 0) + 1


async def add_snapshot(session: AsyncSession, snapshot: PeriodSnapshot) -> None:
    session.add(snapshot)
    await session.flush()


async def add_reopening(session: AsyncSession, reopening: PeriodReopening) -> None:
    session.add(reopening)
    await session.flush()


async def reopenings(session: AsyncSession, period_id: str) -> list[PeriodReopening]:
    rows = await session.scalars(
        select(PeriodReopening).where(PeriodReopening.period_id == period_id).order_by(PeriodReopening.id)
    )
    return list(rows)
