"""What evidence knows about a period's status from ranking's `period.status` events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.evidence.db import Base


class PeriodState(Base):
    """The last status ranking announced for a period (finalized periods refuse writes) and when it was last
    published (公示), from which an appeal's window runs."""

    __tablename__ = "period_state"

    period_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
