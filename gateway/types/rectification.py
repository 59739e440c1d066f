"""Rectification notices (000 篇3 问题整改单)."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.types import text


@strawberry.type(description="A problem found on inspection, its deadline, the unit's feedback and sign-off.")
class RectificationNotice:
    id: strawberry.ID
    period_id: str | None
    subject_id: str | None
    problem: str | None
    handling_opinion: str | None
    inspector: str | None
    checked_at: str | None
    deadline: str | None
    feedback: str | None
    signed_off_by: str | None
    status: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> RectificationNotice:
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=text(row, "period_id"),
                   subject_id=text(row, "subject_id"), problem=text(row, "problem"),
                   handling_opinion=text(row, "handling_opinion"), inspector=text(row, "inspector"),
                   checked_at=text(row, "checked_at", "check_time"), deadline=text(row, "deadline", "due_at"),
                   feedback=text(row, "feedback"), signed_off_by=text(row, "signed_off_by", "head"),
                   status=text(row, "status"))
