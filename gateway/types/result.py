"""Ranking results of a subject in a period (owned by ranking)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.types import strings, text
from gateway.types.flags import VetoFlag, veto_flags


@strawberry.type(description="One person's part of a unit's reward (二次分配).")
class RewardShare:
    person_id: str
    amount: str


@strawberry.type(description="A unit's reward split among its people (二次分配, 001 篇4): by an expression over each "
                             "person's attributes and own score, to the cent by the largest remainder, so the shares "
                             "add up to the unit's amount exactly.")
class RewardDistribution:
    reward: str
    shares: list[RewardShare]


def distributions(row: dict[str, Any]) -> list[RewardDistribution]:
    """The result's `distribution` (reward → person id → amount), rewards in the result's order, people by id."""
    found = row.get("distribution")
    if not isinstance(found, dict):
        return []
    return [RewardDistribution(reward=str(reward), shares=[RewardShare(person_id=str(person), amount=str(amount))
                                                           for person, amount in sorted(split.items())])
            for reward, split in found.items() if isinstance(split, dict)]


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
    distribution: list[RewardDistribution]
    flags: list[VetoFlag] = strawberry.field(description="Every veto applied to the subject.")
    version: int | None = strawberry.field(description="A new version only when the result changed.")
    created_at: str | None
    cause: JSON | None = strawberry.field(default=None, description=(
        "What made this version (office roles), a JSON object with the keys `event` (the id of scoring's "
        "scores.changed event that ranking applied), `score_set` (the score set, an integer, that event carried) and "
        "`causes` (scoring's causes, a string as a score version's `cause`: `event:<uuid>` parts joined by commas, "
        "`more:<n>`, `user:<who>`…), or instead of these three `recompute` (the office account that asked for "
        "the ranking again); and always `scores_moved` (the ids of the subjects whose own scores moved in that "
        "recomputation, at most 100) and `own_scores_moved` (false: this subject was only ranked again, its rank, "
        "grade, labels or rewards moved with the others'). Null for versions stored before causes were kept."))

    @classmethod
    def from_json(cls, row: dict[str, Any], period_id: str) -> Result:
        rank = row.get("rank")
        return cls(period_id=str(row.get("period_id", period_id)),
                   subject_id=str(row.get("subject_id", row.get("id", ""))), name=text(row, "name", "subject_name"),
                   group=text(row, "group"), total=text(row, "total"), rank=rank if isinstance(rank, int) else None,
                   band_grade=text(row, "band_grade"), grade=text(row, "grade"), grade_reason=text(row, "grade_reason"),
                   labels=strings(row, "labels"), rewards=row.get("rewards"), distribution=distributions(row),
                   flags=veto_flags(row),
                   version=row.get("version") if isinstance(row.get("version"), int) else None,
                   created_at=text(row, "created_at"),
                   cause=row.get("cause") if isinstance(row.get("cause"), dict) else None)
