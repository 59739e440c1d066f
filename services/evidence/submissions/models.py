"""Submissions of evidence and their immutable versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.common.stored_text import StoredText
from services.evidence.db import Base


class Submission(Base):
    """A piece of evidence for (period, subject, indicator) moving through its review chain."""

    __tablename__ = "submission"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period_id: Mapped[str] = mapped_column(String(100), index=True)
    scheme_id: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[str] = mapped_column(String(100))
    indicator: Mapped[str | None] = mapped_column(String(100))
    fact_kind: Mapped[str] = mapped_column(String(20))
    unit_path: Mapped[str] = mapped_column(String(500), index=True)
    submitted_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    chain: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    level: Mapped[int] = mapped_column(Integer, default=0)
    level_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    level_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # set when the deadline was counted Monday to Friday: a year it spans had no holiday arrangement
    level_due_note: Mapped[str | None] = mapped_column(StoredText, default=None)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SubmissionVersion(Base):
    """One submitted content of a submission; an edit before approval adds a version."""

    __tablename__ = "submission_version"
    __table_args__ = (UniqueConstraint("submission_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submission.id"))
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    justification: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
