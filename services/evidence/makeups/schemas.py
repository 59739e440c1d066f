"""Make-up payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class MakeupCreate(BaseModel):
    """The office's approval of a make-up (补报): whose evidence, of which indicator (none: any), and why."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "period_id": "2026-Q1", "subject_id": "ua", "indicator": "cases", "reason": "系统故障，逾期补报"}]})

    period_id: str = Field(min_length=1, max_length=100)
    subject_id: str = Field(min_length=1, max_length=100)
    indicator: str | None = Field(default=None, min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=2000)


class MakeupRead(BaseModel):
    """An approved make-up and until when it lets new evidence in."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    period_id: str
    subject_id: str
    indicator: str | None
    reason: str
    approved_by: str
    approved_at: datetime
    closes_at: datetime
