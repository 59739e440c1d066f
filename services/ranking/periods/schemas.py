"""Period payloads: publication, finalization, reopening, snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.common.explanations import StoredProblem
from services.common.stored_text import Localized


class PublicationCreate(BaseModel):
    # 公示 is counted in working days (Chinese calendar, 调休 included); see docs/decisions.md. Omitted: the
    # scheme's window (its `publication` section), else 5 (a re-publication: as long as the one before).
    working_days: int | None = Field(default=None, ge=1, le=30)


class ReopeningCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class PeriodRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scheme_id: str
    scheme_version: int
    label: str
    scope_path: str
    status: str
    precision: int
    inputs_sha256: str
    problems: list[StoredProblem]  # their messages stored in English, rendered in the request's language
    stale: bool
    stale_since: datetime | None
    stale_reason: Localized | None  # stored without a language, rendered in the request's
    publication_sequence: int
    publication_days: int | None
    published_at: datetime | None
    publication_ends_at: datetime | None
    publication_calendar_note: Localized | None = None
    published_by: str | None
    finalized_at: datetime | None
    finalized_by: str | None
    reopen_count: int


class SnapshotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period_id: str
    sequence: int
    sha256: str
    finalized_by: str
    finalized_at: datetime
    chain_heads: dict[str, Any] | None = None  # the three audit chains' heads at 审定 ({service: {sequence, id, hash}})


class SnapshotDifference(BaseModel):
    subject_id: str
    field: str  # a key of the subject's document, a column reads use (total, rank, grade…), or "result"
    snapshot: str | None  # the value as frozen (JSON text unless a string), None: absent
    served: str | None


class SnapshotCheckRead(BaseModel):
    period_id: str
    sequence: int | None  # None: the period has no snapshot
    sha256: str | None  # as stored with the snapshot
    computed_sha256: str | None  # of the stored bytes
    recorded_sha256: str | None  # in the audit record of the approval (period.finalized)
    bytes_ok: bool
    audit_ok: bool
    results_checked: bool  # the latest snapshot of a finalized period: the served results were compared
    differences: list[SnapshotDifference]
    note: Localized | None
    ok: bool  # bytes, SHA-256 and audit record agree, and the results too when compared


class ReopeningRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period_id: str
    reason: str
    snapshot_sequence: int
    reopened_by: str
    reopened_at: datetime
