"""All SQL on journals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import counted_page, locked_row
from services.common.listing import filters
from services.evidence.facts.repository import in_scopes
from services.evidence.journals.models import JournalRoster, JournalWeek
from services.evidence.periods.repository import frozen_period_ids


async def add_roster(session: AsyncSession, rows: list[dict[str, str]]) -> None:
    stmt = insert(JournalRoster).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["period_id", "subject_id"],
        set_={"first_week": stmt.excluded.first_week, "last_week": stmt.excluded.last_week,
              "unit_path": stmt.excluded.unit_path, "indicator": stmt.excluded.indicator})
    await session.execute(stmt)


async def rosters(session: AsyncSession) -> Sequence[JournalRoster]:
    stmt = select(JournalRoster).where(JournalRoster.period_id.not_in(frozen_period_ids()))
    return (await session.scalars(stmt.order_by(JournalRoster.id))).all()


async def week(session: AsyncSession, period_id: str, subject_id: str, week: str) -> JournalWeek | None:
    """A person's week, locked for this transaction; a week not written yet is locked by its key, so that two
    first writes of it (a journal, an excuse, the sweep) run one after the other and the later finds the row."""
    stmt = select(JournalWeek).where(JournalWeek.period_id == period_id, JournalWeek.subject_id == subject_id,
                                     JournalWeek.week == week).with_for_update()
    key = f"evidence.journal_week:{period_id}/{subject_id}/{week}"
    found: JournalWeek | None = await locked_row(session, stmt, key)
    return found


async def weeks_of(session: AsyncSession, period_id: str, subject_id: str) -> Sequence[JournalWeek]:
    stmt = select(JournalWeek).where(JournalWeek.period_id == period_id, JournalWeek.subject_id == subject_id)
    return (await session.scalars(stmt.order_by(JournalWeek.week))).all()


async def add(session: AsyncSession, row: JournalWeek) -> None:
    session.add(row)
    await session.flush()


async def list_weeks(session: AsyncSession, *, period_id: str, scopes: Sequence[str], subject_ids: Sequence[str],
                     subject_id: str | None, status: str | None, offset: int,
                     limit: int) -> tuple[int, list[JournalWeek]]:
    """A page of a period's journal weeks within scopes (or the caller's own), by subject and week, and their count."""
    visible = in_scopes(JournalWeek.unit_path, scopes)
    if subject_ids:
        visible = visible | JournalWeek.subject_id.in_(subject_ids)
    where = [JournalWeek.period_id == period_id, visible, *filters(JournalWeek, subject_id=subject_id, status=status)]
    return await counted_page(session, JournalWeek, where, (JournalWeek.subject_id, JournalWeek.week),
                              offset=offset, limit=limit)


async def list_rosters(session: AsyncSession, *, period_id: str, scopes: Sequence[str],
                       subject_ids: Sequence[str], limit: int) -> Sequence[JournalRoster]:
    visible = in_scopes(JournalRoster.unit_path, scopes)
    if subject_ids:
        visible = visible | JournalRoster.subject_id.in_(subject_ids)
    stmt = select(JournalRoster).where(JournalRoster.period_id == period_id, visible)
    return (await session.scalars(stmt.order_by(JournalRoster.subject_id).limit(limit))).all()
