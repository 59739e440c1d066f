"""Ranking results of a subject in a period (owned by ranking)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.types import strings, text
from gateway.types.flags import VetoFlag, veto_flags


@strawberry.type(description="Rank, grade, labels and rewards of one subject.")
class Result:
    period_id: str
    subject_id: str
    name: str | None
    group: str | None
    total: str | None
    rank: int | None
    band_grade: str | None
    grade: str | None
    grade_reason: str | None
    labels: list[str]
    rewards: JSON | None
    flags: list[VetoFlag] = strawberry.field(description="Every veto applied to the subject.")
    version: int | None = strawberry.field(description="A new version only when the result changed.")
    created_at: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any], period_id: str) -> Result:
        rank = row.get("rank")
        return cls(period_id=str(row.get("period_id", period_id)),
                   subject_id=str(row.get("subject_id", row.get("id", ""))), name=text(row, "name", "subject_name"),
                   group=text(row, "group"), total=text(row, "total"), rank=rank if isinstance(rank, int) else None,
                   band_grade=text(row, "band_grade"), grade=text(row, "grade"), grade_reason=text(row, "grade_reason"),
                   labels=strings(row, "labels"), rewards=row.get("rewards"), flags=veto_flags(row),
                   version=row.get("version") if isinstance(row.get("version"), int) else None,
                   created_at=text(row, "created_at"))
