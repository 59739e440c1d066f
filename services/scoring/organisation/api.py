"""HTTP routes of the organisation context (docs/architecture.md "Organisation and identity")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile

from services.common import batch
from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.errors import PayloadTooLarge
from services.scoring.access import require_service
from services.scoring.db import IdempotencyDep
from services.scoring.organisation import imports, service
from services.scoring.organisation.schemas import (
    ApiKeyCreate,
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


@router.post("/units", status_code=201, response_model=UnitCreated)
async def create_unit(payload: UnitCreate, session: SessionDep, principal: CurrentPrincipal,
                      idem: IdempotencyDep) -> Any:
    return await idem.once(session, principal, payload, lambda: service.create_unit(session, principal, payload))


@router.get("/units", response_model=list[UnitRead])
async def list_units(session: SessionDep, principal: CurrentPrincipal, ids: IdsQuery | None = None,
                     paths: Annotated[str | None, Query(max_length=MAX_BATCH * 1001)] = None) -> list[UnitRead]:
    """Units by id (`ids`) or by path (`paths`, comma-separated: a unit's ancestors)."""
    if paths is not None:
        return await service.units_by_paths(session, principal, batch.split_ids(paths, limit=MAX_BATCH,
                                                                                max_length=1000, unique=False))
    return await service.list_units(session, principal, split_ids(ids or ""))


@router.get("/units/children", response_model=UnitPage)
async def unit_children(session: SessionDep, principal: CurrentPrincipal,
                        parent_id: Annotated[str | None, Query(max_length=64)] = None,
                        after: Annotated[str | None, Query(max_length=300)] = None,
                        limit: Annotated[int, Query(ge=1, le=MAX_BATCH)] = 100) -> UnitPage:
    """The units directly under `parent_id` (the root units without it) that the caller may see, by path."""
    return await service.children(session, principal, parent_id, after=after, limit=limit)


@router.get("/units/{unit_id}/people", response_model=PersonPage)
async def people_of_unit(unit_id: str, session: SessionDep, principal: CurrentPrincipal,
                         after: Annotated[str | None, Query(max_length=300)] = None,
                         limit: Annotated[int, Query(ge=1, le=MAX_BATCH)] = 100) -> PersonPage:
    """The people of one unit, by id (404 for a unit outside the caller's scopes)."""
    return await service.people_of_unit(session, principal, unit_id, after=after, limit=limit)


@router.post("/people", status_code=201, response_model=PersonCreated)
async def create_person(payload: PersonCreate, session: SessionDep, principal: CurrentPrincipal,
                        idem: IdempotencyDep) -> Any:
    return await idem.once(session, principal, payload, lambda: service.create_person(session, principal, payload))


@router.get("/people", response_model=list[PersonRead])
async def list_people(session: SessionDep, principal: CurrentPrincipal, ids: IdsQuery) -> list[PersonRead]:
    return await service.list_people(session, principal, split_ids(ids))


@router.post("/api-keys", status_code=201)
async def create_api_key(payload: ApiKeyCreate, session: SessionDep, principal: CurrentPrincipal) -> Any:
    """Create a key; the answer is the only place the key is ever shown. No Idempotency-Key: a replay would need
    the answer, the key itself, kept in the database in clear (a retried creation makes a second key instead)."""
    return await service.create_api_key(session, principal, payload)


@router.get("/api-keys", response_model=list[ApiKeyRead])
async def list_api_keys(session: SessionDep, principal: CurrentPrincipal) -> list[ApiKeyRead]:
    return await service.list_api_keys(session, principal)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, session: SessionDep, principal: CurrentPrincipal) -> Response:
    await service.revoke_api_key(session, principal, key_id)
    return Response(status_code=204)


@router.post("/api-keys/verify", response_model=ApiKeyIdentity)
async def verify_api_key(payload: ApiKeyVerify, session: SessionDep, principal: CurrentPrincipal) -> ApiKeyIdentity:
    require_service(principal)
    return await service.verify_api_key(session, payload.key)


MAX_IMPORT_BYTES = 10 * 2**20


@router.post("/organisation/import", status_code=201, summary=(
    "Create units and people from a CSV or xlsx file (columns type, id, name, slug, parent, unit), all or nothing: "
    "422 lists every bad row as {row, column, reason}"))
async def import_organisation(session: SessionDep, principal: CurrentPrincipal,
                              file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    data = await file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(f"the file is over {MAX_IMPORT_BYTES} bytes")
    return await imports.import_organisation(session, principal, file.filename or "", data)
