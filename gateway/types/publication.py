"""Publication (公示) of a period's results and the objections filed during it."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.types import text


@strawberry.type(description="A period's publication window and approval state.")
class Publication:
    period_id: str
    status: str | None = strawberry.field(description="computed → published (公示) → finalized (审定)")
    sequence: int | None = strawberry.field(description="The number of the latest 公示 (0 before the first; a "
                                                        "re-publication after results changed counts one more).")
    working_days: int | None = strawberry.field(description="The latest 公示's window in working days.")
    published_at: str | None
    closes_at: str | None
    closes_at_note: str | None = strawberry.field(default=None, description=(
        "Set when closesAt was counted Monday to Friday because a year the window spans has no holiday "
        "arrangement loaded."))
    finalized_at: str | None
    reopen_count: int | None
    stale: bool = strawberry.field(description=(
        "The results differ from what was published (they changed after the 公示: 审定 is refused until they are "
        "published again) or, once finalized, the scores changed after 审定 (a reopening takes them)."))
    stale_since: str | None
    stale_reason: str | None = strawberry.field(description="Why, in words; the audit trail of the period has "
                                                            "the subjects and the cause.")

    @classmethod
    def from_json(cls, row: dict[str, Any], period_id: str) -> Publication:
        sequence, days = row.get("publication_sequence"), row.get("publication_days")
        return cls(period_id=str(row.get("period_id", row.get("id", period_id))), status=text(row, "status"),
                   sequence=sequence if isinstance(sequence, int) else None,
                   working_days=days if isinstance(days, int) else None,
                   published_at=text(row, "published_at"), closes_at=text(row, "publication_ends_at", "closes_at"),
                   closes_at_note=text(row, "publication_calendar_note"), finalized_at=text(row, "finalized_at"),
                   reopen_count=row.get("reopen_count") if isinstance(row.get("reopen_count"), int) else None,
                   stale=row.get("stale") is True, stale_since=text(row, "stale_since"),
                   stale_reason=text(row, "stale_reason"))


@strawberry.type(description="The frozen results of a finalized period (审定) and their SHA-256.")
class Snapshot:
    period_id: str
    sequence: int
    sha256: str
    finalized_by: str | None
    finalized_at: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Snapshot:
        return cls(period_id=str(row.get("period_id", "")), sequence=int(row.get("sequence", 0)),
                   sha256=str(row.get("sha256", "")), finalized_by=text(row, "finalized_by"),
                   finalized_at=text(row, "finalized_at"))


@strawberry.type(description="A formal reopening of a finalized period: why, by whom, after which snapshot.")
class Reopening:
    period_id: str
    reason: str
    snapshot_sequence: int
    reopened_by: str | None
    reopened_at: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Reopening:
        return cls(period_id=str(row.get("period_id", "")), reason=str(row.get("reason", "")),
                   snapshot_sequence=int(row.get("snapshot_sequence", 0)), reopened_by=text(row, "reopened_by"),
                   reopened_at=text(row, "reopened_at"))


@strawberry.type(description="An objection to a subject's published result and its answer.")
class Objection:
    id: strawberry.ID
    period_id: str | None
    subject_id: str | None
    reason: str | None
    status: str | None
    answer: str | None
    filed_by: str | None
    filed_at: str | None
    answered_by: str | None
    answered_at: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Objection:
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=text(row, "period_id"),
                   subject_id=text(row, "subject_id"), reason=text(row, "text", "reason"), status=text(row, "status"),
                   answer=text(row, "answer"), filed_by=text(row, "filed_by"), filed_at=text(row, "filed_at"),
                   answered_by=text(row, "answered_by"), answered_at=text(row, "answered_at"))
