"""Submission payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.common.stored_text import Localized
from services.evidence.submissions.content import FactKind

_EXAMPLE: dict[str, Any] = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "regular", "fact": "score",
            "content": {"points": "46", "assessor": "科室负责人"}, "justification": "季度平时考核"}


class SubmissionCreate(BaseModel):
    """New evidence for (period, subject, indicator); `content` holds the fields of its fact kind."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    period_id: str = Field(min_length=1, max_length=100)
    subject_id: str = Field(min_length=1, max_length=100)
    indicator: str | None = Field(default=None, min_length=1, max_length=100)
    fact: FactKind
    content: dict[str, Any] = Field(max_length=20)
    justification: str = Field(default="", max_length=5000)


class SubmissionUpdate(BaseModel):
    """A corrected content before approval: makes a new version (the old stays readable)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"content": {"points": "47"}, "justification": "更正", "version": 1}]})

    content: dict[str, Any] = Field(max_length=20)
    justification: str = Field(default="", max_length=5000)
    version: int = Field(ge=1)


class SubmissionRead(BaseModel):
    """A submission with its review position; `value` is what becomes the fact."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        **_EXAMPLE, "id": "6f1c…", "scheme_id": "meiling", "status": "pending", "current_version": 1,
        "level": 0, "level_name": "科室负责人", "level_due_at": "2026-02-27T15:59:59Z",
        "value": {"points": "46"}, "version": 1, "submitted_by": "alice", "fact_id": None,
    }]})

    id: str
    period_id: str
    scheme_id: str
    subject_id: str
    indicator: str | None
    fact: str
    status: str
    current_version: int
    level: int
    level_name: str | None
    level_due_at: datetime | None
    level_due_note: Localized | None = Field(default=None, description=(
        "Set when level_due_at was counted Monday to Friday because a year it spans has no holiday arrangement "
        "loaded (docs/operations.md, \"Holiday calendar\")."))
    value: dict[str, Any]
    version: int
    submitted_by: str
    fact_id: str | None
    created_at: datetime
    updated_at: datetime


class SubmissionVersionRead(BaseModel):
    """One stored content of a submission."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    content: dict[str, Any]
    justification: str
    created_by: str
    created_at: datetime


class SubmissionPage(BaseModel):
    items: list[SubmissionRead]
    next: str | None
    total_count: int | None = None  # with `count=true`: how many the whole filtered list holds
