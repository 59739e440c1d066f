"""All SQL on attachments."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.evidence.attachments.models import Attachment


async def add(session: AsyncSession, attachment: Attachment) -> None:
    session.add(attachment)
    await session.flush()


async def get(session: AsyncSession, attachment_id: str) -> Attachment | None:
    return await session.get(Attachment, attachment_id)


async def of_submission(session: AsyncSession, submission_id: str) -> Sequence[Attachment]:
    stmt = select(Attachment).where(Attachment.submission_id == submission_id)
    return (await session.scalars(stmt.order_by(Attachment.created_at, Attachment.id))).all()


async def of_submissions(session: AsyncSession, submission_ids: Sequence[str]) -> Sequence[Attachment]:
    stmt = select(Attachment).where(Attachment.submission_id.in_(submission_ids))
    return (await session.scalars(stmt.order_by(Attachment.submission_id, Attachment.created_at, Attachment.id))).all()


async def count_of_submission(session: AsyncSession, submission_id: str) -> int:
    stmt = select(func.count()).select_from(Attachment).where(Attachment.submission_id == submission_id)
    return int(await session.scalar(stmt) or 0)
