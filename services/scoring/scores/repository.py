"""All SQL of the scores context: fact copies, score versions, due periods."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.periods.models import Period
from services.scoring.scores.models import FactCopy, ScoreVersion

CHUNK = 2000


async def upsert_facts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace fact copies (a correction keeps the fact's id)."""
    for start in range(0, len(rows), CHUNK):
        stmt = insert(FactCopy).values(list(rows[start:start + CHUNK]))
        stmt = stmt.on_conflict_do_update(
            index_elements=["period_id", "fact_id"],
            set_={"subject_id": stmt.excluded.subject_id, "indicator": stmt.excluded.indicator,
                  "body": stmt.excluded.body, "updated_at": stmt.excluded.updated_at},
        )
        await session.execute(stmt)


async def delete_fact(session: AsyncSession, period_id: str, fact_id: str) -> bool:
    result = await session.execute(
        delete(FactCopy).where(FactCopy.period_id == period_id, FactCopy.fact_id == fact_id)
        .returning(FactCopy.fact_id))
    return result.first() is not None


async def delete_all_facts(session: AsyncSession, period_id: str) -> None:
    await session.execute(delete(FactCopy).where(FactCopy.period_id == period_id))


async def fact_bodies(session: AsyncSession, period_id: str) -> list[dict[str, Any]]:
    result = await session.execute(select(FactCopy.body).where(FactCopy.period_id == period_id))
    return [body for (body,) in result]


def _newest_ids(period_id: str, subject_ids: Sequence[str] | None = None) -> Any:
    """The id of the newest version of every (subject, indicator) of a period."""
    stmt = select(func.max(ScoreVersion.id)).where(ScoreVersion.period_id == period_id)
    if subject_ids is not None:
        stmt = stmt.where(ScoreVersion.subject_id.in_(subject_ids))
    return stmt.group_by(ScoreVersion.subject_id, ScoreVersion.indicator)


async def latest_versions(session: AsyncSession, period_id: str, subject_ids: Sequence[str] | None = None,
                          ) -> list[ScoreVersion]:
    """The newest version of every (subject, indicator) of a period."""
    stmt = select(ScoreVersion).where(ScoreVersion.id.in_(_newest_ids(period_id, subject_ids)))
    return list(await session.scalars(stmt.order_by(ScoreVersion.subject_id, ScoreVersion.indicator)))


async def latest_values(session: AsyncSession, period_id: str) -> dict[tuple[str, str], Any]:
    """(subject, indicator) → newest value, without loading explanations."""
    stmt = (select(ScoreVersion.subject_id, ScoreVersion.indicator, ScoreVersion.value)
            .where(ScoreVersion.id.in_(_newest_ids(period_id))))
    return {(s, i): v for s, i, v in await session.execute(stmt)}


async def insert_versions(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(ScoreVersion).values(list(rows[start:start + CHUNK])))


async def history(session: AsyncSession, period_id: str, subject_id: str, indicator: str,
                  as_of: datetime | None = None) -> list[ScoreVersion]:
    stmt = select(ScoreVersion).where(ScoreVersion.period_id == period_id, ScoreVersion.subject_id == subject_id,
                                      ScoreVersion.indicator == indicator)
    if as_of is not None:
        stmt = stmt.where(ScoreVersion.created_at <= as_of)
    return list(await session.scalars(stmt.order_by(ScoreVersion.id)))


async def claim_due_period(session: AsyncSession, quiet_before: datetime) -> Period | None:
    """One period whose last fact change is older than the quiet time, locked (other instances skip it)."""
    stmt = (select(Period).where(Period.recompute_due_at.is_not(None), Period.recompute_due_at <= quiet_before)
            .order_by(Period.recompute_due_at).limit(1).with_for_update(skip_locked=True))
    return await session.scalar(stmt)
