"""Ranked periods, their finalized snapshots and their reopenings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.common.stored_text import StoredText
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
    # the results the period shows as published (公示) or approved (审定) are no longer what the scores give:
    # they changed after the publication, or scores changed while it was frozen; why and since when
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    stale_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stale_reason: Mapped[str | None] = mapped_column(StoredText)  # a message, rendered in the reader's language
    # the digest of the subjects whose results differ from the latest 公示 (changed, added, removed) as last
    # recorded: a recomputation that changes that set records `publication.stale` again (publication.py)
    stale_changes_sha256: Mapped[str | None] = mapped_column(String(64))
    publication_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    publication_days: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    publication_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # set when the window was counted Monday to Friday: a year it spans had no holiday arrangement loaded
    publication_calendar_note: Mapped[str | None] = mapped_column(StoredText)
    published_by: Mapped[str | None] = mapped_column(String(200))
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finalized_by: Mapped[str | None] = mapped_column(String(200))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # a new random value whenever the period's results are written (processes cache them by it)
    results_token: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # the digest of which result version of each subject is current and of the table's order (the versions' own
    # digests leave both out): services/common/audit_rows.py CURRENT_RESULTS, set whenever the results are written
    current_sha256: Mapped[str | None] = mapped_column(String(64))
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
    # the heads of the three audit chains at 审定 ({service: {sequence, id, hash}}; also in `content`)
    chain_heads: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class PeriodReopening(Base):
    """A formal reopening of a finalized period, with its reason."""

    __tablename__ = "period_reopening"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    period_id: Mapped[str] = mapped_column(String(100), index=True)
    reason: Mapped[str] = mapped_column(Text)
    snapshot_sequence: Mapped[int] = mapped_column(Integer)
    reopened_by: Mapped[str] = mapped_column(String(200))
    reopened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Publication(Base):
    """One 公示 of a period's results: when, by whom, for how many working days, and (its entries) exactly
    which result versions it shows."""

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("period_id", "sequence"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    period_id: Mapped[str] = mapped_column(String(100), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    working_days: Mapped[int] = mapped_column(Integer)
    republication: Mapped[bool] = mapped_column(Boolean)  # a new window after results changed during a 公示
    published_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the heads of the three audit chains at this 公示 ({service: {sequence, id, hash}})
    chain_heads: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class PublicationEntry(Base):
    """One subject as a publication shows it: its place in the list and the result version published."""

    __tablename__ = "publication_entry"
    __table_args__ = (Index(None, "publication_id", "subject_id"),)

    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(100))
    result_id: Mapped[int] = mapped_column(ForeignKey("subject_result.id"))
    document_sha256: Mapped[str] = mapped_column(String(64))
