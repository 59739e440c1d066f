"""The tables every service has in its own schema: audit chain, outbox, inbox, idempotency keys.

Each service builds its copies with `common_models(Base)`, so the tables live in its schema and
appear in its own Alembic history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column


class AuditRecordMixin:
    """An append-only audit record, linked to the previous one by a SHA-256 hash."""

    __tablename__ = "audit_record"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        # the records of one audited table's rows (services/common/audit_rows.py verify_rows)
        return (Index("ix_audit_record_row", "entity_type", "entity_id", "id",
                      postgresql_where=text("action IN ('row.write', 'row.delete')")),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(200), index=True)
    before_digest: Mapped[str | None] = mapped_column(String(64))
    after_digest: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditTouchedMixin:
    """A write of an audited row noted by its table's trigger, sealed into the chain when the writing
    transaction commits (services/common/audit_rows.py); a note left behind was written by no service."""

    __tablename__ = "audit_touched"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    tx: Mapped[int] = mapped_column(BigInteger, server_default=text("txid_current()"), index=True)
    table_name: Mapped[str] = mapped_column(String(100))
    row_key: Mapped[str] = mapped_column(Text)
    row_digest: Mapped[str | None] = mapped_column(String(64))


class OutboxEventMixin:
    """An event written in the same transaction as the change it announces."""

    __tablename__ = "outbox_event"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (Index(None, "delivered_at", "available_at"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    destination: Mapped[str] = mapped_column(String(50))
    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class InboxEventMixin:
    """The id of every event this service has applied, so a repeat is ignored."""

    __tablename__ = "inbox_event"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    topic: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(50))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IdempotencyKeyMixin:
    """The first response to a creating POST, replayed for a retry with the same key."""

    __tablename__ = "idempotency_key"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (UniqueConstraint("principal", "key", "method", "path"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    principal: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[Any] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


@dataclass(frozen=True)
class CommonModels:
    """A service's mapped classes for the common tables."""

    audit: type[AuditRecordMixin]
    touched: type[AuditTouchedMixin]
    outbox: type[OutboxEventMixin]
    inbox: type[InboxEventMixin]
    idempotency: type[IdempotencyKeyMixin]


def common_models(base: type[DeclarativeBase]) -> CommonModels:
    """Map the common tables into the schema of `base`."""
    return CommonModels(
        audit=type("AuditRecord", (AuditRecordMixin, base), {}),
        touched=type("AuditTouched", (AuditTouchedMixin, base), {}),
        outbox=type("OutboxEvent", (OutboxEventMixin, base), {}),
        inbox=type("InboxEvent", (InboxEventMixin, base), {}),
        idempotency=type("IdempotencyKey", (IdempotencyKeyMixin, base), {}),
    )
