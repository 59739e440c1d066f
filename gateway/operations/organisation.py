"""Organisation, schemes, periods and subjects (scoring)."""

from __future__ import annotations

from typing import Any, TypeVar

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway import access, loaders
from gateway.context import Context
from gateway.operations import MAX_LIST, bounded, bounded_ids, idempotency, rows
from gateway.pagination import Connection, keyset_page, node_fields, page_size, paginate
from gateway.types.organisation import Me, Person, RoleGrant, Unit
from gateway.types.period import Period, Subject, prefetch
from gateway.types.scheme import Scheme
from kaohe.i18n import _
from services.common import listing
from services.common.auth import require_id_chooser
from services.common.errors import NotFound
from services.common.peers import segment

Ctx = Info[Context, None]
T = TypeVar("T")


def no_unit(unit_id: str) -> NotFound:
    return NotFound(_("unit %(unit_id)s does not exist", unit_id=unit_id))


async def checked_unit(ctx: Context, unit_id: str, operation: str) -> dict[str, Any]:
    """A unit by id, checked for `operation` on its path (a read outside the caller's grants: NOT_FOUND as for a unit
    that does not exist; an act: FORBIDDEN)."""
    bounded(unit_id=unit_id)
    access.require_role(ctx.user, operation)
    row = await loaders.units(ctx).load(unit_id)
    if row is None:
        raise no_unit(unit_id)
    access.require_read(ctx.user, operation, no_unit(unit_id), unit_path=str(row.get("path", "")))
    return row


def _page_params(first: int | None, after: str | None) -> dict[str, Any]:
    """A keyset page of a service list: `first` (checked against the cap) rows after `after`."""
    return {"limit": max(page_size(first), 1), **({"after": after} if after else {})}


def _keyset(found: list[tuple[str, T]], first: int | None, after: str | None, body: dict[str, Any]) -> Connection[T]:
    """The connection of a keyset page (`first: 0` asks only for the count)."""
    next_cursor = body.get("next")
    if page_size(first) == 0:
        found, next_cursor = [], (after or "") if found else None
    return keyset_page(found, after=after, next_cursor=next_cursor, total=int(body.get("total_count", 0)))


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
        return Unit.from_json(await checked_unit(info.context, str(id), "unit"))

    @strawberry.field(description="People by id (those outside the caller's scope are left out).")
    async def people(self, info: Ctx, ids: list[strawberry.ID], first: int | None = None,
                     after: str | None = None) -> Connection[Person]:
        ctx = info.context
        bounded_ids("ids", ids)
        access.require_role(ctx.user, "people")
        found = await loaders.people(ctx).load_many([str(i) for i in ids])
        shown = [Person.from_json(r) for r in found
                 if r is not None and access.visible(ctx.user, "people", unit_path=r.get("unit_path", ""),
                                                     subject_id=str(r.get("id")))]
        return paginate(shown, first, after)

    @strawberry.field(description="The schemes the caller's grants relate to, by id, each with the latest version "
                                  "it may read (drafts only for the office over the scheme and auditors); "
                                  "optionally those owned at `ownerPath` exactly.")
    async def schemes(self, info: Ctx, first: int | None = None, after: str | None = None,
                      owner_path: str | None = None) -> Connection[Scheme]:
        ctx = info.context
        bounded(after=after, owner_path=owner_path)
        access.require_role(ctx.user, "schemes")
        params = {**_page_params(first, after), **({"owner_path": owner_path} if owner_path is not None else {})}
        body = await ctx.clients.scoring.request("GET", "/v1/schemes", ctx.user, params=params)
        found = [(listing.encode_cursor(r["scheme_id"]), Scheme.from_json(r)) for r in rows(body, "items")]
        return _keyset(found, first, after, body)

    @strawberry.field(description="The periods the caller's grants relate to (owned over or within them), newest "
                                  "first, optionally of one status, one scheme and one owner (`ownerPath` exactly).")
    async def periods(self, info: Ctx, status: str | None = None, first: int | None = None,
                      after: str | None = None, scheme_id: str | None = None,
                      owner_path: str | None = None) -> Connection[Period]:
        ctx = info.context
        bounded(status=status, after=after, scheme_id=scheme_id, owner_path=owner_path)
        access.require_role(ctx.user, "periods")
        filters = {"status": status, "scheme_id": scheme_id, "owner_path": owner_path}
        params = {**_page_params(first, after), **{k: v for k, v in filters.items() if v is not None and v != ""}}
        body = await ctx.clients.scoring.request("GET", "/v1/periods", ctx.user, params=params)
        found = [(listing.encode_cursor(r["created_at"], r["id"]), Period.from_json(r)) for r in rows(body, "items")]
        return _keyset(found, first, after, body)

    @strawberry.field(description="The versions of a scheme (drafts and published).")
    async def scheme_versions(self, info: Ctx, scheme_id: strawberry.ID, first: int | None = None,
                              after: str | None = None) -> Connection[Scheme]:
        ctx = info.context
        bounded(scheme_id=str(scheme_id))
        access.require_role(ctx.user, "schemeVersions")
        body = await ctx.clients.scoring.request("GET", f"/v1/schemes/{segment(scheme_id)}/versions", ctx.user)
        return paginate([Scheme.from_json(r) for r in rows(body, "versions")], first, after)

    @strawberry.field(description="One scheme version with its indicator tree.")
    async def scheme(self, info: Ctx, id: strawberry.ID, version: int) -> Scheme:
        ctx = info.context
        bounded(id=str(id))
        access.require_role(ctx.user, "scheme")
        path = f"/v1/schemes/{segment(id)}/versions/{segment(version)}"
        return Scheme.from_json(await ctx.clients.scoring.request("GET", path, ctx.user))

    @strawberry.field(description="One period with its indicators.")
    async def period(self, info: Ctx, id: strawberry.ID) -> Period:
        ctx = info.context
        bounded(id=str(id))
        access.require_role(ctx.user, "period")
        return Period.from_json(await ctx.clients.scoring.request("GET", f"/v1/periods/{segment(id)}", ctx.user))

    @strawberry.field(description="The subjects of a period the caller may see (optionally one group).")
    async def subjects(self, info: Ctx, period_id: strawberry.ID, group: str | None = None,
                       first: int | None = None, after: str | None = None) -> Connection[Subject]:
        ctx = info.context
        bounded(period_id=str(period_id), group=group)
        access.require_role(ctx.user, "subjects")
        body = await ctx.clients.scoring.request("GET", f"/v1/periods/{segment(period_id)}/subjects", ctx.user)
        found = [Subject.from_json(r, str(period_id)) for r in rows(body, "subjects")
                 if (group is None or r.get("group") == group)
                 and access.visible(ctx.user, "subjects", unit_path=r.get("unit_path", ""), subject_id=str(r["id"]))]
        for row in rows(body, "subjects"):  # later loads of the same subjects cost nothing
            for loader in (loaders.subjects(ctx), loaders.subject_scopes(ctx)):
                loader.prime((str(period_id), str(row["id"])), row)
        page = paginate(found, first, after)
        await prefetch(ctx, page.nodes, node_fields(info))
        return page

    @strawberry.field(description="One subject of a period.")
    async def subject(self, info: Ctx, period_id: strawberry.ID, id: strawberry.ID) -> Subject:
        bounded(period_id=str(period_id), id=str(id))
        await loaders.authorize_subject(info.context, "subject", str(period_id), str(id))
        row = await loaders.subjects(info.context).load((str(period_id), str(id)))  # as the caller: scoring decides too
        if row is None:
            raise NotFound(_("subject %(id)s of period %(period_id)s is not visible to %(subject)s",
                             id=id, period_id=period_id, subject=info.context.user.subject))
        return Subject.from_json(row, str(period_id))


