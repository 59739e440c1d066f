"""Appeals (申诉) against a specific fact, answered point by point."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.types import due_descriptions, local_date, local_instant, strings, text

ANSWER_DUE = due_descriptions("answerDue", "the office's answer", "2026-04-20T23:59:59.999999+08:00")


@strawberry.type(description="A subject's appeal of one fact and the office's point-by-point answer.")
class Appeal:
    id: strawberry.ID
    period_id: str | None
    subject_id: str | None
    fact_id: str | None
    points: list[str]
    status: str | None
    filed_by: str | None
    filed_at: str | None
    answer_due_at: str | None = strawberry.field(description=ANSWER_DUE[0])
    answer_due_on: str | None = strawberry.field(description=ANSWER_DUE[1])
    answer_due_local: str | None = strawberry.field(description=ANSWER_DUE[2])
    answer_due_note: str | None = strawberry.field(description=(
        "Set when answerDueAt was counted Monday to Friday because a year it spans has no holiday arrangement "
        "loaded; in the request's language (Accept-Language)."))
    replies: list[str]
    correction: JSON | None
    answered_by: str | None
    answered_at: str | None
    version: int | None
    overdue: bool = strawberry.field(description=(
        "Still open after answerDueAt: the office is late answering (as REST's `overdue`)."))

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Appeal:
        version = row.get("version")
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=text(row, "period_id"),
                   subject_id=text(row, "subject_id"), fact_id=text(row, "fact_id"), points=strings(row, "points"),
                   status=text(row, "status"), filed_by=text(row, "filed_by"), filed_at=text(row, "filed_at"),
                   answer_due_at=text(row, "answer_due_at"), answer_due_on=local_date(text(row, "answer_due_at")),
                   answer_due_local=local_instant(text(row, "answer_due_at")),
                   answer_due_note=text(row, "answer_due_note"), replies=strings(row, "replies"),
                   correction=row.get("correction"), answered_by=text(row, "answered_by"),
                   answered_at=text(row, "answered_at"), version=version if isinstance(version, int) else None,
                   overdue=row.get("overdue") is True)
