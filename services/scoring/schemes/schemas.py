"""Scheme payloads: drafts (document or YAML/JSON text), versions, diffs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kaohe.i18n import _
from services.common.auth import ScopePath

MAX_TEXT = 1_000_000


class _DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] | None = None
    text: str | None = Field(default=None, max_length=MAX_TEXT, description="the scheme as YAML or JSON text")

    @model_validator(mode="after")
    def _one_source(self) -> _DocumentIn:
        if (self.document is None) == (self.text is None):
            raise ValueError(_("give exactly one of `document` or `text`"))
        return self


class SchemeCreate(_DocumentIn):
    owner_path: ScopePath = Field(default="", max_length=1000, description="the unit path whose admins manage it")


class SchemeValidate(_DocumentIn):
    pass


class SchemeUpdate(_DocumentIn):
    revision: int = Field(ge=1, description="the draft revision this edit was made on (optimistic concurrency)")


class SchemePublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int = Field(ge=1)


class SchemeVersionSummary(BaseModel):
    """A version as every read shows it: the scheme's owner, how many versions the caller may read, and the
    version's indicator tree (lists and single reads agree)."""

    model_config = ConfigDict(from_attributes=True)

    scheme_id: str
    owner_path: str
    version: int
    status: str
    title: str
    revision: int
    published_at: datetime | None
    versions: int = Field(description="How many versions of the scheme the caller may read.")
    indicators: list[Any] = Field(description="The version's indicator tree, as written in its document.")


class SchemeVersionRead(SchemeVersionSummary):
    """One version with its whole document."""

    created_by: str
    created_at: datetime
    updated_at: datetime
    document: dict[str, Any]


class SchemeListItem(SchemeVersionSummary):
    """A scheme with the latest version the caller may read (drafts only for its office)."""


class SchemePage(BaseModel):
    items: list[SchemeListItem]
    next: str | None
    total_count: int


class FieldChange(BaseModel):
    field: str
    before: Any
    after: Any


class IndicatorChange(BaseModel):
    code: str
    changes: list[FieldChange]


class SchemeDiff(BaseModel):
    scheme_id: str
    from_version: int
    to_version: int
    added: list[str]
    removed: list[str]
    changed: list[IndicatorChange]
    sections: list[FieldChange]
