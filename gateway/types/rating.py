"""Rating tasks (民主测评, 领导评议, 单位互评) and a rater's own ballot."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.types import strings, text


@strawberry.type(description="A rating task the office runs.")
class RatingTask:
    id: strawberry.ID
    period_id: str | None
    indicator: str | None
    kind: str | None = strawberry.field(description="democratic | leader | mutual")
    scope: str | None
    grades: list[str]
    round: int | None
    closes_at: str | None
    status: str | None
    version: int | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> RatingTask:
        round_, version = row.get("round"), row.get("version")
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=text(row, "period_id"),
                   indicator=text(row, "indicator"), kind=text(row, "kind"), scope=text(row, "scope"),
                   grades=strings(row, "grades"), round=round_ if isinstance(round_, int) else None,
                   closes_at=text(row, "closes_at"), status=text(row, "status"),
                   version=version if isinstance(version, int) else None)


@strawberry.type(description="How many raters answered (never who rated whom).")
class RatingResponses:
    raters: int
    responded: int
    by_level: JSON


@strawberry.type(description="One line of a ballot: a subject and the grade given (null = not answered/abstained).")
class BallotLine:
    subject_id: str
    grade: str | None
    answered: bool


@strawberry.type(description="The caller's own ballot in a rating task.")
class Ballot:
    task_id: str
    level: str | None
    grades: list[str]
    closes_at: str | None
    lines: list[BallotLine]

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Ballot:
        return cls(task_id=str(row.get("task_id", "")), level=text(row, "level"), grades=strings(row, "grades"),
                   closes_at=text(row, "closes_at"),
                   lines=[BallotLine(subject_id=str(line.get("subject_id", "")), grade=text(line, "grade"),
                                     answered=bool(line.get("answered", False))) for line in row.get("lines") or []])
