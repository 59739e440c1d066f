"""Appeals (申诉) against a specific fact, answered point by point by the office."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.common.stored_text import StoredText
from services.evidence.db import Base


class Appeal(Base):
    """A subject's appeal of one fact; an upheld appeal corrects or retracts the fact."""

    __tablename__ = "appeal"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    fact_id: Mapped[str] = mapped_column(String(100), index=True)
    period_id: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[str] = mapped_column(String(100))
    unit_path: Mapped[str] = mapped_column(String(500), index=True)
    points: Mapped[list[str]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20))
    filed_by: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answer_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # set when the deadline was counted Monday to Friday: a year it spans had no holiday arrangement
    answer_due_note: Mapped[str | None] = mapped_column(StoredText, default=None)
    replies: Mapped[list[str] | None] = mapped_column(JSONB)
    correction: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # the body the upheld correction wrote into the fact, with it (evidence_0015): what evidence's verification
    # holds the fact to while the appeal is its source
    fact_body: Mapped[dict[str, Any] | None] = mapped_column(JSONB, default=None)
    answered_by: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
