"""Audit records of the services' hash chains, and reproducibility checks."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from gateway.types import text


@strawberry.type(description="One append-only audit record, chained by SHA-256 to the one before.")
class AuditRecord:
    service: str
    id: strawberry.ID
    recorded_at: str | None
    actor: str | None
    action: str | None
    entity_type: str | None
    entity_id: str | None
    before_digest: str | None
    after_digest: str | None
    details: JSON | None
    request_id: str | None
    hash: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any], service: str) -> AuditRecord:
        return cls(service=service, id=strawberry.ID(str(row.get("id", ""))), recorded_at=text(row, "recorded_at"),
                   actor=text(row, "actor"), action=text(row, "action"), entity_type=text(row, "entity_type"),
                   entity_id=text(row, "entity_id"), before_digest=text(row, "before_digest"),
                   after_digest=text(row, "after_digest"), details=row.get("details"),
                   request_id=text(row, "request_id"), hash=text(row, "hash"))


@strawberry.type(description="The result of recomputing one service's audit chain.")
class ChainVerification:
    service: str
    ok: bool
    report: JSON

    @classmethod
    def from_json(cls, row: dict[str, Any], service: str) -> ChainVerification:
        return cls(service=service, ok=bool(row.get("ok", False)), report=cast(JSON, row))


@strawberry.type(description="Scoring's recomputation of a period from its stored scheme and facts.")
class PeriodVerification:
    ok: bool
    inputs_sha256: str | None
    mismatches: JSON
    provenance: JSON = strawberry.field(description=(
        "Each fact of scoring's copy that is not a fact evidence holds as its last audited change made it, each fact "
        "of evidence missing from the copy, each cause of a score version that is no audited change of evidence: "
        "`{period_id, kind, fact, cause, record_id, message}`."))

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> PeriodVerification:
        return cls(ok=bool(row.get("ok", False)), inputs_sha256=text(row, "inputs_sha256"),
                   mismatches=row.get("mismatches", []), provenance=row.get("provenance", []))
