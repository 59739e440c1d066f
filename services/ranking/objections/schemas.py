"""Objection payloads."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ObjectionCreate(BaseModel):
    subject_id: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=4000)


class ObjectionAnswer(BaseModel):
    answer: str = Field(min_length=1, max_length=4000)


class ObjectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    period_id: str
    subject_id: str
    result_version: int
    text: str
    status: str
    filed_by: str
    filed_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
