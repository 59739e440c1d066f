"""Organisation, schemes, periods and subjects (scoring)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway import access, loaders
from gateway.context import Context
from gateway.operations import bounded, idempotency, rows
from gateway.pagination import Connection, paginate
from gateway.types.organisation import Me, Person, RoleGrant, Unit
from gateway.types.period import Period, Subject
from gateway.types.scheme import Scheme
from services.common.errors import NotFound

Ctx = Info[Context, None]


async def _unit(ctx: Context, unit_id: str) -> dict[str, Any]:
    bounded(unit_id=unit_id)
    access.require_role(ctx.user, "unit")
    row = await loaders.units(ctx).load(unit_id)
    if row is None:
        raise NotFound(f"unit {unit_id} does not exist")
    return row


@strawberry.type
class OrganisationQuery:
    @strawberry.field(description="The caller: subject, grants and the assessed subjects they are.")
    async def me(self, info: Ctx) -> Me:
        user = info.context.user
        access.require_role(user, "me")
        return Me(subject=user.subject, kind=user.kind, subject_ids=list(user.subject_ids),
                  grants=[RoleGrant(role=g.role, scope=g.scope) for g in user.grants])

    @strawberry.field(description="One organisation unit (within the caller's scope).")
    async def unit(self, info: Ctx, id: strawberry.ID) -> Unit:
        row = await _unit(info.context, str(id))
        access.require(info.context.user, "unit", unit_path=row.get("path", ""))
        return Unit.from_json(row)

    @strawberry.field(description="The people of a unit (within the caller's scope).")
    async def people(self, info: Ctx, unit_id: strawberry.ID, first: int | None = None,
                     after: str | None = None) -> Connection[Person]:
        ctx = info.context
        unit = await _unit(ctx, str(unit_id))
        access.require(ctx.user, "people", unit_path=unit.get("path", ""))
        body = await ctx.clients.scoring.request("GET", "/v1/people", ctx.user, params={"unit_id": str(unit_id)})
        found = [Person.from_json(r) for r in rows(body, "people")
                 if access.visible(ctx.user, "people", unit_path=r.get("unit_path", ""))]
        return paginate(found, first, after)

    @strawberry.field(description="Schemes and their versions.")
    async def schemes(self, info: Ctx, first: int | None = None, after: str | None = None) -> Connection[Scheme]:
        ctx = info.context
        access.require_role(ctx.user, "schemes")
        body = await ctx.clients.scoring.request("GET", "/v1/schemes", ctx.user)
        return paginate([Scheme.from_json(r) for r in rows(body, "schemes")], first, after)

    @strawberry.field(description="One scheme version with its indicator tree.")
    async def scheme(self, info: Ctx, id: strawberry.ID, version: int) -> Scheme:
        ctx = info.context
        bounded(scheme_id=str(id))
        access.require_role(ctx.user, "scheme")
        body = await ctx.clients.scoring.request("GET", f"/v1/schemes/{id}/versions/{version}", ctx.user)
        return Scheme.from_json({"scheme_id": str(id), "version": version, **body})

    @strawberry.field(description="Assessment periods.")
    async def periods(self, info: Ctx, first: int | None = None, after: str | None = None) -> Connection[Period]:
        ctx = info.context
        access.require_role(ctx.user, "periods")
        body = await ctx.clients.scoring.request("GET", "/v1/periods", ctx.user)
        return paginate([Period.from_json(r) for r in rows(body, "periods")], first, after)

    @strawberry.field(description="One period with its indicators.")
    async def period(self, info: Ctx, id: strawberry.ID) -> Period:
        ctx = info.context
        bounded(period_id=str(id))
        access.require_role(ctx.user, "period")
        return Period.from_json(await ctx.clients.scoring.request("GET", f"/v1/periods/{id}", ctx.user))

    @strawberry.field(description="The subjects of a period the caller may see (optionally one group).")
    async def subjects(self, info: Ctx, period_id: strawberry.ID, group: str | None = None,
                       first: int | None = None, after: str | None = None) -> Connection[Subject]:
        ctx = info.context
        bounded(period_id=str(period_id), group=group)
        access.require_role(ctx.user, "subjects")
        params = {"group": group} if group else None
        body = await ctx.clients.scoring.request("GET", f"/v1/periods/{period_id}/subjects", ctx.user, params=params)
        found = [Subject.from_json(r, str(period_id)) for r in rows(body, "subjects")
                 if (group is None or r.get("group") == group)
                 and access.visible(ctx.user, "subjects", unit_path=r.get("unit_path", ""), subject_id=str(r["id"]))]
        for subject in found:  # later loads of the same subjects cost nothing
            loaders.subjects(ctx).prime((str(period_id), str(subject.id)), {
                "id": str(subject.id), "unit_path": subject.unit_path, "name": subject.name, "group": subject.group})
        return paginate(found, first, after)

    @strawberry.field(description="One subject of a period.")
    async def subject(self, info: Ctx, period_id: strawberry.ID, id: strawberry.ID) -> Subject:
        bounded(period_id=str(period_id), subject_id=str(id))
        row = await loaders.authorize_subject(info.context, "subject", str(period_id), str(id))
        return Subject.from_json(row, str(period_id))


@strawberry.input(description="A period to open for a published scheme version.")
class PeriodInput:
    scheme_id: str
    scheme_version: int
    label: str
    subjects: JSON = strawberry.field(description="[{id, name, kind, group, unit_path, attributes}]")


@strawberry.type
class OrganisationMutation:
    @strawberry.mutation(description="Create a scheme draft from its document (scheme-format.md).")
    async def create_scheme(self, info: Ctx, document: JSON, idempotency_key: str | None = None) -> Scheme:
        ctx = info.context
        access.require(ctx.user, "createScheme")
        body = await ctx.clients.scoring.request("POST", "/v1/schemes", ctx.user, json={"document": document},
                                                 headers=idempotency(idempotency_key))
        return Scheme.from_json(body)

    @strawberry.mutation(description="Publish a scheme draft; it is immutable from then on.")
    async def publish_scheme(self, info: Ctx, id: strawberry.ID, version: int) -> Scheme:
        ctx = info.context
        bounded(scheme_id=str(id))
        access.require(ctx.user, "publishScheme")
        body = await ctx.clients.scoring.request("POST", f"/v1/schemes/{id}/publish", ctx.user,
                                                 json={"version": version})
        return Scheme.from_json(body)

    @strawberry.mutation(description="Open a period for a published scheme version with its subjects.")
    async def open_period(self, info: Ctx, input: PeriodInput, idempotency_key: str | None = None) -> Period:
        ctx = info.context
        bounded(scheme_id=input.scheme_id, label=input.label,
                subjects=input.subjects if isinstance(input.subjects, list) else [])
        access.require(ctx.user, "openPeriod")
        payload = {"scheme_id": input.scheme_id, "scheme_version": input.scheme_version, "label": input.label,
                   "subjects": input.subjects}
        body = await ctx.clients.scoring.request("POST", "/v1/periods", ctx.user, json=payload,
                                                 headers=idempotency(idempotency_key))
        return Period.from_json(body)

    @strawberry.mutation(description="Recompute a period's scores now (normally done after fact changes).")
    async def compute_period(self, info: Ctx, period_id: strawberry.ID) -> Period:
        ctx = info.context
        bounded(period_id=str(period_id))
        access.require(ctx.user, "computePeriod")
        await ctx.clients.scoring.request("POST", f"/v1/periods/{period_id}/recompute", ctx.user)
        return Period.from_json(await ctx.clients.scoring.request("GET", f"/v1/periods/{period_id}", ctx.user))
