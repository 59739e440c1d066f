"""Review chain and decision payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationInfo, field_validator, model_validator

from kaohe.i18n import _
from services.common.auth import ScopePath
from services.common.stored_text import Localized


class ReviewLevel(BaseModel):
    """One level: who reviews (reviewer role over `scope`; None = the subject's unit) and how long."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scope: ScopePath | None = Field(default=None, max_length=500)
    working_days: int = Field(default=5, ge=1, le=60)
    # separation of duties: one person reviews a submission at one level only, unless this (later) level says
    # that a person who decided at an earlier level may decide here too (a small office where the 分管领导 is
    # also the 部门负责人)
    same_reviewer_allowed: StrictBool = False


class ReviewChainPut(BaseModel):
    """The ordered levels of a scheme's indicator (`indicator` omitted = the scheme's default)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "indicator": "regular",
        "levels": [{"name": "科室负责人", "working_days": 3},
                   {"name": "分管领导", "scope": "city/bureau", "working_days": 3},
                   {"name": "部门负责人", "scope": "city/bureau", "working_days": 2}],
    }]})

    indicator: str = Field(default="", max_length=100)
    levels: list[ReviewLevel] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _first_level_alone(self) -> ReviewChainPut:
        if self.levels[0].same_reviewer_allowed:
            raise ValueError(_("the first level has no earlier level: same_reviewer_allowed belongs on a later one"))
        return self


class ReviewChainRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scheme_id: str
    indicator: str
    levels: list[dict[str, Any]]
    version: int


ACTIONS = ("approve", "adjust", "reject", "return", "revoke")


class DecisionCreate(BaseModel):
    """A reviewer's action; `version` is the submission's version the reviewer saw (stale → 409)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"action": "approve", "version": 1},
        {"action": "adjust", "value": {"points": "44"}, "reason": "材料不全,酌减2分", "version": 2},
        {"action": "return", "reason": "请补充会议记录", "version": 1},
    ]})

    action: Literal["approve", "adjust", "reject", "return", "revoke"]
    # validated even when left out, after `action`: a missing reason or value is refused as that field's problem
    reason: str = Field(default="", max_length=5000, validate_default=True)
    value: dict[str, Any] | None = Field(default=None, max_length=20, validate_default=True)
    version: int = Field(ge=1)

    @field_validator("reason")
    @classmethod
    def _reason(cls, reason: str, info: ValidationInfo) -> str:
        action = info.data.get("action")
        if action is not None and action != "approve" and not reason.strip():
            raise ValueError(_("%(action)s needs a reason", action=action))
        return reason

    @field_validator("value")
    @classmethod
    def _value(cls, value: dict[str, Any] | None, info: ValidationInfo) -> dict[str, Any] | None:
        action = info.data.get("action")
        if action is not None and (action == "adjust") != (value is not None):
            raise ValueError(_("value is given with adjust, and only with adjust"))
        return value


class DecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    submission_id: str
    submission_version: int
    level: int
    level_name: str
    action: str
    reason: Localized  # a person's words as written, or kaohe's (a deadline passed) in the request's language
    value: dict[str, Any] | None
    actor: str
    decided_at: datetime


class SweepResult(BaseModel):
    defaulted: int
