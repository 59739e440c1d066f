"""Period payloads: opening, enrolment, status, and the batch reads of the service contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kaohe.i18n import _
from services.common.auth import ScopePath
from services.common.patterns import PERIOD_LABEL

Status = Literal["open", "collecting", "scoring", "published", "finalized"]
MAX_SUBJECTS = 20_000
MAX_ATTRIBUTES = 100


class SubjectIn(BaseModel):
    """A unit (unit schemes) or person (person schemes) of the organisation, enrolled in a group."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    group: str = Field(min_length=1, max_length=100)
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("attributes")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_ATTRIBUTES or any(len(k) > 100 for k in value):
            raise ValueError(_("at most %(most)s attributes with names of at most 100 characters", most=MAX_ATTRIBUTES))
        return value


class PeriodCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    scheme_id: str = Field(max_length=100)
    scheme_version: int = Field(ge=1)
    label: str = Field(pattern=PERIOD_LABEL)
    owner_path: ScopePath | None = Field(default=None, max_length=1000)
    subjects: list[SubjectIn] = Field(default_factory=list, max_length=MAX_SUBJECTS)


class Enrolment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subjects: list[SubjectIn] = Field(min_length=1, max_length=MAX_SUBJECTS)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status


class RequiredDocumentRead(BaseModel):
    name: str
    supplier: str | None = Field(default=None, description="The section (科室) that must supply it, if named.")


class IndicatorRead(BaseModel):
    code: str
    name: str
    max: str
    rule_kind: str | None
    fact_kind: str | None
    documents: list[str] = Field(default_factory=list,
                                 description="The documents the task must be proven by (`document` facts), if any.")
    required_documents: list[RequiredDocumentRead] = Field(
        default_factory=list, description="The same documents with the section that supplies each.")
    documents_when_missing: str | None = Field(
        default=None, description="What the task scores without them: zero, proportional or missing.")
    lookback_periods: int | None = Field(
        default=None, description="`lookback`: how many periods the leaf reads, this one included.")
    event_types: list[str] = Field(
        default_factory=list, description="The event types a `deduction` or `accrual` leaf reads (its `per_event` "
                                          "and `zero_when` types), sorted; empty for other leaves.")
    event_levels: list[str] = Field(
        default_factory=list, description="The `levels` of an `accrual` leaf, sorted: an event of one of them gets its "
                                          "points; empty for other leaves.")
    numerator_within_denominator: bool = Field(
        default=False, description="A measure's numerator may not exceed its denominator: a ratio whose target is at "
                                   "most 100 % counts a part of its denominator (18 of 20 cases due).")


class PeriodSummary(BaseModel):
    """A row of the period list: what a single read shows too (lists and single reads agree)."""

    id: str
    scheme_id: str
    scheme_version: int
    label: str
    status: str
    owner_path: str
    inputs_sha256: str | None
    created_at: datetime
    subject_count: int
    indicators: list[IndicatorRead]
    veto_events: list[str] = Field(
        default_factory=list, description="The event types of the scheme's vetoes (一票否决), sorted: an event without "
                                          "an indicator must be one of them; empty when the scheme has none.")


class PeriodRead(PeriodSummary):
    score_set: int
    recompute_pending: bool


class SubjectRead(BaseModel):
    id: str
    name: str
    kind: str
    group: str
    unit_path: str
    attributes: dict[str, Any]


class EnrolmentResult(BaseModel):
    enrolled: int
    subjects: list[str]


class PeriodPage(BaseModel):
    items: list[PeriodSummary]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last one.")
    total_count: int
