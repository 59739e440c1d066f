"""The fields each fact kind carries (scheme-format.md §4), validated before anything is stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from services.common.errors import InvalidInput

FactKind = Literal["score", "measure", "event", "rating", "task", "case", "journal"]
Name = Field(min_length=1, max_length=100)
Num = Decimal


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoreContent(_Content):
    points: Num = Field(max_digits=12, decimal_places=4)
    assessor: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=2000)


class MeasureContent(_Content):
    value: Num | None = Field(default=None, max_digits=20, decimal_places=6)
    numerator: Num | None = Field(default=None, max_digits=20, decimal_places=6)
    denominator: Num | None = Field(default=None, max_digits=20, decimal_places=6)
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")

    @model_validator(mode="after")
    def _one_form(self) -> MeasureContent:
        ratio = self.numerator is not None and self.denominator is not None
        if (self.value is None) == (not ratio) or (self.value is not None and self.numerator is not None):
            raise ValueError("give either value, or numerator and denominator")
        return self


class EventContent(_Content):
    type: str = Name
    count: int = Field(default=1, ge=1, le=100_000)
    date: dt.date | None = None
    key: str | None = Field(default=None, max_length=100)
    level: str | None = Field(default=None, max_length=100)
    points: Num | None = Field(default=None, max_digits=12, decimal_places=4)
    participants: list[str] | None = Field(default=None, max_length=200)
    collective: bool | None = None
    justified: bool | None = None


class RatingContent(_Content):
    rater: str = Name
    level: str = Name
    grade: str | None = Field(default=None, max_length=50)
    points: Num | None = Field(default=None, max_digits=12, decimal_places=4)
    round: int | None = Field(default=None, ge=1, le=100)


class TaskContent(_Content):
    task_id: str = Name
    completed: bool


class CaseContent(_Content):
    case_id: str = Name
    points: Num = Field(max_digits=12, decimal_places=4)
    weight: Num | None = Field(default=None, max_digits=12, decimal_places=4)


class JournalContent(_Content):
    week: str = Field(pattern=r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")
    points: Num | None = Field(default=None, ge=0, max_digits=12, decimal_places=4)
    status: Literal["submitted", "missing", "excused", "late"] = "submitted"


CONTENT: dict[str, TypeAdapter[Any]] = {
    "score": TypeAdapter(ScoreContent), "measure": TypeAdapter(MeasureContent),
    "event": TypeAdapter(EventContent), "rating": TypeAdapter(RatingContent),
    "task": TypeAdapter(TaskContent), "case": TypeAdapter(CaseContent),
    "journal": TypeAdapter(JournalContent),
}


def validate_content(kind: str, content: dict[str, Any]) -> dict[str, Any]:
    """The content as JSON (decimals as strings, absent fields dropped), else 422 naming the field."""
    try:
        model = CONTENT[kind].validate_python(content)
    except ValidationError as exc:
        details = [{"field": ".".join(["content", *map(str, e["loc"])]), "reason": e["msg"]} for e in exc.errors()]
        raise InvalidInput(f"{details[0]['field']}: {details[0]['reason']}", details=details) from None
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return dumped
