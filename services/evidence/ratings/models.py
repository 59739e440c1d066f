"""Rating tasks (民主测评, 领导评议, 单位互评): raters, subjects and secret ballots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.evidence.db import Base


class RatingTask(Base):
    """One round of rating for a period's rating indicator; closing turns ballots into facts."""

    __tablename__ = "rating_task"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period_id: Mapped[str] = mapped_column(String(100), index=True)
    indicator: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    scope: Mapped[str] = mapped_column(String(500))
    grades: Mapped[list[str]] = mapped_column(JSONB)
    round: Mapped[int] = mapped_column(Integer)
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)


class RatingRater(Base):
    """A rater of a task with their level; `unit_path` is the rater's own unit (no self-rating)."""

    __tablename__ = "rating_rater"
    __table_args__ = (UniqueConstraint("task_id", "rater"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("rating_task.id"))
    rater: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(100))
    unit_path: Mapped[str] = mapped_column(String(500))
    alias: Mapped[str] = mapped_column(String(40))


class RatingSubject(Base):
    __tablename__ = "rating_subject"
    __table_args__ = (UniqueConstraint("task_id", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("rating_task.id"))
    subject_id: Mapped[str] = mapped_column(String(100))
    unit_path: Mapped[str] = mapped_column(String(500))


class RatingBallot(Base):
    """One rater's answer about one subject: a grade, or an abstention (`grade` null)."""

    __tablename__ = "rating_ballot"
    __table_args__ = (UniqueConstraint("task_id", "rater", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("rating_task.id"))
    rater: Mapped[str] = mapped_column(String(200))
    subject_id: Mapped[str] = mapped_column(String(100))
    grade: Mapped[str | None] = mapped_column(String(50))
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
