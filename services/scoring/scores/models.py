"""Fact copies (from evidence) and score versions (every value ever computed, never overwritten)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.scoring.db import Base

# One sequence for fact copies and score versions: a row's `seq` is set on every insert or update,
# so a process refreshes its cache of a period by reading only rows above the `seq` it has seen.
# Writes to one period hold the period's row lock, so within a period `seq` grows in commit order.
NEXT_SEQ = text("nextval('scoring.change_seq'::regclass)")


class FactCopy(Base):
    """The current copy of one fact of a period. A retraction keeps a tombstone so that an older
    change delivered late (the outbox retries out of order) cannot bring the fact back."""

    __tablename__ = "fact_copy"
    __table_args__ = (PrimaryKeyConstraint("period_id", "fact_id"), Index(None, "period_id", "seq"))

    period_id: Mapped[str] = mapped_column(ForeignKey("period.id"))
    fact_id: Mapped[str] = mapped_column(String(200))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    indicator: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retracted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    seq: Mapped[int] = mapped_column(BigInteger, server_default=NEXT_SEQ)


class ScoreVersion(Base):
    """One computed value of one subject's indicator (or `total`), kept forever."""

    __tablename__ = "score_version"
    # No (period_id, score_set) index: the versions of the score sets after N are found by seq, which grows
    # with score_set within a period (repository.subjects_changed_since).
    __table_args__ = (Index(None, "period_id", "subject_id", "indicator", "id"), Index(None, "period_id", "seq"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # The period it names is checked once per INSERT/COPY statement by a trigger, not per row by a foreign
    # key (migration scoring_0006; docs/decisions.md, "Score versions: the period checked per statement").
    period_id: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(64))
    indicator: Mapped[str] = mapped_column(String(100))
    value: Mapped[Decimal] = mapped_column(Numeric)
    fact_ids: Mapped[list[str]] = mapped_column(JSONB)
    explain: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(String(2000))
    score_set: Mapped[int] = mapped_column(Integer)
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    seq: Mapped[int] = mapped_column(BigInteger, server_default=NEXT_SEQ)


class PendingCause(Base):
    """One applied fact change since the period's last recompute and the subject whose fact it changed; the
    recompute takes (deletes) them and names each subject's own events as the cause of its new versions."""

    __tablename__ = "pending_cause"
    __table_args__ = (Index(None, "period_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    period_id: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(String(200))
