"""Rating tasks (民主测评, 领导评议, 单位互评) and a rater's own ballots."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.types import strings, text


@strawberry.type(description="A rating task the office runs; response counts but never who rated whom.")
class RatingTask:
    id: strawberry.ID
    period_id: str | None
    indicator: str | None
    status: str | None
    scale: JSON | None
    subject_ids: list[str]
    closes_at: str | None
    responses: int | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> RatingTask:
        responses = row.get("responses", row.get("response_count"))
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=text(row, "period_id"),
                   indicator=text(row, "indicator", "indicator_code"), status=text(row, "status"),
                   scale=row.get("scale"), subject_ids=strings(row, "subject_ids"), closes_at=text(row, "closes_at"),
                   responses=responses if isinstance(responses, int) else None)


@strawberry.type(description="The caller's own ballot in a rating task.")
class Ballot:
    task_id: str
    subject_id: str | None
    value: str | None
    abstained: bool
    cast_at: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Ballot:
        return cls(task_id=str(row.get("task_id", "")), subject_id=text(row, "subject_id"),
                   value=text(row, "value", "score", "grade"), abstained=bool(row.get("abstained", False)),
                   cast_at=text(row, "cast_at", "created_at"))
