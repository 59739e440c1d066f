"""Fact pages as scoring reads them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class FactPage(BaseModel):
    """Current facts of a period (docs/scheme-reference.md §5), and the cursor of the next page."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "period_id": "2026-Q1",
        "items": [{"id": "sub-6f1c…", "subject": "p001", "indicator": "regular", "fact": "score",
                   "points": "46", "assessor": "科室负责人"}],
        "next": None,
    }]})

    period_id: str
    items: list[dict[str, Any]]
    next: str | None


class FactRecord(BaseModel):
    """One current fact with where it came from: `body` is the fact as scoring scores it (docs/scheme-reference.md §5);
    `source_type`/`source_id` the record that made it (a submission, a rating task, a journal week …)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    period_id: str
    subject_id: str
    indicator: str | None
    kind: str
    body: dict[str, Any]
    source_type: str
    source_id: str
    revision: int
    updated_at: datetime


class FactRecordPage(BaseModel):
    """A page of fact records, the cursor of the next page and how many the whole list holds."""

    period_id: str
    items: list[FactRecord]
    next: str | None
    total_count: int


class FactProvenance(BaseModel):
    """One fact of evidence (retracted ones too) with its last audited change: `record` is the last `fact.upsert` or
    `fact.retract` audit record (its id, action, the digest of the body it recorded and its hash; null when there is
    none), `events` the outbox event ids of every such record, `pending` whether one of them is not delivered yet."""

    id: str
    live: bool
    pending: bool
    events: list[str]
    record: dict[str, Any] | None


class FactProvenancePage(BaseModel):
    """A page of a period's facts with their audited changes, and the cursor of the next page."""

    period_id: str
    items: list[FactProvenance]
    next: str | None
