"""All SQL of the organisation context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.organisation.models import ApiKey, Person, Unit


async def get_unit(session: AsyncSession, unit_id: str) -> Unit | None:
    return await session.get(Unit, unit_id)


async def taken_ids(session: AsyncSession, model: type[Unit] | type[Person], ids: Sequence[str]) -> set[str]:
    """Those of `ids` a unit (or person) has, asked 1,000 at a time."""
    taken: set[str] = set()
    for start in range(0, len(ids), 1000):
        taken.update(await session.scalars(select(model.id).where(model.id.in_(ids[start:start + 1000]))))
    return taken


async def unit_by_path(session: AsyncSession, path: str) -> Unit | None:
    return await session.scalar(select(Unit).where(Unit.path == path))


async def units_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Unit]:
    return list(await session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.path)))


async def people_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[tuple[Person, str]]:
    rows = await session.execute(
        select(Person, Unit.path).join(Unit, Unit.id == Person.unit_id).where(Person.id.in_(ids)).order_by(Person.id)
    )
    return [(person, path) for person, path in rows]


async def names_in_unit(session: AsyncSession, unit_id: str) -> list[tuple[str, str]]:
    """(id, name) of the people of one unit."""
    rows = await session.execute(select(Person.id, Person.name).where(Person.unit_id == unit_id).order_by(Person.id))
    return [(person_id, name) for person_id, name in rows]


async def names_under(session: AsyncSession, parent_id: str | None) -> list[tuple[str, str]]:
    """(id, name) of the units directly under a parent (the roots for None)."""
    where = Unit.parent_id.is_(None) if parent_id is None else Unit.parent_id == parent_id
    return [(unit_id, name) for unit_id, name in await session.execute(
        select(Unit.id, Unit.name).where(where).order_by(Unit.id))]


async def add(session: AsyncSession, row: Unit | Person | ApiKey) -> None:
    session.add(row)
    await session.flush()


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    return list(await session.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None)).order_by(ApiKey.created_at)))


async def get_api_key(session: AsyncSession, key_id: str) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def api_key_creators(session: AsyncSession, key_ids: list[str]) -> dict[str, str]:
    rows = await session.execute(select(ApiKey.id, ApiKey.created_by).where(ApiKey.id.in_(key_ids)))
    return {key_id: creator for key_id, creator in rows}


async def api_key_by_hash(session: AsyncSession, digest: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.key_sha256 == digest, ApiKey.revoked_at.is_(None)))


def now() -> datetime:
    return datetime.now(UTC)


async def units_by_paths(session: AsyncSession, paths: Sequence[str]) -> list[Unit]:
    return list(await session.scalars(select(Unit).where(Unit.path.in_(paths)).order_by(Unit.path)))


async def children(session: AsyncSession, parent_id: str | None, visible: ColumnElement[bool], *,
                   after: str | None, limit: int) -> tuple[list[Unit], int]:
    """The units under `parent_id` (roots for None) that `visible` admits, by path (keyset), and their count."""
    where = [Unit.parent_id == parent_id if parent_id is not None else Unit.parent_id.is_(None), visible]
    total = int(await session.scalar(select(func.count()).select_from(Unit).where(*where)) or 0)
    stmt = select(Unit).where(*where, *([Unit.path > after] if after is not None else []))
    return list(await session.scalars(stmt.order_by(Unit.path).limit(limit))), total


async def people_of_unit(session: AsyncSession, unit_id: str, *, after: str | None,
                         limit: int) -> tuple[list[Person], int]:
    """The people of one unit by id (keyset), and their count."""
    where = [Person.unit_id == unit_id]
    total = int(await session.scalar(select(func.count()).select_from(Person).where(*where)) or 0)
    stmt = select(Person).where(*where, *([Person.id > after] if after is not None else []))
    return list(await session.scalars(stmt.order_by(Person.id).limit(limit))), total
