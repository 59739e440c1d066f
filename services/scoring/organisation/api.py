"""HTTP routes of the organisation context (docs/architecture.md "Organisation and identity")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile

from kaohe.i18n import _
from services.common import batch
from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.errors import PayloadTooLarge
from services.common.openapi import errors
from services.scoring.access import require_service
from services.scoring.db import IdempotencyDep
from services.scoring.organisation import imports, service
from services.scoring.organisation.schemas import (
    ApiKeyCreate,
    ApiKeyCreators,
    ApiKeyIdentity,
    ApiKeyRead,
    ApiKeyVerify,
    PersonCreate,
    PersonCreated,
    PersonPage,
    PersonRead,
    UnitCreate,
    UnitCreated,
    UnitPage,
    UnitRead,
)

router = APIRouter(prefix="/v1", tags=["organisation"])
MAX_BATCH = 500


def split_ids(ids: str) -> list[str]:
    """`a,b,c` → ids (at most MAX_BATCH, each ≤ 64 characters; repeats kept and counted)."""
    return batch.split_ids(ids, limit=MAX_BATCH, max_length=64, unique=False)


IdsQuery = Annotated[str, Query(max_length=MAX_BATCH * 65)]


@router.post("/units", status_code=201, response_model=UnitCreated,
             responses=errors(409), summary="Add a unit to the organisation tree")
async def create_unit(payload: UnitCreate, session: SessionDep, principal: CurrentPrincipal,
                      idem: IdempotencyDep) -> Any:
    """Add a unit (单位) under `parent_id` (a top-level unit without it) with its slug, unique among its siblings:
    its path is the parent's path and the slug. An admin over the parent's path (the whole organisation for a
    top-level unit). `id` is made unless an admin of the whole organisation gives it (422 `invalid_input` on `id`
    from anyone else, before anything is looked up). 409 when the path or the given id exists; `warnings` name
    sibling units whose names look alike (kept: a warning, not a refusal). Repeat with the same `Idempotency-Key`
    to get the first answer.
    """
    return await idem.once(session, principal, payload, lambda: service.create_unit(session, principal, payload))


@router.get("/units", response_model=list[UnitRead], summary="Units by id or by path")
async def list_units(session: SessionDep, principal: CurrentPrincipal, ids: IdsQuery | None = None,
                     paths: Annotated[str | None, Query(max_length=MAX_BATCH * 1001)] = None) -> list[UnitRead]:
    """Units by id (`ids`) or by path (`paths`, comma-separated: a unit's ancestors)."""
    if paths is not None:
        return await service.units_by_paths(session, principal, batch.split_ids(paths, limit=MAX_BATCH,
                                                                                max_length=1000, unique=False))
    return await service.list_units(session, principal, split_ids(ids or ""))


@router.get("/units/children", response_model=UnitPage, summary="The units directly under a unit (paged)")
async def unit_children(session: SessionDep, principal: CurrentPrincipal,
                        parent_id: Annotated[str | None, Query(max_length=64)] = None,
                        after: Annotated[str | None, Query(max_length=300)] = None,
                        limit: Annotated[int, Query(ge=1, le=MAX_BATCH)] = 100) -> UnitPage:
    """The units directly under `parent_id` (the root units without it) that the caller may see, by path."""
    return await service.children(session, principal, parent_id, after=after, limit=limit)


@router.get("/units/{unit_id}/people", response_model=PersonPage, summary="The people of one unit (paged)")
async def people_of_unit(unit_id: str, session: SessionDep, principal: CurrentPrincipal,
                         after: Annotated[str | None, Query(max_length=300)] = None,
                         limit: Annotated[int, Query(ge=1, le=MAX_BATCH)] = 100) -> PersonPage:
    """The people of one unit, by id (404 for a unit outside the caller's scopes)."""
    return await service.people_of_unit(session, principal, unit_id, after=after, limit=limit)


@router.post("/people", status_code=201, response_model=PersonCreated,
             responses=errors(409), summary="Add a person to a unit")
async def create_person(payload: PersonCreate, session: SessionDep, principal: CurrentPrincipal,
                        idem: IdempotencyDep) -> Any:
    """Add a person (人员) to a unit: the name, the unit, and a made id unless an admin of the whole organisation
    gives one (422 `invalid_input` on `id` from anyone else, before anything is looked up). An admin over the
    unit's path; 409 when the given id exists; `warnings` name people of the unit whose names look alike (kept: two
    people may share a name). Repeat with the same `Idempotency-Key` to get the first answer.
    """
    return await idem.once(session, principal, payload, lambda: service.create_person(session, principal, payload))


@router.get("/people", response_model=list[PersonRead], summary="People by id")
async def list_people(session: SessionDep, principal: CurrentPrincipal, ids: IdsQuery) -> list[PersonRead]:
    """People by id (`ids=a,b`, at most 500); those outside the caller's scopes are left out, not refused."""
    return await service.list_people(session, principal, split_ids(ids))


@router.post("/api-keys", status_code=201, summary="Create an API key (the key is shown this once)")
async def create_api_key(payload: ApiKeyCreate, session: SessionDep, principal: CurrentPrincipal) -> Any:
    """Create a key; the answer is the only place the key is ever shown. No Idempotency-Key: a replay would need
    the answer, the key itself, kept in the database in clear (a retried creation makes a second key instead)."""
    return await service.create_api_key(session, principal, payload)


@router.get("/api-keys", response_model=list[ApiKeyRead], summary="The API keys the caller administers")
async def list_api_keys(session: SessionDep, principal: CurrentPrincipal) -> list[ApiKeyRead]:
    """The live API keys whose every grant lies within the scopes the caller administers, oldest first: name,
    grants, creator and last use; never the key. Admins only.
    """
    return await service.list_api_keys(session, principal)


@router.delete("/api-keys/{key_id}", status_code=204, responses=errors(409), summary="Revoke an API key")
async def revoke_api_key(key_id: str, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Revoke an API key by its id: the gateways refuse it from then on (each within the 30 s it trusts a key it
    verified). An admin over every grant of the key; 409 when it is already revoked.
    """
    await service.revoke_api_key(session, principal, key_id)
    return Response(status_code=204)


@router.get("/api-keys/creators", response_model=ApiKeyCreators, summary="Who created API keys (the services)")
async def api_key_creators(session: SessionDep, principal: CurrentPrincipal,
                           ids: Annotated[str, Query(max_length=batch.query_length(batch.MAX_IDS))]) -> ApiKeyCreators:
    """The creator (`sub`) of each key of `ids` (comma-separated, revoked keys included, unknown ones left out), for
    evidence and ranking comparing persons in separation of duties: an `api-key:<id>` actor acts for its
    creator. Other services' tokens only (403 otherwise)."""
    require_service(principal)
    return await service.api_key_creators(session, batch.split_ids(ids))


@router.post("/api-keys/verify", response_model=ApiKeyIdentity, summary="Verify an API key (the gateway)",
             responses=errors(404))
async def verify_api_key(payload: ApiKeyVerify, session: SessionDep, principal: CurrentPrincipal) -> ApiKeyIdentity:
    """The identity of a live API key (its id, name and grants), for the gateway authenticating a caller's
    `X-API-Key`; 404 for an unknown or revoked key. Other services' tokens only (403 otherwise); the key's
    last use is recorded.
    """
    require_service(principal)
    return await service.verify_api_key(session, payload.key)


MAX_IMPORT_BYTES = 10 * 2**20


@router.post("/organisation/import", status_code=201, summary=(
    "Create units and people from a CSV or xlsx file (columns type, id, name, slug, parent, unit; id only from an "
    "admin of the whole organisation), all or nothing: 422 lists every bad row as {row, column, reason}"))
async def import_organisation(session: SessionDep, principal: CurrentPrincipal,
                              file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """Units and people from a CSV or xlsx file of at most 10 MiB (413 over it), in one transaction: every row
    is checked as `POST /v1/units` and `POST /v1/people` would check it, and one bad row refuses the whole
    file with 422 and every bad row as `{row, column, reason}`. Answers how many units and people were
    created.
    """
    data = await file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(_("the file is over %(max_import_bytes)s bytes", max_import_bytes=MAX_IMPORT_BYTES))
    return await imports.import_organisation(session, principal, file.filename or "", data)
