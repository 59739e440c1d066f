"""All SQL of the schemes context."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.schemes.models import Scheme, SchemeVersion


async def get_scheme(session: AsyncSession, scheme_id: str) -> Scheme | None:
    return await session.get(Scheme, scheme_id)


async def get_version(
    session: AsyncSession, scheme_id: str, version: int, *, lock: bool = False
) -> SchemeVersion | None:
    stmt = select(SchemeVersion).where(SchemeVersion.scheme_id == scheme_id, SchemeVersion.version == version)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def precision(session: AsyncSession, scheme_id: str, version: int) -> int | None:
    """The `precision` key of a version's document (None when it has none)."""
    found = await session.scalar(select(SchemeVersion.document["precision"].as_integer()).where(
        SchemeVersion.scheme_id == scheme_id, SchemeVersion.version == version))
    return int(found) if found is not None else None


async def list_versions(session: AsyncSession, scheme_id: str) -> list[SchemeVersion]:
    return list(await session.scalars(
        select(SchemeVersion).where(SchemeVersion.scheme_id == scheme_id).order_by(SchemeVersion.version)
    ))


async def last_version(session: AsyncSession, scheme_id: str) -> int:
    found = await session.scalar(select(func.max(SchemeVersion.version)).where(SchemeVersion.scheme_id == scheme_id))
    return int(found or 0)


async def add(session: AsyncSession, row: Scheme | SchemeVersion) -> None:
    session.add(row)
    await session.flush()


def published_exists() -> ColumnElement[bool]:
    return exists().where(SchemeVersion.scheme_id == Scheme.id, SchemeVersion.status == "published")


async def page(session: AsyncSession, visible: ColumnElement[bool], *, limit: int,
               after: str | None) -> tuple[list[Scheme], int]:
    """Schemes by id (keyset), with the count of every visible one."""
    total = int(await session.scalar(select(func.count()).select_from(Scheme).where(visible)) or 0)
    stmt = select(Scheme).where(visible)
    if after is not None:
        stmt = stmt.where(Scheme.id > after)
    return list(await session.scalars(stmt.order_by(Scheme.id).limit(limit))), total


async def versions_of(session: AsyncSession, scheme_ids: list[str]) -> list[SchemeVersion]:
    return list(await session.scalars(select(SchemeVersion).where(SchemeVersion.scheme_id.in_(scheme_ids))
                                      .order_by(SchemeVersion.scheme_id, SchemeVersion.version)))