@strawberry.input(description="A unit or person enrolled as a subject, with its peer group.")
class EnrolmentInput:
    id: str
    group: str
    attributes: JSON | None = None


@strawberry.input(description="A period to open for a published scheme version.")
class PeriodInput:
    scheme_id: str
    scheme_version: int
    label: str
    id: str | None = strawberry.field(default=None, description=(
        "The period's id: a letter or digit, then up to 63 letters, digits, `_`, `.` or `-`. Left out, kaohe "
        "generates one (32 hex digits); the demo's periods are named `<scheme>-<label>` by choice, not by rule."))
    owner_path: str | None = None
    subjects: list[EnrolmentInput] = strawberry.field(default_factory=list)


@strawberry.type
class OrganisationMutation:
    @strawberry.mutation(description="Add a unit under `parentId` (a root unit needs the whole organisation); "
                                     "its `id` is made unless an admin of the whole organisation gives one.")
    async def create_unit(self, info: Ctx, name: str, slug: str, parent_id: strawberry.ID | None = None,
                          id: strawberry.ID | None = None) -> Unit:
        ctx = info.context
        bounded(name=name, slug=slug, parent_id=parent_id and str(parent_id), id=id and str(id))
        require_id_chooser(ctx.user, id and str(id))  # before the parent is looked up; scoring checks it again
        if parent_id is not None:
            await checked_unit(ctx, str(parent_id), "createUnit")
        else:
            access.require(ctx.user, "createUnit", unit_path="")  # a root unit: the whole organisation's admin
        payload = {"name": name, "slug": slug, "parent_id": parent_id and str(parent_id), "id": id and str(id)}
        body = await ctx.clients.scoring.request("POST", "/v1/units", ctx.user,
                                                 json={k: v for k, v in payload.items() if v is not None})
        return Unit.from_json(body)

    @strawberry.mutation(description="Add a person to a unit; the person's `id` is made unless an admin of the "
                                     "whole organisation gives one.")
    async def create_person(self, info: Ctx, name: str, unit_id: strawberry.ID,
                            id: strawberry.ID | None = None) -> Person:
        ctx = info.context
        bounded(name=name, unit_id=str(unit_id), id=id and str(id))
        require_id_chooser(ctx.user, id and str(id))  # before the unit is looked up; scoring checks it again
        await checked_unit(ctx, str(unit_id), "createPerson")
        payload = {"name": name, "unit_id": str(unit_id), **({"id": str(id)} if id is not None else {})}
        return Person.from_json(await ctx.clients.scoring.request("POST", "/v1/people", ctx.user, json=payload))

    @strawberry.mutation(description="Create a scheme draft from its document (docs/scheme-reference.md).")
    async def create_scheme(self, info: Ctx, document: JSON, owner_path: str = "",
                            idempotency_key: str | None = None) -> Scheme:
        ctx = info.context
        bounded(owner_path=owner_path)
        access.require(ctx.user, "createScheme")
        body = await ctx.clients.scoring.request("POST", "/v1/schemes", ctx.user, headers=idempotency(idempotency_key),
                                                 json={"document": document, "owner_path": owner_path})
        return Scheme.from_json(body)

    @strawberry.mutation(description="Replace a scheme draft's document at the `revision` you read (a newer one is "
                                     "CONFLICT with `details.current_revision`: reload and reapply the edit); a "
                                     "published version is immutable (CONFLICT). The document must name this scheme "
                                     "and version; the answer's `revision` is the next one `publishScheme` takes.")
    async def update_scheme(self, info: Ctx, id: strawberry.ID, version: int, revision: int,
                            document: JSON) -> Scheme:
        ctx = info.context
        bounded(id=str(id))
        access.require(ctx.user, "updateScheme")
        path = f"/v1/schemes/{segment(id)}/versions/{segment(version)}"
        body = await ctx.clients.scoring.request("PUT", path, ctx.user,
                                                 json={"document": document, "revision": revision})
        return Scheme.from_json(body)

    @strawberry.mutation(description="Publish a scheme draft at `revision`; it is immutable from then on.")
    async def publish_scheme(self, info: Ctx, id: strawberry.ID, version: int, revision: int) -> Scheme:
        ctx = info.context
        bounded(id=str(id))
        access.require(ctx.user, "publishScheme")
        path = f"/v1/schemes/{segment(id)}/versions/{segment(version)}/publish"
        body = await ctx.clients.scoring.request("POST", path, ctx.user, json={"revision": revision})
        return Scheme.from_json(body)

    @strawberry.mutation(description="Open a period for a published scheme version with its subjects.")
    async def open_period(self, info: Ctx, input: PeriodInput, idempotency_key: str | None = None) -> Period:
        ctx = info.context
        bounded(scheme_id=input.scheme_id, label=input.label, id=input.id, owner_path=input.owner_path)
        bounded_ids("subjects", [s.id for s in input.subjects], limit=MAX_LIST)
        access.require(ctx.user, "openPeriod")
        payload = {"scheme_id": input.scheme_id, "scheme_version": input.scheme_version, "label": input.label,
                   "subjects": [{"id": s.id, "group": s.group, "attributes": s.attributes or {}}
                                for s in input.subjects]}
        payload.update({k: v for k, v in (("id", input.id), ("owner_path", input.owner_path)) if v is not None})
        body = await ctx.clients.scoring.request("POST", "/v1/periods", ctx.user, json=payload,
                                                 headers=idempotency(idempotency_key))
        return Period.from_json(body)

    @strawberry.mutation(description="Move a period along open → collecting → scoring → published.")
    async def set_period_status(self, info: Ctx, period_id: strawberry.ID, status: str) -> Period:
        ctx = info.context
        bounded(period_id=str(period_id), status=status)
        await loaders.authorize_period(ctx, "setPeriodStatus", str(period_id))
        return Period.from_json(await ctx.clients.scoring.request(
            "POST", f"/v1/periods/{segment(period_id)}/status", ctx.user, json={"status": status}))

    @strawberry.mutation(description="Recompute a period's scores now (normally done after fact changes).")
    async def compute_period(self, info: Ctx, period_id: strawberry.ID) -> Period:
        ctx = info.context
        bounded(period_id=str(period_id))
        await loaders.authorize_period(ctx, "computePeriod", str(period_id))
        await ctx.clients.scoring.request("POST", f"/v1/periods/{segment(period_id)}/recompute", ctx.user)
        return Period.from_json(await ctx.clients.scoring.request("GET", f"/v1/periods/{segment(period_id)}", ctx.user))
