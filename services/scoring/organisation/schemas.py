"""Organisation payloads: units, people, API keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.common.auth import Role, ScopePath
from services.common.names import Name
from services.common.patterns import UNIT_SLUG


class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: Name
    slug: str = Field(pattern=f"^{UNIT_SLUG}$")
    parent_id: str | None = Field(default=None, max_length=64)


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    parent_id: str | None
    path: str


class NameWarning(BaseModel):
    """A new name that looks like one already in the same unit (kept: two people may share a name)."""

    code: str = "confusable_name"
    message: str
    similar_to: str


class UnitCreated(UnitRead):
    warnings: list[NameWarning] = Field(default_factory=list)


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: Name
    unit_id: str = Field(max_length=64)


class PersonRead(BaseModel):
    id: str
    name: str
    unit_id: str
    unit_path: str


class PersonCreated(PersonRead):
    warnings: list[NameWarning] = Field(default_factory=list)


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    scope: ScopePath = Field(default="", max_length=1000)


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    grants: list[GrantIn] = Field(min_length=1, max_length=20)


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    grants: list[GrantIn]
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str  # the secret, returned once


class ApiKeyVerify(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=200)


class ApiKeyIdentity(BaseModel):
    id: str
    name: str
    grants: list[GrantIn]
    created_by: str  # the key acts for its creator in separation of duties (四眼原则)
    creator_subject_ids: list[str] | None  # None: a key made before kaohe recorded them


class ApiKeyCreators(BaseModel):
    creators: dict[str, str]  # key id → its creator's `sub`, revoked keys included


class UnitPage(BaseModel):
    items: list[UnitRead]
    next: str | None
    total_count: int


class PersonPage(BaseModel):
    items: list[PersonRead]
    next: str | None
    total_count: int
