"""Evidence: submissions with their attachments and review state, and weekly journals."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway import loaders
from gateway.context import Context
from gateway.types import due_descriptions, local_date, local_instant, text

DOWNLOAD_PATH = "/attachments/{id}"


@strawberry.type(description="A file attached to a submission; its SHA-256 is checked on download.")
class Attachment:
    id: strawberry.ID
    file_name: str | None
    content_type: str | None
    size: int | None
    sha256: str | None = strawberry.field(description="SHA-256 (hex) recorded at upload; the download is refused "
                                                      "when the stored bytes no longer match it.")

    @strawberry.field(description="GET this path on the gateway, with the same credentials as /graphql, to "
                                  "download the file (its X-Content-SHA256 header repeats `sha256`).")
    def download_path(self) -> str:
        return DOWNLOAD_PATH.format(id=self.id)

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Attachment:
        size = row.get("size", row.get("size_bytes"))
        return cls(id=strawberry.ID(str(row.get("id", ""))), file_name=text(row, "filename", "file_name"),
                   content_type=text(row, "content_type"), size=size if isinstance(size, int) else None,
                   sha256=text(row, "sha256"))


ON_BEHALF_OF = (
    "On whose behalf {who} acted: when {field} is an API key (`api-key:<id>`), the person who created the key and "
    "for whom it acts (their user id, as `details.on_behalf_of` of the audit record and the four-eyes checks take "
    "it); null when a person (or kaohe itself, `system:…`) acted in their own name. Shown with the record, to "
    "whoever may read it.")


@strawberry.type(description="One reviewer's decision at one level of a review chain.")
class ReviewDecision:
    level: str | None = strawberry.field(deprecation_reason=(
        "The level's name, whereas `Submission.level` is an index: read `levelName` (the same name) or `levelIndex` "
        "(the index `Submission.level` gives)."))
    level_index: int | None = strawberry.field(description=(
        "The index of the review level (审核层级) decided at, 0 for the first: what `Submission.level` says of the "
        "level a submission waits at."))
    level_name: str | None = strawberry.field(description=(
        "The name of the review level (审核层级) decided at (e.g. 科室负责人), as `Submission.levelName` names the "
        "level a submission waits at; the deprecated `level` repeats it."))
    reviewer: str | None
    decision: str | None
    value: JSON | None
    reason: str | None
    decided_at: str | None

    @strawberry.field(description=ON_BEHALF_OF.format(who="the reviewer", field="`reviewer`"))
    async def on_behalf_of(self, info: Info[Context, None]) -> str | None:
        return await loaders.acting_for(info.context, self.reviewer)

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> ReviewDecision:
        index, name = row.get("level"), text(row, "level_name")
        return cls(level=name, level_index=index if isinstance(index, int) else None, level_name=name,
                   reviewer=text(row, "actor"), decision=text(row, "action"), value=row.get("value"),
                   reason=text(row, "reason"), decided_at=text(row, "decided_at", "created_at"))


# a review level ends with a working day: `2026-03-31T15:59:59.999999Z` is the end of 31 March in Shanghai
LEVEL_DUE = due_descriptions("levelDue", "the current level's review", "2026-03-31T23:59:59.999999+08:00")


@strawberry.type(description="Evidence for (period, subject, indicator): a fact of one kind under review.")
class Submission:
    id: strawberry.ID
    period_id: str | None
    subject_id: str | None
    indicator: str | None
    kind: str | None = strawberry.field(description=(
        "The fact kind (事实种类, docs/scheme-reference.md §5 Facts) of the evidence: score, measure, event, rating, "
        "task, case, journal or document; the value `submitEvidence` took as `EvidenceInput.fact`."))
    status: str | None
    version: int | None = strawberry.field(description="Send it back with a review decision (stale → CONFLICT).")
    level: int | None
    level_name: str | None
    level_due_at: str | None = strawberry.field(description=LEVEL_DUE[0])
    level_due_on: str | None = strawberry.field(description=LEVEL_DUE[1])
    level_due_local: str | None = strawberry.field(description=LEVEL_DUE[2])
    level_due_note: str | None = strawberry.field(description=(
        "Set when levelDueAt was counted Monday to Friday because a year it spans has no holiday arrangement "
        "loaded; in the request's language (Accept-Language)."))
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
                   level_due_at=text(row, "level_due_at"), level_due_on=local_date(text(row, "level_due_at")),
                   level_due_local=local_instant(text(row, "level_due_at")), level_due_note=text(row, "level_due_note"),
                   value=row.get("value"), fact_id=text(row, "fact_id"),
                   submitted_by=text(row, "submitted_by"), created_at=text(row, "created_at"))

    @strawberry.field(description=ON_BEHALF_OF.format(who="the submitter", field="`submittedBy`"))
    async def on_behalf_of(self, info: Info[Context, None]) -> str | None:
        return await loaders.acting_for(info.context, self.submitted_by)

    @strawberry.field(description="The files attached to this submission.")
    async def attachments(self, info: Info[Context, None]) -> list[Attachment]:
        return [Attachment.from_json(r) for r in await loaders.attachments(info.context).load(str(self.id))]

    @strawberry.field(description="The review decisions taken so far, level by level.")
    async def reviews(self, info: Info[Context, None]) -> list[ReviewDecision]:
        return [ReviewDecision.from_json(r) for r in await loaders.decisions(info.context).load(str(self.id))]


@strawberry.type(description="A weekly work journal (003 篇三), one per person per ISO week.")
class Journal:
    period_id: str | None
    subject_id: str | None
    week: str | None
    status: str | None = strawberry.field(description="submitted | missing | excused …")
    text: str | None
    points: str | None = strawberry.field(description="The person's own points (自评分); the reviewed points are "
                                                      "the value of the journal's submission.")
    submission_id: str | None = strawberry.field(description="The submission taking the journal through its review "
                                                             "chain (reviewSubmission, submission).")
    submitted_at: str | None
    makeup: bool = strawberry.field(description="A make-up: written after the week was excused.")
    excuse_kind: str | None = strawberry.field(description="leave | trip | holiday, when the week was excused.")
    excuse_ends_on: str | None = strawberry.field(description="Last day of the excused absence; the make-up "
                                                              "window is counted in working days from it.")
    version: int | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Journal:
        version = row.get("version")
        return cls(period_id=text(row, "period_id"), subject_id=text(row, "subject_id"), week=text(row, "week"),
                   status=text(row, "status"), text=text(row, "text"), points=text(row, "points"),
                   submission_id=text(row, "submission_id"), submitted_at=text(row, "submitted_at"),
                   makeup=bool(row.get("makeup", False)), excuse_kind=text(row, "excuse_kind"),
                   excuse_ends_on=text(row, "excuse_ends_on"), version=version if isinstance(version, int) else None)


@strawberry.type(description="One person on a period's journal roster: owes a journal every ISO week in the range.")
class JournalRosterEntry:
    period_id: str | None
    subject_id: str | None
    unit_path: str | None
    indicator: str | None
    first_week: str | None
    last_week: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> JournalRosterEntry:
        return cls(period_id=text(row, "period_id"), subject_id=text(row, "subject_id"),
                   unit_path=text(row, "unit_path"), indicator=text(row, "indicator"),
                   first_week=text(row, "first_week"), last_week=text(row, "last_week"))


@strawberry.type(description="How many people a roster registration covered.")
class RosterResult:
    people: int


@strawberry.type(description="One level of a review chain: who reviews and in how many working days.")
class ReviewLevel:
    name: str
    scope: str | None = strawberry.field(description="Reviewers over this unit path; null = the subject's unit.")
    working_days: int
    same_reviewer_allowed: bool = strawberry.field(description=(
        "Whether a person who decided at an earlier level may decide at this one too (by default one person "
        "reviews a submission at one level only)."))

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> ReviewLevel:
        days = row.get("working_days")
        return cls(name=str(row.get("name", "")), scope=text(row, "scope"),
                   working_days=days if isinstance(days, int) else 0,
                   same_reviewer_allowed=row.get("same_reviewer_allowed") is True)


@strawberry.type(description="The review chain of a scheme's indicator (indicator \"\" = the scheme's default).")
class ReviewChain:
    id: strawberry.ID
    scheme_id: str
    indicator: str
    levels: list[ReviewLevel]
    version: int | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> ReviewChain:
        version = row.get("version")
        return cls(id=strawberry.ID(str(row.get("id", ""))), scheme_id=str(row.get("scheme_id", "")),
                   indicator=str(row.get("indicator", "")),
                   levels=[ReviewLevel.from_json(level) for level in row.get("levels") or []],
                   version=version if isinstance(version, int) else None)


@strawberry.type(description=(
    "A make-up (补报) the office approved: once the period no longer collects evidence (scoring, published, reopened), "
    "new evidence of the subject (of `indicator`, or any when null) is taken until `closesAt`."))
class Makeup:
    id: strawberry.ID
    period_id: str | None
    subject_id: str | None
    indicator: str | None = strawberry.field(description="The indicator (指标) it covers; null: every indicator.")
    reason: str | None = strawberry.field(description="Why the office approved it, as kept on record.")
    approved_by: str | None = strawberry.field(description="Who approved it (the office), the user id.")
    approved_at: str | None = strawberry.field(description="When it was approved (ISO 8601, UTC).")
    closes_at: str | None = strawberry.field(description=(
        "Until when new evidence is taken under it (ISO 8601, UTC): the end of its last working day in Beijing time."))

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Makeup:
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=text(row, "period_id"),
                   subject_id=text(row, "subject_id"), indicator=text(row, "indicator"), reason=text(row, "reason"),
                   approved_by=text(row, "approved_by"), approved_at=text(row, "approved_at"),
                   closes_at=text(row, "closes_at"))
