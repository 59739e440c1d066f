"""Journal payloads."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.patterns import ISO_WEEK

Week = Field(pattern=ISO_WEEK, examples=["2026-W05"])


class JournalRosterCreate(BaseModel):
    """People who owe a weekly journal over a range of ISO weeks."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"period_id": "2026-Q1", "subject_ids": ["p001", "p002"], "first_week": "2026-W01", "last_week": "2026-W13"}]})

    period_id: str = Field(min_length=1, max_length=100)
    subject_ids: list[str] = Field(min_length=1, max_length=500)
    first_week: str = Week
    last_week: str = Week


class JournalRosterRead(BaseModel):
    """One person on a period's roster: owes a journal every ISO week from `first_week` to `last_week`."""

    model_config = ConfigDict(from_attributes=True)

    period_id: str
    subject_id: str
    unit_path: str
    indicator: str
    first_week: str
    last_week: str


class JournalCreate(BaseModel):
    """A person's journal for one ISO week with their own points (自评分), which then go through the journal
    indicator's review chain (a make-up after an excused absence is accepted in its window)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"period_id": "2026-Q1", "subject_id": "p001", "week": "2026-W05", "text": "本周完成……", "points": "45"}]})

    period_id: str = Field(min_length=1, max_length=100)
    subject_id: str = Field(min_length=1, max_length=100)
    week: str = Week
    text: str = Field(min_length=1, max_length=20_000)
    points: Decimal = Field(ge=0, max_digits=12, decimal_places=4,
                            description="The person's own points for the week (the mean of its categories).")


class ExcuseCreate(BaseModel):
    """The supervisor's approval of an absence (leave, official trip, holiday) covering a week."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"period_id": "2026-Q1", "subject_id": "p001", "week": "2026-W07", "kind": "trip",
         "reason": "赴省厅培训", "ends_on": "2026-02-13"}]})

    period_id: str = Field(min_length=1, max_length=100)
    subject_id: str = Field(min_length=1, max_length=100)
    week: str = Week
    kind: Literal["leave", "trip", "holiday"]
    reason: str = Field(min_length=1, max_length=2000)
    ends_on: date


class JournalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period_id: str
    subject_id: str
    week: str
    status: str
    text: str
    points: Decimal | None = Field(description="The person's own points; the reviewed ones are the submission's.")
    submission_id: str | None = Field(description="The submission that takes the journal through its review chain.")
    submitted_at: datetime | None
    makeup: bool
    excuse_kind: str | None
    excuse_ends_on: date | None
    version: int


class JournalSweepResult(BaseModel):
    missing: int
