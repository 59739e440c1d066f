"""Appeal payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kaohe.i18n import _
from services.common.stored_text import Localized


class AppealCreate(BaseModel):
    """A subject's appeal of one fact, in numbered points."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"fact_id": "sub-6f1c…", "points": ["迟到系因公外出,有派车单为证", "扣分次数与考勤记录不符"]}]})

    fact_id: str = Field(min_length=1, max_length=100)
    points: list[str] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _point_lengths(self) -> AppealCreate:
        if any(not p.strip() or len(p) > 2000 for p in self.points):
            raise ValueError(_("each point is 1 to 2000 characters"))
        return self


class AppealAnswer(BaseModel):
    """The office's answer: one reply per point; an upheld appeal corrects the fact, or retracts it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"decision": "upheld", "replies": ["属实", "核减1次"], "correction": {"count": 2}, "version": 1}]})

    decision: Literal["upheld", "dismissed"]
    replies: list[str] = Field(min_length=1, max_length=20)
    correction: dict[str, Any] | None = Field(default=None, max_length=20)
    version: int = Field(ge=1)

    @model_validator(mode="after")
    def _correction_only_when_upheld(self) -> AppealAnswer:
        if self.correction is not None and self.decision != "upheld":
            raise ValueError(_("a correction goes with an upheld appeal only"))
        if any(not r.strip() or len(r) > 5000 for r in self.replies):
            raise ValueError(_("each reply is 1 to 5000 characters"))
        return self


class AppealRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    fact_id: str
    period_id: str
    subject_id: str
    points: list[str]
    status: str
    filed_by: str
    filed_at: datetime
    answer_due_at: datetime
    answer_due_note: Localized | None = Field(default=None, description=(
        "Set when answer_due_at was counted Monday to Friday because a year it spans has no holiday arrangement "
        "loaded (docs/operations.md, \"Holiday calendar\")."))
    replies: list[str] | None
    correction: dict[str, Any] | None
    answered_by: str | None
    answered_at: datetime | None
    version: int
    overdue: bool = Field(default=False, description="still open after answer_due_at (the office is late)")

    @classmethod
    def at(cls, appeal: Any, now: datetime) -> AppealRead:
        """The appeal as read at `now` (the business clock), `overdue` worked out: every read of an appeal, one, a
        page or the inbox, says it the same way."""
        return cls.model_validate(appeal).model_copy(update={
            "overdue": appeal.status == "open" and now > appeal.answer_due_at})
