"""The current reviewed facts of each period, as scoring receives them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.evidence.db import Base


class Fact(Base):
    """One fact of scheme-format.md §4; `id` is stable for its piece of evidence."""

    __tablename__ = "fact"
    __table_args__ = (Index(None, "period_id", "id"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    period_id: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[str] = mapped_column(String(100))
    indicator: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    unit_path: Mapped[str] = mapped_column(String(500))
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source_type: Mapped[str] = mapped_column(String(30))
    source_id: Mapped[str] = mapped_column(String(100))
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Grows with every change: delivery is at-least-once and may reorder after retries, so a
    # consumer keeps the highest revision it has seen per fact id.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
