"""The organisation for a portal's or an app's home screen (issue 17): the unit tree (children, ancestors) and
the people of a unit, read from scoring and filtered there by the caller's grants."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from gateway import access
from gateway.context import Context
from gateway.operations import bounded
from gateway.operations.organisation import checked_unit
from gateway.pagination import Connection, keyset_page, page_size
from gateway.types.organisation import Person, Unit
from services.common import listing
from services.common.peers import segment

Ctx = Info[Context, None]


def _params(first: int | None, after: str | None) -> dict[str, Any]:
    return {"limit": max(page_size(first), 1), **({"after": after} if after else {})}


def _page(found: list[tuple[str, Any]], first: int | None, after: str | None, body: dict[str, Any]) -> Any:
    next_cursor = body.get("next")
    if page_size(first) == 0:
        found, next_cursor = [], (after or "") if found else None
    return keyset_page(found, after=after, next_cursor=next_cursor, total=int(body.get("total_count", 0)))


@strawberry.type
class OrganisationTreeQuery:
    @strawberry.field(description="The units directly under `parentId` (the root units without it), by path: those "
                                  "within the caller's grants and those on the way to them.")
    async def units(self, info: Ctx, parent_id: strawberry.ID | None = None, first: int | None = None,
                    after: str | None = None) -> Connection[Unit]:
        ctx = info.context
        bounded(parent_id=parent_id and str(parent_id), after=after)
        access.require_role(ctx.user, "units")
        params = {**_params(first, after), **({"parent_id": str(parent_id)} if parent_id is not None else {})}
        body = await ctx.clients.scoring.request("GET", "/v1/units/children", ctx.user, params=params)
        found = [(listing.encode_cursor(str(r["path"])), Unit.from_json(r)) for r in body.get("items", [])]
        return _page(found, first, after, body)  # type: ignore[no-any-return]

    @strawberry.field(description="The units above a unit, from the root down to its parent (those the caller may "
                                  "read).")
    async def unit_ancestors(self, info: Ctx, id: strawberry.ID) -> list[Unit]:
        ctx = info.context
        row = await checked_unit(ctx, str(id), "unitAncestors")
        segments = str(row.get("path", "")).split("/")
        paths = ["/".join(segments[:n]) for n in range(1, len(segments))]
        if not paths:
            return []
        found = await ctx.clients.scoring.request("GET", "/v1/units", ctx.user, params={"paths": ",".join(paths)})
        by_path = {str(r["path"]): r for r in found}
        return [Unit.from_json(by_path[p]) for p in paths if p in by_path]

    @strawberry.field(description="The people of a unit, by id.")
    async def unit_people(self, info: Ctx, unit_id: strawberry.ID, first: int | None = None,
                          after: str | None = None) -> Connection[Person]:
        ctx = info.context
        bounded(after=after)
        await checked_unit(ctx, str(unit_id), "unitPeople")
        body = await ctx.clients.scoring.request("GET", f"/v1/units/{segment(unit_id)}/people", ctx.user,
                                                 params=_params(first, after))
        found = [(listing.encode_cursor(str(r["id"])), Person.from_json(r)) for r in body.get("items", [])]
        return _page(found, first, after, body)  # type: ignore[no-any-return]
