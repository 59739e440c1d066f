"""One row per year whose holiday arrangement an office loaded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.scoring.db import Base


class HolidayArrangement(Base):
    """The State Council's arrangement of one year: its days off and its make-up working days (调休)."""

    __tablename__ = "holiday_arrangement"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list[str]] = mapped_column(JSONB)  # ISO dates, sorted
    workdays: Mapped[list[str]] = mapped_column(JSONB)
    source: Mapped[str] = mapped_column(String(500))
    loaded_by: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
