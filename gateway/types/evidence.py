"""Evidence: submissions with their attachments and review state, and weekly journals."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.types import text


@strawberry.type(description="A file attached to a submission; its SHA-256 is checked on download.")
class Attachment:
    id: strawberry.ID
    file_name: str | None
    content_type: str | None
    size: int | None
    sha256: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Attachment:
        size = row.get("size", row.get("size_bytes"))
        return cls(id=strawberry.ID(str(row.get("id", ""))), file_name=text(row, "file_name", "filename"),
                   content_type=text(row, "content_type"), size=size if isinstance(size, int) else None,
                   sha256=text(row, "sha256"))


@strawberry.type(description="One reviewer's decision at one level of a review chain.")
class ReviewDecision:
    level: str | None
    reviewer: str | None
    decision: str | None
    value: str | None
    reason: str | None
    decided_at: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> ReviewDecision:
        return cls(level=text(row, "level", "level_name"), reviewer=text(row, "reviewer", "actor"),
                   decision=text(row, "decision", "action"), value=text(row, "value"), reason=text(row, "reason"),
                   decided_at=text(row, "decided_at", "created_at"))


@strawberry.type(description="Evidence for (period, subject, indicator): a fact of one kind under review.")
class Submission:
    id: strawberry.ID
    period_id: str | None
    subject_id: str | None
    indicator: str | None
    kind: str | None
    status: str | None
    version: int | None
    value: JSON | None
    justification: str | None
    attachments: list[Attachment]
    reviews: list[ReviewDecision]
    submitted_by: str | None
    created_at: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Submission:
        version = row.get("version")
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=text(row, "period_id"),
                   subject_id=text(row, "subject_id"), indicator=text(row, "indicator", "indicator_code"),
                   kind=text(row, "kind", "fact_kind"), status=text(row, "status", "state"),
                   version=version if isinstance(version, int) else None,
                   value=row.get("value", row.get("payload")), justification=text(row, "justification"),
                   attachments=[Attachment.from_json(a) for a in row.get("attachments") or []],
                   reviews=[ReviewDecision.from_json(r) for r in row.get("reviews", row.get("decisions")) or []],
                   submitted_by=text(row, "submitted_by", "created_by"), created_at=text(row, "created_at"))


@strawberry.type(description="A weekly work journal (003 篇三), one per person per ISO week.")
class Journal:
    id: strawberry.ID
    period_id: str | None
    subject_id: str | None
    week: str | None
    status: str | None
    content: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Journal:
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=text(row, "period_id"),
                   subject_id=text(row, "subject_id", "person_id"), week=text(row, "week", "iso_week"),
                   status=text(row, "status"), content=text(row, "content", "text"))
