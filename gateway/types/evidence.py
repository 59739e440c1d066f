"""Evidence: submissions with their attachments and review state, and weekly journals."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.context import Context
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
        return cls(id=strawberry.ID(str(row.get("id", ""))), file_name=text(row, "filename", "file_name"),
                   content_type=text(row, "content_type"), size=size if isinstance(size, int) else None,
                   sha256=text(row, "sha256"))


@strawberry.type(description="One reviewer's decision at one level of a review chain.")
class ReviewDecision:
    level: str | None
    reviewer: str | None
    decision: str | None
    value: JSON | None
    reason: str | None
    decided_at: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> ReviewDecision:
        return cls(level=text(row, "level_name", "level"), reviewer=text(row, "actor"), decision=text(row, "action"),
                   value=row.get("value"), reason=text(row, "reason"),
                   decided_at=text(row, "decided_at", "created_at"))


async def _per_submission(ctx: Context, name: str, suffix: str) -> Any:
    async def load(ids: list[str]) -> list[list[dict[str, Any]]]:
        # evidence has no batch read for these yet: one call per submission, made concurrently
        calls = (ctx.clients.evidence.request("GET", f"/v1/submissions/{i}/{suffix}", ctx.user) for i in ids)
        return [list(body or []) for body in await asyncio.gather(*calls)]

    return ctx.loader(name, lambda: DataLoader(load))


@strawberry.type(description="Evidence for (period, subject, indicator): a fact of one kind under review.")
class Submission:
    id: strawberry.ID
    period_id: str | None
    subject_id: str | None
    indicator: str | None
    kind: str | None = strawberry.field(description="The fact kind (§4): score, measure, event, rating, …")
    status: str | None
    version: int | None = strawberry.field(description="Send it back with a review decision (stale → CONFLICT).")
    level: int | None
    level_name: str | None
    level_due_at: str | None
    value: JSON | None
    fact_id: str | None
    submitted_by: str | None
    created_at: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Submission:
        version, level = row.get("version"), row.get("level")
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=text(row, "period_id"),
                   subject_id=text(row, "subject_id"), indicator=text(row, "indicator"), kind=text(row, "fact"),
                   status=text(row, "status"), version=version if isinstance(version, int) else None,
                   level=level if isinstance(level, int) else None, level_name=text(row, "level_name"),
                   level_due_at=text(row, "level_due_at"), value=row.get("value"), fact_id=text(row, "fact_id"),
                   submitted_by=text(row, "submitted_by"), created_at=text(row, "created_at"))

    @strawberry.field(description="The files attached to this submission.")
    async def attachments(self, info: Info[Context, None]) -> list[Attachment]:
        loader = await _per_submission(info.context, "attachments", "attachments")
        return [Attachment.from_json(r) for r in await loader.load(str(self.id))]

    @strawberry.field(description="The review decisions taken so far, level by level.")
    async def reviews(self, info: Info[Context, None]) -> list[ReviewDecision]:
        loader = await _per_submission(info.context, "decisions", "decisions")
        return [ReviewDecision.from_json(r) for r in await loader.load(str(self.id))]


@strawberry.type(description="A weekly work journal (003 篇三), one per person per ISO week.")
class Journal:
    period_id: str | None
    subject_id: str | None
    week: str | None
    status: str | None = strawberry.field(description="submitted | missing | excused …")
    text: str | None
    submitted_at: str | None
    makeup: bool
    excuse_kind: str | None
    version: int | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Journal:
        version = row.get("version")
        return cls(period_id=text(row, "period_id"), subject_id=text(row, "subject_id"), week=text(row, "week"),
                   status=text(row, "status"), text=text(row, "text"), submitted_at=text(row, "submitted_at"),
                   makeup=bool(row.get("makeup", False)), excuse_kind=text(row, "excuse_kind"),
                   version=version if isinstance(version, int) else None)
