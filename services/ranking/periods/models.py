"""Ranked periods, their finalized snapshots and their reopenings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.ranking.db import Base

PERIOD_STATUSES = ("computed", "published", "finalized")


class RankedPeriod(Base):
    """A period as ranking sees it: where its results stand in 公示 → 审定."""

    __tablename__ = "ranked_period"
    __table_args__ = (CheckConstraint("status IN ('computed', 'published', 'finalized')", name="status"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    scheme_id: Mapped[str] = mapped_column(String(100))
    scheme_version: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(20))
    scope_path: Mapped[str] = mapped_column(String(500), default="")
    precision: Mapped[int] = mapped_column(Integer, default=2)
    indicators: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    status: Mapped[str] = mapped_column(String(20), default="computed")
    inputs_sha256: Mapped[str] = mapped_column(String(64), default="")
    score_set: Mapped[int | None] = mapped_column(Integer)
    problems: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    publication_days: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    publication_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(200))
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finalized_by: Mapped[str | None] = mapped_column(String(200))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # a new random value whenever the period's results are written (processes cache them by it)
    results_token: Mapped[str] = mapped_column(String(32), default="", server_default="")
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PeriodSnapshot(Base):
    """The canonical JSON of every result of a period at one finalization, with its SHA-256."""

    __tablename__ = "period_snapshot"
    __table_args__ = (UniqueConstraint("period_id", "sequence"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    period_id: Mapped[str] = mapped_column(String(100), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    finalized_by: Mapped[str] = mapped_column(String(200))
    finalized_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PeriodReopening(Base):
    """A formal reopening of a finalized period, with its reason."""

    __tablename__ = "period_reopening"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    period_id: Mapped[str] = mapped_column(String(100), index=True)
    reason: Mapped[str] = mapped_column(Text)
    snapshot_sequence: Mapped[int] = mapped_column(Integer)
    reopened_by: Mapped[str] = mapped_column(String(200))
    reopened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
