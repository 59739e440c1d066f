"""Period tables: a period of one published scheme version and its enrolled subjects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.scoring.db import Base


class Period(Base):
    """An assessment period; `recompute_due_at` marks pending fact changes (debounced recompute)."""

    __tablename__ = "period"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scheme_id: Mapped[str] = mapped_column(ForeignKey("scheme.id"), index=True)
    scheme_version: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(20))
    owner_path: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20))
    score_set: Mapped[int] = mapped_column(Integer, default=0)
    inputs_sha256: Mapped[str | None] = mapped_column(String(64))
    result_meta: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    recompute_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    pending_causes: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # moves when a change cannot be read as a delta of fact copies (enrolment, rebuild): caches reload
    cache_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PeriodSubject(Base):
    """A subject enrolled in a period, with its group and attributes."""

    __tablename__ = "period_subject"
    __table_args__ = (UniqueConstraint("period_id", "subject_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    period_id: Mapped[str] = mapped_column(ForeignKey("period.id"))
    subject_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # unit | person
    group: Mapped[str] = mapped_column(String(100))
    unit_path: Mapped[str] = mapped_column(String(1000))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
