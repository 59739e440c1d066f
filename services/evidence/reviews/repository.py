"""All SQL on review chains and decisions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import copy_objects
from services.evidence.reviews.models import ReviewChain, ReviewDecision


async def chain(session: AsyncSession, scheme_id: str, indicator: str) -> ReviewChain | None:
    stmt = select(ReviewChain).where(ReviewChain.scheme_id == scheme_id, ReviewChain.indicator == indicator)
    return await session.scalar(stmt)


async def most_specific_chain(session: AsyncSession, scheme_id: str, indicator: str) -> ReviewChain | None:
    """The indicator's own chain if there is one, else the scheme's default (`indicator` "")."""
    stmt = (select(ReviewChain)
            .where(ReviewChain.scheme_id == scheme_id, ReviewChain.indicator.in_((indicator, "")))
            .order_by(ReviewChain.indicator.desc()).limit(1))
    return await session.scalar(stmt)


async def chains(session: AsyncSession, scheme_id: str) -> Sequence[ReviewChain]:
    stmt = select(ReviewChain).where(ReviewChain.scheme_id == scheme_id).order_by(ReviewChain.indicator)
    return (await session.scalars(stmt)).all()


async def add(session: AsyncSession, row: ReviewChain | ReviewDecision) -> None:
    session.add(row)
    await session.flush()


async def add_decisions(session: AsyncSession, rows: Sequence[ReviewDecision]) -> None:
    """New decisions (none in the session), with one COPY (numbered in this order)."""
    await copy_objects(session, rows)


async def decisions(session: AsyncSession, submission_id: str) -> Sequence[ReviewDecision]:
    stmt = select(ReviewDecision).where(ReviewDecision.submission_id == submission_id)
    return (await session.scalars(stmt.order_by(ReviewDecision.id))).all()


async def decisions_of(session: AsyncSession, submission_ids: Sequence[str]) -> Sequence[ReviewDecision]:
    stmt = select(ReviewDecision).where(ReviewDecision.submission_id.in_(submission_ids))
    return (await session.scalars(stmt.order_by(ReviewDecision.submission_id, ReviewDecision.id))).all()
