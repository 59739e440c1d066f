"""Scheme tables: one row per scheme, one per version (draft or published, immutable once published)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.scoring.db import Base


class Scheme(Base):
    """A scheme (考核方案) identified by the slug of its documents' `id`."""

    __tablename__ = "scheme"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner_path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SchemeVersion(Base):
    """One version of a scheme; `revision` guards draft edits (optimistic concurrency)."""

    __tablename__ = "scheme_version"
    __table_args__ = (UniqueConstraint("scheme_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scheme_id: Mapped[str] = mapped_column(ForeignKey("scheme.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # draft | published
    title: Mapped[str] = mapped_column(String(500))
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    revision: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
