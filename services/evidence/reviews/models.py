"""Review chains (configured per scheme and indicator) and the decisions taken on submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.common.stored_text import StoredText
from services.evidence.db import Base


class ReviewChain(Base):
    """Ordered review levels for a scheme's indicator (`indicator` "" = the scheme's default)."""

    __tablename__ = "review_chain"
    __table_args__ = (UniqueConstraint("scheme_id", "indicator"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scheme_id: Mapped[str] = mapped_column(String(100))
    indicator: Mapped[str] = mapped_column(String(100), default="")
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ReviewDecision(Base):
    """One action at one level: approve, adjust, reject, return, revoke, or agreed by default."""

    __tablename__ = "review_decision"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submission.id"), index=True)
    submission_version: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    level_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(StoredText, default="")  # a person's words, or kaohe's stored message
    value: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    actor: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
