"""Weekly work journals (003 篇三): who must write them, and each person's week."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from services.evidence.db import Base


class JournalRoster(Base):
    """A person who owes a journal every ISO week from `first_week` to `last_week` of a period."""

    __tablename__ = "journal_roster"
    __table_args__ = (UniqueConstraint("period_id", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period_id: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[str] = mapped_column(String(100))
    unit_path: Mapped[str] = mapped_column(String(500))
    indicator: Mapped[str] = mapped_column(String(100))
    first_week: Mapped[str] = mapped_column(String(8))
    last_week: Mapped[str] = mapped_column(String(8))


class JournalWeek(Base):
    """One person's week: submitted (then reviewed as a submission), missing (deadline passed), or excused
    (approved absence)."""

    __tablename__ = "journal_week"
    __table_args__ = (UniqueConstraint("period_id", "subject_id", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period_id: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[str] = mapped_column(String(100))
    unit_path: Mapped[str] = mapped_column(String(500), index=True)
    week: Mapped[str] = mapped_column(String(8))
    indicator: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[Decimal | None] = mapped_column(Numeric)  # the person's own points (自评分)
    submission_id: Mapped[str | None] = mapped_column(String(36))  # its review (the latest journal of the week)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    makeup: Mapped[bool] = mapped_column(default=False)
    excuse_kind: Mapped[str | None] = mapped_column(String(20))
    excuse_reason: Mapped[str | None] = mapped_column(Text)
    excuse_ends_on: Mapped[date | None] = mapped_column(Date)
    excused_by: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
