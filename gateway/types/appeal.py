"""Appeals (申诉) against a specific fact."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.types import text


@strawberry.type(description="A subject's appeal of one fact and the office's point-by-point answer.")
class Appeal:
    id: strawberry.ID
    period_id: str | None
    subject_id: str | None
    fact_id: str | None
    reason: str | None
    status: str | None
    answer: str | None
    filed_at: str | None
    answered_at: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Appeal:
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=text(row, "period_id"),
                   subject_id=text(row, "subject_id"), fact_id=text(row, "fact_id"), reason=text(row, "reason"),
                   status=text(row, "status", "outcome"), answer=text(row, "answer"),
                   filed_at=text(row, "filed_at", "created_at"), answered_at=text(row, "answered_at"))
