"""Portal API keys (stored by scoring, hashed): what an administrator sees of them."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.types import text
from gateway.types.organisation import RoleGrant


@strawberry.type(description="An API key: its name, grants and who created it when; never the key itself.")
class ApiKey:
    id: strawberry.ID
    name: str
    grants: list[RoleGrant]
    created_by: str
    created_at: str
    last_used_at: str | None = strawberry.field(description=(
        "When a gateway last verified the key (each gateway instance verifies a key at most every 30 s)."))

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> ApiKey:
        return cls(id=strawberry.ID(str(row["id"])), name=str(row.get("name", "")),
                   grants=[RoleGrant(role=str(g.get("role", "")), scope=str(g.get("scope", "")))
                           for g in row.get("grants") or []],
                   created_by=str(row.get("created_by", "")), created_at=text(row, "created_at") or "",
                   last_used_at=text(row, "last_used_at"))


@strawberry.type(description="A new API key: `key` is shown here once and never again (only its SHA-256 is kept).")
class CreatedApiKey:
    key: str
    api_key: ApiKey
