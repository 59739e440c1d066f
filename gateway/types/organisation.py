"""Organisation units and people (owned by scoring)."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.types import text


@strawberry.type(description="A unit of the organisation tree; `path` is its access scope.")
class Unit:
    id: strawberry.ID
    name: str
    parent_id: str | None
    path: str
    warnings: list[NameWarning] = strawberry.field(
        default_factory=list, description="Given by createUnit only: sibling units whose names look like this one.")

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Unit:
        return cls(id=strawberry.ID(str(row["id"])), name=row.get("name", ""), parent_id=text(row, "parent_id"),
                   path=row.get("path", ""), warnings=NameWarning.list_from(row))


@strawberry.type(description="A new name that looks like one already in the same unit (Unicode confusables).")
class NameWarning:
    code: str = strawberry.field(description="A stable code for the warning, e.g. `look_alike`.")
    message: str = strawberry.field(description="What looks alike, in a sentence.")
    similar_to: strawberry.ID = strawberry.field(description="The id of the unit or person whose name it resembles.")

    @classmethod
    def list_from(cls, row: dict[str, Any]) -> list[NameWarning]:
        return [cls(code=str(w.get("code", "")), message=str(w.get("message", "")),
                    similar_to=strawberry.ID(str(w.get("similar_to", ""))))
                for w in row.get("warnings") or [] if isinstance(w, dict)]


@strawberry.type(description="A person of a unit.")
class Person:
    id: strawberry.ID
    name: str
    unit_id: str | None
    unit_path: str
    warnings: list[NameWarning] = strawberry.field(
        default_factory=list, description="Given by createPerson only: people of the unit whose names look like this "
                                          "one (kept: two people may share a name).")

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Person:
        return cls(id=strawberry.ID(str(row["id"])), name=row.get("name", ""), unit_id=text(row, "unit_id"),
                   unit_path=row.get("unit_path", ""), warnings=NameWarning.list_from(row))


@strawberry.type(description="One role granted on an organisation subtree ('' = everything).")
class RoleGrant:
    role: str
    scope: str


@strawberry.type(description="The caller as the gateway sees them.")
class Me:
    subject: str
    kind: str
    grants: list[RoleGrant]
    subject_ids: list[str]
