"""Rectification notices (000 篇3 问题整改单)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.types import text


@strawberry.type(description="A problem found on inspection, its deadline, the unit's feedback and sign-off.")
class RectificationNotice:
    id: strawberry.ID
    period_id: str | None
    subject_id: str | None
    checked_at: str | None
    inspector: str | None
    problem: str | None
    opinion: str | None = strawberry.field(description="处理意见")
    deadline: str | None
    feedback: str | None
    feedback_at: str | None
    signed_by: str | None
    signed_at: str | None
    status: str | None
    follow_up: JSON | None
    version: int | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> RectificationNotice:
        version = row.get("version")
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=text(row, "period_id"),
                   subject_id=text(row, "subject_id"), checked_at=text(row, "checked_at"),
                   inspector=text(row, "inspector"), problem=text(row, "problem"), opinion=text(row, "opinion"),
                   deadline=text(row, "deadline"), feedback=text(row, "feedback"), feedback_at=text(row, "feedback_at"),
                   signed_by=text(row, "signed_by"), signed_at=text(row, "signed_at"), status=text(row, "status"),
                   follow_up=row.get("follow_up"), version=version if isinstance(version, int) else None)
