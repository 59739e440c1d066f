"""All SQL about ranked periods, snapshots and reopenings."""

from __future__ import annotations

from sqlalchemy import func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import locked_row
from services.ranking.periods.models import (
    PeriodReopening,
    PeriodSnapshot,
    Publication,
    PublicationEntry,
    RankedPeriod,
)
from services.ranking.results.models import SubjectResult


async def get(session: AsyncSession, period_id: str, *, lock: bool = False) -> RankedPeriod | None:
    """One period; `lock` serialises writers of the same period (recompute, publish, finalize). A period not
    stored yet has no row to lock: its first computations (the office's recompute, scoring's notice) then wait
    for each other on a transaction-scoped advisory lock of its id, and the later one finds the row."""
    stmt = select(RankedPeriod).where(RankedPeriod.id == period_id)
    if not lock:
        return (await session.scalars(stmt)).first()
    found: RankedPeriod | None = await locked_row(session, stmt.with_for_update(), f"ranking.ranked_period:{period_id}")
    return found


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


async def latest_publication(session: AsyncSession, period_id: str) -> Publication | None:
    """The period's latest 公示 (None before the first)."""
    rows = await session.scalars(select(Publication).where(Publication.period_id == period_id)
                                 .order_by(Publication.sequence.desc()).limit(1))
    return rows.first()


async def add_publication(session: AsyncSession, publication: Publication) -> None:
    """Store a publication with the period's current results as its entries, in table order."""
    session.add(publication)
    await session.flush()
    current = (select(literal(publication.id), SubjectResult.position, SubjectResult.subject_id, SubjectResult.id,
                      SubjectResult.document_sha256)
               .where(SubjectResult.period_id == publication.period_id, SubjectResult.is_current))
    await session.execute(insert(PublicationEntry).from_select(
        ["publication_id", "position", "subject_id", "result_id", "document_sha256"], current))


async def published_digests(session: AsyncSession, publication_id: int) -> dict[str, str]:
    """subject → the digest of the result version the publication shows."""
    rows = await session.execute(select(PublicationEntry.subject_id, PublicationEntry.document_sha256)
                                 .where(PublicationEntry.publication_id == publication_id))
    return {subject_id: digest for subject_id, digest in rows}


async def publication_entries(session: AsyncSession, publication_id: int) -> list[tuple[int, str, str]]:
    """(position, subject, digest of the result version shown) of every entry of a publication, in its order."""
    rows = await session.execute(select(PublicationEntry.position, PublicationEntry.subject_id,
                                        PublicationEntry.document_sha256)
                                 .where(PublicationEntry.publication_id == publication_id)
                                 .order_by(PublicationEntry.position))
    return [(int(position), str(subject), str(sha)) for position, subject, sha in rows]
