"""Subject results, one row per version: a new version only when the result changed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, Numeric, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.ranking.db import Base


class SubjectResult(Base):
    """One version of one subject's result in one period (the §11 subject document)."""

    __tablename__ = "subject_result"
    __table_args__ = (
        UniqueConstraint("period_id", "subject_id", "version"),
        Index(None, "period_id", "is_current", "position"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    period_id: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str | None] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(100))
    unit_path: Mapped[str] = mapped_column(String(500))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    position: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Numeric)
    grade: Mapped[str | None] = mapped_column(String(50))
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    document_sha256: Mapped[str] = mapped_column(String(64))
    inputs_sha256: Mapped[str] = mapped_column(String(64), default="")
    # what made this version: the trigger (scores.changed event, or an office's recompute), the subjects whose
    # scores moved in that recomputation, and whether this subject's own did (else it was only ranked again)
    cause: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
