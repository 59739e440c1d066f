"""Make-ups (补报): the office's leave to submit a subject's evidence after the period's collection closed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.evidence.db import Base


class Makeup(Base):
    """An approved make-up: new evidence for `subject_id` (of `indicator`, or any when null) until `closes_at`."""

    __tablename__ = "makeup"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period_id: Mapped[str] = mapped_column(String(100), index=True)
    subject_id: Mapped[str] = mapped_column(String(100))
    unit_path: Mapped[str] = mapped_column(String(500))
    indicator: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
