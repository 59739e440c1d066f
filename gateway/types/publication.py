"""Publication (公示) of a period's results and the objections filed during it."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from gateway.types import text


@strawberry.type(description="A period's publication window and approval state.")
class Publication:
    period_id: str
    status: str | None = strawberry.field(description=(
        "Ranking's state of the period's results: computed (ranked, not published; again after `reopenPeriod`) → "
        "published (公示) → finalized (审定). Not `Period.status`, the period's lifecycle, which reads `scoring` "
        "where this reads `computed`."))
    sequence: int | None = strawberry.field(description="The number of the latest 公示 (0 before the first; a "
                                                        "re-publication after results changed counts one more).")
    working_days: int | None = strawberry.field(description="The latest 公示's window in working days.")
    published_at: str | None
    closes_at: str | None
    closes_at_note: str | None = strawberry.field(default=None, description=(
        "Set when closesAt was counted Monday to Friday because a year the window spans has no holiday "
        "arrangement loaded; in the request's language (Accept-Language)."))
    finalized_at: str | None
    reopen_count: int | None
    stale: bool = strawberry.field(description=(
        "The results differ from what was published (they changed after the 公示: 审定 is refused until they are "
        "published again) or, once finalized, the scores changed after 审定 (a reopening takes them)."))
    reopened: bool = strawberry.field(description=(
        "Reopened after 审定 and not published since: `sequence` is the last 公示, which those who read it still "
        "read (the subject its result, the publication list, the public page), marked as superseded by the "
        "correction under way until the results are published again."))
    stale_since: str | None
    stale_reason: str | None = strawberry.field(description="Why, in words, in the request's language "
                                                            "(Accept-Language); the audit trail of the period has "
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
                   reopened=row.get("status") == "computed" and isinstance(sequence, int) and sequence > 0,
                   stale_reason=text(row, "stale_reason"))


@strawberry.type(description="The frozen results of a finalized period (审定) and their SHA-256.")
class Snapshot:
    period_id: str
    sequence: int
    sha256: str
    finalized_by: str | None
    finalized_at: str | None
    chain_heads: JSON | None = strawberry.field(description=(
        "The heads of the three audit chains at 审定 ({service: {sequence, id, hash}}), also in the snapshot's "
        "bytes: keep them, and a chain cut or rewritten afterwards is caught (`kaohe audit verify --heads`)."))

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Snapshot:
        heads = row.get("chain_heads")
        return cls(period_id=str(row.get("period_id", "")), sequence=int(row.get("sequence", 0)),
                   sha256=str(row.get("sha256", "")), finalized_by=text(row, "finalized_by"),
                   finalized_at=text(row, "finalized_at"),
                   chain_heads=cast(JSON, heads) if isinstance(heads, dict) else None)


@strawberry.type(description="One subject whose served result differs from the 审定 snapshot.")
class SnapshotDifference:
    subject_id: str
    field: str = strawberry.field(description="The first field that differs: a key of the subject's result "
                                              "document, a column reads use (total, rank, grade, name…), or "
                                              "`result` when the subject is on one side only.")
    snapshot: str | None = strawberry.field(description="The value as frozen (JSON text unless a string).")
    served: str | None = strawberry.field(description="The value served now.")


@strawberry.type(description="The check of a 审定 snapshot: its bytes, its SHA-256, the audit record of the approval, "
                             "and the results served for the finalized period, subject by subject.")
class SnapshotVerification:
    ok: bool = strawberry.field(description="Bytes, SHA-256 and audit record agree, and so do the served results "
                                            "when they were compared (`resultsChecked`).")
    period_id: str
    sequence: int | None = strawberry.field(description="The snapshot checked; null: the period has none.")
    sha256: str | None = strawberry.field(description="As stored with the snapshot.")
    computed_sha256: str | None = strawberry.field(description="Of the snapshot's stored bytes.")
    recorded_sha256: str | None = strawberry.field(description="In the audit record of the approval.")
    bytes_ok: bool = strawberry.field(description="The stored bytes hash to the stored SHA-256.")
    audit_ok: bool = strawberry.field(description="The SHA-256 is the one the approval's (审定) audit record holds.")
    results_checked: bool = strawberry.field(description="The served results were compared (the latest snapshot "
                                                         "of a period still finalized).")
    differences: list[SnapshotDifference] = strawberry.field(
        description="Each subject and field where the served results differ from the snapshot; empty when they agree.")
    note: str | None = strawberry.field(description="Why a part was not checked, in a sentence; null otherwise.")

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> SnapshotVerification:
        sequence = row.get("sequence")
        return cls(ok=row.get("ok") is True, period_id=str(row.get("period_id", "")),
                   sequence=sequence if isinstance(sequence, int) else None, sha256=text(row, "sha256"),
                   computed_sha256=text(row, "computed_sha256"), recorded_sha256=text(row, "recorded_sha256"),
                   bytes_ok=row.get("bytes_ok") is True, audit_ok=row.get("audit_ok") is True,
                   results_checked=row.get("results_checked") is True, note=text(row, "note"),
                   differences=[SnapshotDifference(subject_id=str(d.get("subject_id", "")),
                                                   field=str(d.get("field", "")), snapshot=text(d, "snapshot"),
                                                   served=text(d, "served"))
                                for d in row.get("differences") or [] if isinstance(d, dict)])


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
