"""Rectification notice payloads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

MAX_FOLLOW_UP_COUNT = 10  # 000 篇3 "每条问题给予一定的罚款,并加倍扣分": a problem counts once, or twice when doubled


class FollowUp(BaseModel):
    """The deduction event raised automatically when the notice is overdue: an event type that the named
    `deduction` leaf of the period's scheme reads (never a bonus), at most MAX_FOLLOW_UP_COUNT times."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=100)
    count: int = Field(default=1, ge=1, le=MAX_FOLLOW_UP_COUNT)
    indicator: str = Field(min_length=1, max_length=100)


class NoticeCreate(BaseModel):
    """问题整改单: 检查时间, 被检查单位, 存在问题, 处理意见, 整改期限 (the inspector is the caller)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "period_id": "2026-Q1", "subject_id": "ua", "checked_at": "2026-03-02T10:00:00+08:00",
        "problem": "值班记录不全", "opinion": "限期补齐并建立台账", "deadline": "2026-03-09",
        "follow_up": {"type": "rectification_overdue", "indicator": "attendance"}}]})

    period_id: str = Field(min_length=1, max_length=100)
    subject_id: str = Field(min_length=1, max_length=100)
    checked_at: AwareDatetime
    problem: str = Field(min_length=1, max_length=5000)
    opinion: str = Field(min_length=1, max_length=5000)
    deadline: date
    follow_up: FollowUp | None = None


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feedback: str = Field(min_length=1, max_length=5000)
    version: int = Field(ge=1)


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)


class NoticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    period_id: str
    subject_id: str
    checked_at: datetime
    inspector: str
    problem: str
    opinion: str
    deadline: date
    feedback: str | None
    feedback_at: datetime | None
    signed_by: str | None
    signed_at: datetime | None
    status: str
    follow_up: dict[str, Any] | None
    version: int
