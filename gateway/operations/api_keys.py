"""API keys for portals and offices' systems (scoring stores them hashed): create, list, revoke."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway import access
from gateway.context import Context
from gateway.operations import bounded
from gateway.pagination import Connection, paginate
from gateway.types.api_key import ApiKey, CreatedApiKey
from kaohe.i18n import _
from services.common.errors import Forbidden, InvalidInput
from services.common.peers import segment

Ctx = Info[Context, None]
MAX_GRANTS = 20


@strawberry.input(description="A role on an organisation subtree (a unit path; '' = everything).")
class GrantInput:
    role: str
    scope: str = ""


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(description="The live API keys whose every grant lies within the scopes the caller administers, "
                                  "oldest first.")
    async def api_keys(self, info: Ctx, first: int | None = None, after: str | None = None) -> Connection[ApiKey]:
        ctx = info.context
        bounded(after=after)
        access.require_role(ctx.user, "apiKeys")
        body = await ctx.clients.scoring.request("GET", "/v1/api-keys", ctx.user)
        return paginate([ApiKey.from_json(row) for row in body], first, after)


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(description=(
        "Create an API key for a system (sent as `X-API-Key`). Each grant must lie within a scope the caller "
        "administers; the key is in this answer only. A person creates keys: an API key cannot."))
    async def create_api_key(self, info: Ctx, name: str, grants: list[GrantInput]) -> CreatedApiKey:
        ctx = info.context
        bounded(name=name)
        if not grants or len(grants) > MAX_GRANTS:
            raise InvalidInput(_("an API key has 1 to %(max_grants)s grants", max_grants=MAX_GRANTS),
                               details=[{"field": "grants", "reason": "1 to 20 grants"}])
        access.require_role(ctx.user, "createApiKey")
        if ctx.user.kind != "user":
            raise Forbidden(_("an API key cannot create API keys: a person of the office creates them"))
        for grant in grants:
            bounded(scope=grant.scope, role=grant.role)
            access.require(ctx.user, "createApiKey", unit_path=grant.scope.strip().strip("/"))
        body = await ctx.clients.scoring.request("POST", "/v1/api-keys", ctx.user, json={
            "name": name, "grants": [{"role": g.role, "scope": g.scope} for g in grants]})
        return CreatedApiKey(key=str(body["key"]), api_key=ApiKey.from_json(body))

    @strawberry.mutation(description=(
        "Revoke an API key: refused at once by this gateway instance, and by every other within 30 s (the time an "
        "instance trusts a key it verified). Returns the key's id."))
    async def revoke_api_key(self, info: Ctx, id: strawberry.ID) -> strawberry.ID:
        ctx = info.context
        bounded(id=str(id))
        access.require_role(ctx.user, "revokeApiKey")
        await ctx.clients.scoring.request("DELETE", f"/v1/api-keys/{segment(id)}", ctx.user)
        state = getattr(getattr(ctx.request, "app", None), "state", None)
        if state is not None:  # this instance refuses the key at once; the others within API_KEY_CACHE_SECONDS
            state.authenticator.forget_api_key(str(id))
        return id
