"""Facts (事实): reviewed evidence as scoring scores it, with the record that made it."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from gateway.types import text


@strawberry.type(description="A fact (事实) in force: reviewed evidence exactly as the engine reads it "
                             "(docs/scheme-reference.md, facts), with the record that made it.")
class Fact:
    id: strawberry.ID = strawberry.field(description="The fact's id, as a score version's `factIds` names it.")
    period_id: str = strawberry.field(description="The period (考核周期) it counts in.")
    subject_id: str = strawberry.field(description="The subject (考核对象) it is about.")
    indicator: str | None = strawberry.field(description="The leaf indicator it feeds; null for a subject-level "
                                                         "event (a veto, 一票否决).")
    kind: str = strawberry.field(description="score | measure | event | rating | task | case | journal")
    body: JSON = strawberry.field(description="The fact as the engine reads it, the very object of the facts file "
                                              "`GET /exports/periods/{id}/facts.json` holds for `kaohe evaluate`.")
    source_type: str = strawberry.field(description="What made it: `submission` (reviewed evidence), "
                                                    "`rating_task` (a closed rating, 评议), `journal` (a weekly "
                                                    "journal's week), `rectification` (a 整改单's deduction), "
                                                    "`appeal` (an upheld appeal's correction, 申诉).")
    source_id: str = strawberry.field(description="The id of that record: for `submission`, read it with "
                                                  "`submission(id:)` (who submitted, who reviewed) and "
                                                  "`auditTrail(entityId:)`.")
    revision: int = strawberry.field(description="How many times it was written (a correction or an upheld "
                                                 "appeal raises it).")
    updated_at: str | None = strawberry.field(description="When it was last written (UTC, ISO 8601).")

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Fact:
        return cls(id=strawberry.ID(str(row.get("id", ""))), period_id=str(row.get("period_id", "")),
                   subject_id=str(row.get("subject_id", "")), indicator=text(row, "indicator"),
                   kind=str(row.get("kind", "")), body=cast(JSON, row.get("body") or {}),
                   source_type=str(row.get("source_type", "")), source_id=str(row.get("source_id", "")),
                   revision=int(row.get("revision") or 0), updated_at=text(row, "updated_at"))
