"""All SQL of the periods context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.organisation.models import Person, Unit
from services.scoring.periods.models import Period, PeriodSubject


async def get(session: AsyncSession, period_id: str, *, lock: bool = False) -> Period | None:
    stmt = select(Period).where(Period.id == period_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def with_label(session: AsyncSession, scheme_id: str, label: str, owner_path: str) -> Period | None:
    """The scheme's period with this label and owner, the oldest if several (opened before kaohe refused a second)."""
    stmt = select(Period).where(Period.scheme_id == scheme_id, Period.label == label, Period.owner_path == owner_path)
    return await session.scalar(stmt.order_by(Period.created_at, Period.id).limit(1))


async def page(session: AsyncSession, visible: ColumnElement[bool], *, limit: int, after: tuple[datetime, str] | None,
               status: str | None) -> tuple[list[Period], int]:
    """Newest first, keyset on (created_at, id); with the count of every visible row."""
    where = [visible] + ([Period.status == status] if status else [])
    total = int(await session.scalar(select(func.count()).select_from(Period).where(*where)) or 0)
    stmt = select(Period).where(*where)
    if after is not None:
        stmt = stmt.where(tuple_(Period.created_at, Period.id) < tuple_(*after))
    rows = await session.scalars(stmt.order_by(Period.created_at.desc(), Period.id.desc()).limit(limit))
    return list(rows), total


async def add(session: AsyncSession, period: Period) -> None:
    session.add(period)
    await session.flush()


async def subject_count(session: AsyncSession, period_id: str) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(PeriodSubject).where(PeriodSubject.period_id == period_id)) or 0)


async def subject_counts(session: AsyncSession, period_ids: Sequence[str]) -> dict[str, int]:
    """period id → its number of subjects (periods without any are left out)."""
    if not period_ids:
        return {}
    rows = await session.execute(select(PeriodSubject.period_id, func.count()).where(
        PeriodSubject.period_id.in_(list(period_ids))).group_by(PeriodSubject.period_id))
    return {period_id: int(count) for period_id, count in rows}


async def subjects(session: AsyncSession, period_id: str, ids: Sequence[str] | None = None) -> list[PeriodSubject]:
    stmt = select(PeriodSubject).where(PeriodSubject.period_id == period_id)
    if ids is not None:
        stmt = stmt.where(PeriodSubject.subject_id.in_(ids))
    return list(await session.scalars(stmt.order_by(PeriodSubject.subject_id)))


async def organisation_units(session: AsyncSession, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """unit id → (name, path)."""
    rows = await session.execute(select(Unit.id, Unit.name, Unit.path).where(Unit.id.in_(ids)))
    return {uid: (name, path) for uid, name, path in rows}


async def organisation_people(session: AsyncSession, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """person id → (name, unit path)."""
    rows = await session.execute(
        select(Person.id, Person.name, Unit.path).join(Unit, Unit.id == Person.unit_id).where(Person.id.in_(ids)))
    return {pid: (name, path) for pid, name, path in rows}


async def upsert_subjects(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 2000):
        chunk = rows[start:start + 2000]
        stmt = insert(PeriodSubject).values(chunk)
        stmt = stmt.on_conflict_do_update(
            index_elements=["period_id", "subject_id"],
            set_={"name": stmt.excluded.name, "group": stmt.excluded.group, "unit_path": stmt.excluded.unit_path,
                  "attributes": stmt.excluded.attributes, "kind": stmt.excluded.kind},
        )
        await session.execute(stmt)


async def remove_subject(session: AsyncSession, period_id: str, subject_id: str) -> bool:
    result = await session.execute(
        delete(PeriodSubject).where(PeriodSubject.period_id == period_id, PeriodSubject.subject_id == subject_id)
        .returning(PeriodSubject.id))
    return result.first() is not None
