"""Scores payloads: fact events in, score reads out (decimals as strings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kaohe.i18n import _
from services.common.explanations import Explanation, StoredProblem
from services.scoring.scores.compute import as_text

MAX_FACT_KEYS = 50


class FactChange(BaseModel):
    """The payload of `fact.changed` (docs/architecture.md "Facts: evidence → scoring")."""

    model_config = ConfigDict(extra="ignore")

    period_id: str = Field(max_length=64)
    action: Literal["upsert", "retract"]
    fact: dict[str, Any]
    # evidence bumps it on every change of a fact; the highest one seen wins (0: no ordering given)
    revision: int = Field(default=0, ge=0, le=2**31 - 1)

    @field_validator("fact")
    @classmethod
    def _fact_shape(cls, fact: dict[str, Any]) -> dict[str, Any]:
        fid = fact.get("id")
        if not isinstance(fid, str | int) or not 0 < len(str(fid)) <= 200:
            raise ValueError(_("fact.id must be a string of 1 to 200 characters"))
        if len(fact) > MAX_FACT_KEYS:
            raise ValueError(_("a fact has at most %(most)s fields", most=MAX_FACT_KEYS))
        return fact


class SubjectScoresRead(BaseModel):
    id: str
    name: str
    group: str
    unit_path: str
    attributes: dict[str, Any]
    scores: dict[str, str]
    total: str
    explain: dict[str, Explanation]  # stored in English, rendered in the request's language
    vetoes: list[dict[str, Any]]
    flags: list[dict[str, Any]]


class ScoresRead(BaseModel):
    period_id: str
    # the scheme's points precision: values here are full precision (ranking compares them); a reader that
    # shows them to people rounds them half-up to it
    precision: int
    subjects: list[SubjectScoresRead]
    problems: list[StoredProblem]  # their messages stored in English, rendered in the request's language
    inputs_sha256: str | None
    score_set: int
    # Names this period and its subject list (creation time and cache_epoch). Given back with
    # `since_score_set`, it lets a reader (ranking) ask for what changed since the set it holds.
    period_key: str = ""
    # True: `subjects` holds only the subjects with a version after `since_score_set`, plus every
    # subject with vetoes or flags; every other subject's values are those of that set, with none.
    partial: bool = False


class ScoreVersionRead(BaseModel):
    id: int
    subject_id: str
    indicator: str
    value: str  # full precision
    precision: int  # the scheme's: a reader that shows the value to people rounds it half-up to it
    fact_ids: list[str]
    explain: Explanation
    cause: str
    score_set: int
    inputs_sha256: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any, precision: int) -> ScoreVersionRead:
        return cls(id=row.id, subject_id=row.subject_id, indicator=row.indicator, value=as_text(row.value),
                   precision=precision,
                   fact_ids=row.fact_ids, explain=row.explain, cause=row.cause, score_set=row.score_set,
                   inputs_sha256=row.inputs_sha256, created_at=row.created_at)


class PeriodProblem(BaseModel):
    """Something the engine could not use as given in the period's last computation (scheme-reference §5)."""

    fact: str | None = Field(default=None, description="The fact's id, for a fact the engine left out or could not "
                                                        "read.")
    subject: str | None = Field(default=None, description="The subject it is about: the problem's own, else the "
                                                          "subject of the fact's copy (null when neither is known).")
    indicator: str | None = Field(default=None, description="The indicator the fact names, when its copy names one.")
    pointer: str | None = Field(default=None, description="A JSON pointer into the scheme, for a scheme problem.")
    message: str = Field(description="What is wrong, in the request's language (stored in English).")


class PeriodProblems(BaseModel):
    period_id: str
    score_set: int = Field(description="The score set whose computation reported them.")
    problems: list[PeriodProblem]


class RecomputeResult(BaseModel):
    period_id: str
    score_set: int
    changed: bool
    versions_created: int
    inputs_sha256: str


class VerifyResult(BaseModel):
    ok: bool
    inputs_sha256: str
    mismatches: list[dict[str, Any]]
    recompute_pending: bool
    # fact copies and score versions' causes that no audited change of evidence vouches for
    # (services/common/provenance.py): `{period_id, kind, fact, cause, record_id, message}` each
    provenance: list[dict[str, Any]] = []


@dataclass(frozen=True, slots=True)
class PeriodInputs:
    """What the engine scores a period on: the scheme version's document and the facts document
    (docs/scheme-reference.md §5), with the stored `inputs_sha256` and score set they gave (unless a recompute is
    pending)."""

    scheme: dict[str, Any]
    facts: dict[str, Any]
    inputs_sha256: str | None
    score_set: int
    recompute_pending: bool
