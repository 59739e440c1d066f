"""All SQL on facts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import copy_objects
from services.evidence.facts.models import Fact

LOOKUP_BATCH = 5_000  # ids per query (a bound parameter each)


def in_scopes(column: Any, scopes: Sequence[str]) -> ColumnElement[bool]:
    """SQL: the unit path lies in one of the scopes (`""` covers everything)."""
    if "" in scopes:
        return true()
    if not scopes:
        return false()
    return or_(*(or_(column == s, column.startswith(s + "/", autoescape=True)) for s in scopes))


async def get(session: AsyncSession, fact_id: str) -> Fact | None:
    return await session.get(Fact, fact_id, with_for_update=True)


async def get_many(session: AsyncSession, fact_ids: Sequence[str]) -> dict[str, Fact]:
    """The facts of these ids that exist, locked as `get` locks one (in id order: no two writers wait in a circle)."""
    found: dict[str, Fact] = {}
    ordered = sorted(set(fact_ids))
    for start in range(0, len(ordered), LOOKUP_BATCH):
        stmt = select(Fact).where(Fact.id.in_(ordered[start:start + LOOKUP_BATCH])).order_by(Fact.id).with_for_update()
        found.update((fact.id, fact) for fact in (await session.scalars(stmt)).all())
    return found


async def add_many(session: AsyncSession, facts: Sequence[Fact]) -> None:
    """New facts (none in the session), with one COPY."""
    await copy_objects(session, facts)


async def add(session: AsyncSession, fact: Fact) -> None:
    session.add(fact)
    await session.flush()


def _current(*, period_id: str, scopes: Sequence[str], subject_id: str | None, indicator: str | None,
             ids: Sequence[str] | None = None) -> list[ColumnElement[bool]]:
    """The conditions of a period's current facts within scopes, optionally of a subject, an indicator, some ids."""
    where = [Fact.period_id == period_id, Fact.retracted.is_(False), in_scopes(Fact.unit_path, scopes)]
    if subject_id is not None:
        where.append(Fact.subject_id == subject_id)
    if indicator is not None:
        where.append(Fact.indicator == indicator)
    if ids is not None:
        where.append(Fact.id.in_(list(ids)))
    return where


async def page(
    session: AsyncSession, *, period_id: str, scopes: Sequence[str], after: str | None, limit: int,
    subject_id: str | None, indicator: str | None, ids: Sequence[str] | None = None,
) -> Sequence[Fact]:
    """Current facts of a period in id order, after a cursor, within scopes."""
    stmt = select(Fact).where(*_current(period_id=period_id, scopes=scopes, subject_id=subject_id,
                                        indicator=indicator, ids=ids))
    if after is not None:
        stmt = stmt.where(Fact.id > after)
    return (await session.scalars(stmt.order_by(Fact.id).limit(limit))).all()


async def count(
    session: AsyncSession, *, period_id: str, scopes: Sequence[str], subject_id: str | None, indicator: str | None,
    ids: Sequence[str] | None = None,
) -> int:
    """How many current facts `page` pages through."""
    where = _current(period_id=period_id, scopes=scopes, subject_id=subject_id, indicator=indicator, ids=ids)
    return int(await session.scalar(select(func.count()).select_from(Fact).where(*where)) or 0)
