"""Result payloads: the §11 subject document plus its version and place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.common.explanations import Explanation
from services.ranking.results.models import SubjectResult


class ResultRead(BaseModel):
    """One version of one subject's result; numbers are fixed-decimal strings."""

    period_id: str
    subject_id: str
    version: int
    name: str | None
    group: str
    unit_path: str
    total: str
    scores: dict[str, str]
    rank: int | None
    band_grade: str | None
    grade: str | None
    grade_reason: str | None
    labels: list[str]
    rewards: dict[str, str]
    # a distributed reward's split among the unit's people: reward → person id → amount (scheme reference §10.1)
    distribution: dict[str, dict[str, str]] = {}
    flags: list[Any]
    explain: dict[str, Explanation]  # stored in English, rendered in the request's language
    created_at: datetime
    # what made this version (office roles only): the trigger (`event`, `score_set`, scoring's `causes`; or
    # `recompute`: the office account), `scores_moved` (the subjects whose own scores moved in that
    # recomputation) and `own_scores_moved` (false: only ranked again); null for versions stored before causes
    cause: dict[str, Any] | None = None

    @classmethod
    def of(cls, row: SubjectResult) -> ResultRead:
        doc = row.document
        return cls(
            period_id=row.period_id, subject_id=row.subject_id, version=row.version, name=row.name,
            group=row.group, unit_path=row.unit_path, total=doc["total"], scores=doc.get("scores", {}),
            rank=doc.get("rank"), band_grade=doc.get("band_grade"), grade=doc.get("grade"),
            grade_reason=doc.get("grade_reason"), labels=doc.get("labels", []), rewards=doc.get("rewards", {}),
            distribution=doc.get("distribution", {}), flags=doc.get("flags", []), explain=doc.get("explain", {}),
            created_at=row.created_at, cause=row.cause,
        )

    @classmethod
    def shown(cls, row: SubjectResult, *, full: bool) -> ResultRead:
        """The whole result (office roles), or only what the 公示 shows: name, group, total, rank, grade,
        labels (the publication list's columns)."""
        read = cls.of(row)
        if full:
            return read
        return read.model_copy(update={"scores": {}, "band_grade": None, "grade_reason": None, "rewards": {},
                                       "distribution": {}, "flags": [], "explain": {},
                                       "cause": None})


class ResultPage(BaseModel):
    period_id: str
    total_count: int
    offset: int
    limit: int
    items: list[ResultRead]


class RecomputeRead(BaseModel):
    period_id: str
    changed: int
    unchanged: int
    removed: int
    frozen: bool
