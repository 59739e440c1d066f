"""Rectification notices (000 篇3 问题整改单)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.evidence.db import Base


class RectificationNotice(Base):
    """检查时间, 检查人, 被检查单位, 存在问题, 处理意见, 整改期限, 整改情况反馈, 单位负责人签字."""

    __tablename__ = "rectification_notice"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period_id: Mapped[str] = mapped_column(String(100), index=True)
    subject_id: Mapped[str] = mapped_column(String(100))
    unit_path: Mapped[str] = mapped_column(String(500), index=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    inspector: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    opinion: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)
    feedback: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_by: Mapped[str | None] = mapped_column(String(200))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    follow_up: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # the period's label when issued (2026-Q1…): its follow-up fact counts for it even when dated after it
    period_label: Mapped[str] = mapped_column(String(100), default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
