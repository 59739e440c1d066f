"""The append-only audit log with its SHA-256 hash chain.

Entries are collected during the transaction (`record`) and sealed just before commit
(`seal`), under a transaction-scoped advisory lock, so the chain is a total order even with
several instances of a service writing at once, while the lock is held only for the seal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.db import INSERT_PAGE_ROWS, Database, copy_records, pending
from services.common.observability import request_id_var
from services.common.tables import AuditRecordMixin

GENESIS = "0" * 64
_PENDING = "audit_pending"


def digest(value: Any) -> str | None:
    """SHA-256 of the canonical JSON of a state (None stays None)."""
    if value is None:
        return None
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before_digest: str | None
    after_digest: str | None
    details: dict[str, Any]


def record(
    session: AsyncSession,
    *,
    actor: Principal | str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: Any = None,
    after: Any = None,
    details: dict[str, Any] | None = None,
    before_digest: str | None = None,
    after_digest: str | None = None,
) -> None:
    """Queue an audit record for this transaction; it is chained when the transaction commits.

    A caller that already holds `digest(before)` or `digest(after)` may pass it instead of the state."""
    name = actor.subject if isinstance(actor, Principal) else actor
    pending(session, _PENDING).append(AuditEntry(
        name, action, entity_type, str(entity_id),
        digest(before) if before is not None else before_digest,
        digest(after) if after is not None else after_digest, details or {},
    ))


_HASHED = ("actor", "action", "entity_type", "entity_id", "before_digest", "after_digest", "details", "request_id")


def link_hash(prev_hash: str, row: AuditRecordMixin | dict[str, Any]) -> str:
    """The hash of one record: its content and the previous record's hash."""
    fields: dict[str, Any] = row if isinstance(row, dict) else {k: getattr(row, k) for k in (*_HASHED, "recorded_at")}
    content = canonical({
        "recorded_at": fields["recorded_at"].astimezone(UTC).isoformat(),
        **{key: fields[key] for key in _HASHED},
    })
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def chain_sealer(model: type[AuditRecordMixin], schema: str) -> Callable[[AsyncSession], Any]:
    """A before-commit hook that chains this transaction's audit entries."""
    lock_key = int.from_bytes(hashlib.sha256(f"kaohe-audit-{schema}".encode()).digest()[:8], "big", signed=True)

    async def seal(session: AsyncSession) -> None:
        entries: list[AuditEntry] = session.info.pop(_PENDING, [])
        if not entries:
            return
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
        last = await session.scalar(select(model.hash).order_by(model.id.desc()).limit(1))
        prev = last or GENESIS
        now = clock.now()
        request_id = request_id_var.get()
        rows: list[dict[str, Any]] = []
        for entry in entries:
            row: dict[str, Any] = {"recorded_at": now, "request_id": request_id, "prev_hash": prev, **entry.__dict__}
            row["hash"] = prev = link_hash(prev, row)
            rows.append(row)
        if len(rows) > COPY_ABOVE:
            await _copy(session, model, rows)
        else:  # a few records (the usual case): one multi-row INSERT (no ORM objects)
            await session.execute(insert(model), rows)

    return seal


# Above this many records a seal writes them with COPY (a ranking recompute may audit hundreds of result
# versions: the multi-row INSERT goes out in pages of INSERT_PAGE_ROWS, one round trip each).
COPY_ABOVE = INSERT_PAGE_ROWS


async def _copy(session: AsyncSession, model: type[AuditRecordMixin], rows: list[dict[str, Any]]) -> None:
    """COPY the sealed rows in chain order (the id sequence numbers them in that order, as the INSERT did); the
    details get the JSON text SQLAlchemy's JSONB binding would have sent (json.dumps)."""
    columns = tuple(rows[0])  # every sealed row has the same keys: the columns the INSERT would write
    records = [tuple(json.dumps(row[c]) if c == "details" else row[c] for c in columns) for row in rows]
    await copy_records(session, model.__table__, columns, records)  # type: ignore[attr-defined]


def install_audit(db: Database, model: type[AuditRecordMixin]) -> None:
    """Seal the audit chain in every transaction of this database."""
    db.before_commit.append(chain_sealer(model, db.schema))


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    records: int
    first_broken_id: int | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "records": self.records,
                "first_broken_id": self.first_broken_id, "reason": self.reason}


async def _rows(session: AsyncSession, model: type[AuditRecordMixin]) -> AsyncIterator[AuditRecordMixin]:
    result = await session.stream_scalars(select(model).order_by(model.id).execution_options(yield_per=2000))
    async for row in result:
        yield row


async def verify_chain(session: AsyncSession, model: type[AuditRecordMixin]) -> ChainReport:
    """Recompute the chain and name the first record whose link or content does not hold."""
    prev, count = GENESIS, 0
    async for row in _rows(session, model):
        count += 1
        if row.prev_hash != prev:
            return ChainReport(False, count, row.id, "link to the previous record is broken "
                               "(a record before it was deleted, inserted or altered)")
        if link_hash(prev, row) != row.hash:
            return ChainReport(False, count, row.id, "content does not match its hash (the record was altered)")
        prev = row.hash
    total = await session.scalar(select(func.count()).select_from(model))
    return ChainReport(True, int(total or 0))
