"""Objections (异议) filed against a subject's result during publication (公示)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.ranking.db import Base


class Objection(Base):
    """An objection to one subject's published result; it must be answered before 审定."""

    __tablename__ = "objection"
    __table_args__ = (CheckConstraint("status IN ('open', 'answered')", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    period_id: Mapped[str] = mapped_column(String(100), index=True)
    subject_id: Mapped[str] = mapped_column(String(100))
    unit_path: Mapped[str] = mapped_column(String(500))
    result_version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    filed_by: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
