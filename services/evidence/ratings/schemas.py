"""Rating task payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.common.auth import ScopePath


class RaterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rater: str = Field(min_length=1, max_length=200, description="the rater's identity (token subject)")
    level: str = Field(min_length=1, max_length=100, examples=["班子成员"])
    unit_path: ScopePath = Field(max_length=500, description="the rater's own unit (a unit cannot rate itself)")


class RatingTaskCreate(BaseModel):
    """Open a rating round (民主测评 democratic, 领导评议 leader, 单位互评 mutual)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "period_id": "2026-Q1", "indicator": "peer", "kind": "mutual", "scope": "city",
        "grades": ["好", "较好", "一般", "差"], "round": 1, "closes_at": "2026-03-20T18:00:00+08:00",
        "raters": [{"rater": "u-b-head", "level": "单位负责人", "unit_path": "city/b"}],
        "subject_ids": ["ua", "ub"]}]})

    period_id: str = Field(min_length=1, max_length=100)
    indicator: str = Field(min_length=1, max_length=100)
    kind: Literal["democratic", "leader", "mutual"]
    scope: ScopePath = Field(max_length=500)
    grades: list[str] = Field(min_length=1, max_length=10)
    round: int = Field(default=1, ge=1, le=100)
    closes_at: AwareDatetime
    raters: list[RaterIn] = Field(min_length=1, max_length=2000)
    subject_ids: list[str] = Field(min_length=1, max_length=500)


class RatingTaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    period_id: str
    indicator: str
    kind: str
    scope: str
    grades: list[str]
    round: int
    closes_at: datetime
    status: str
    version: int


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(min_length=1, max_length=100)
    grade: str | None = Field(default=None, max_length=50, description="null = abstain")


class BallotPut(BaseModel):
    """The caller's answers (replacing earlier answers for the same subjects)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"answers": [{"subject_id": "ua", "grade": "好"}, {"subject_id": "ub", "grade": None}]}]})

    answers: list[AnswerIn] = Field(min_length=1, max_length=500)


class BallotLine(BaseModel):
    subject_id: str
    grade: str | None
    answered: bool


class BallotRead(BaseModel):
    """The caller's own ballot: only their answers, never anyone else's."""

    task_id: str
    level: str
    grades: list[str]
    closes_at: datetime
    lines: list[BallotLine]


class ResponseCounts(BaseModel):
    """How many raters answered (for the office); never who answered what."""

    raters: int
    responded: int
    by_level: dict[str, dict[str, int]]


class AuditedBallot(BaseModel):
    rater: str
    level: str
    subject_id: str
    grade: str | None
    answered_at: datetime


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
