"""Scores: the latest values of a subject, and every stored score version with its cause."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.types import exact, rounded, strings, text
from gateway.types.flags import VetoFlag, veto_flags

EXACT = ("The unrounded value (the engine computes at 50 significant digits and ranks on it, so it breaks a tie "
         "of the rounded values): for auditors re-checking a ranking. Written with at least the scheme's precision "
         "in decimals and beyond it only the digits the value has: \"15.00\", \"7.50\", \"9.4736842105…\".")


@strawberry.type(description="One indicator's value, rounded half-up to the scheme's precision.")
class IndicatorScore:
    code: str
    value: str | None
    value_exact: str | None = strawberry.field(description=EXACT)


@strawberry.type(description="A subject's latest scores (rounded as the scheme says), with the engine's explanation.")
class Score:
    subject_id: str
    total: str | None = strawberry.field(description="The total, rounded half-up to the scheme's precision.")
    total_exact: str | None = strawberry.field(description=EXACT)
    indicators: list[IndicatorScore]
    explain: JSON | None
    vetoes: JSON | None
    flags: list[VetoFlag] = strawberry.field(description="The vetoes applied while scoring (zero_total).")

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Score:
        values = row.get("scores") or {}
        places = row.get("precision")
        return cls(subject_id=str(row.get("id", row.get("subject_id", ""))),
                   total=rounded(text(row, "total"), places), total_exact=exact(text(row, "total"), places),
                   indicators=[IndicatorScore(code=str(c), value=rounded(None if v is None else str(v), places),
                                              value_exact=exact(None if v is None else str(v), places))
                               for c, v in values.items()] if isinstance(values, dict) else [],
                   explain=row.get("explain"), vetoes=row.get("vetoes"), flags=veto_flags(row))


@strawberry.type(description="One stored value of (subject, indicator): what caused it and from which facts.")
class ScoreVersion:
    id: strawberry.ID
    subject_id: str | None
    indicator: str | None
    value: str | None = strawberry.field(description="Rounded half-up to the scheme's precision.")
    value_exact: str | None = strawberry.field(description=EXACT)
    cause: str | None = strawberry.field(description=(
        "What produced it, parts joined by commas: `event:<uuid>`, a fact change of this subject's own facts that "
        "reached scoring (`auditTrail(entityId: \"event:<uuid>\")`, one event at a time, gives evidence's record of "
        "it: `actor` (who approved the evidence, closed the rating, upheld the appeal…), `entityId` (the fact: "
        "`facts(ids:)` names the record behind it)); `more:<n>`, n more such events than a cause holds (walk "
        "`factIds`); `score_set:<n>`, moved only by other subjects' facts (a cross-subject rule): the period's "
        "`scores.recompute` record of score set n lists the events in `details.causes`; `user:<subject>` (a "
        "recompute or rebuild by that person), `lookback:<period>`, `rollup:<period>`. docs/api.md, \"How an "
        "auditor walks a score version's cause\"."))
    fact_ids: list[str]
    facts: JSON | None
    explanation: JSON | None
    created_at: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> ScoreVersion:
        return cls(id=strawberry.ID(str(row.get("id", ""))), subject_id=text(row, "subject_id"),
                   indicator=text(row, "indicator", "indicator_code"),
                   value=rounded(text(row, "value"), row.get("precision")),
                   value_exact=exact(text(row, "value"), row.get("precision")),
                   cause=text(row, "cause"), fact_ids=strings(row, "fact_ids"), facts=row.get("facts"),
                   explanation=row.get("explanation", row.get("explain")), created_at=text(row, "created_at"))
