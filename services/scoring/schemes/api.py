"""HTTP routes of the schemes context."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile

from services.common import listing
from services.common.auth import CurrentPrincipal, ScopePath
from services.common.db import SessionDep
from services.common.errors import PayloadTooLarge
from services.scoring.access import require_scheme_checker
from services.scoring.db import IdempotencyDep
from services.scoring.schemes import service
from services.scoring.schemes.excel import document_from_workbook
from services.scoring.schemes.schemas import (
    SchemeCreate,
    SchemeDiff,
    SchemePage,
    SchemePublish,
    SchemeUpdate,
    SchemeValidate,
    SchemeVersionRead,
    SchemeVersionSummary,
)

router = APIRouter(prefix="/v1/schemes", tags=["schemes"])
MAX_UPLOAD = 5 * 2**20


@router.post("", status_code=201, response_model=SchemeVersionRead, summary="Create a draft from YAML/JSON")
async def create_draft(payload: SchemeCreate, session: SessionDep, principal: CurrentPrincipal,
                       idem: IdempotencyDep) -> Any:
    document = await asyncio.to_thread(service.read_document, payload.document, payload.text)
    return await idem.once(session, principal, payload, lambda: service.create_draft(
        session, principal, document=document, owner_path=payload.owner_path))


@router.get("", response_model=SchemePage, summary="The schemes the caller's grants relate to, by id (paged)")
async def list_schemes(session: SessionDep, principal: CurrentPrincipal,
                       limit: Annotated[int, Query(ge=1, le=listing.MAX_LIMIT)] = listing.DEFAULT_LIMIT,
                       after: Annotated[str | None, Query(max_length=300)] = None,
                       owner_path: Annotated[str | None, Query(max_length=1000)] = None) -> SchemePage:
    return await service.list_schemes(session, principal, limit=limit, after=after, owner_path=owner_path)


@router.post("/validate", summary="Validate a scheme without storing it (422 scheme_invalid with pointers)")
async def validate(payload: SchemeValidate, principal: CurrentPrincipal) -> dict[str, Any]:
    require_scheme_checker(principal)
    document = await asyncio.to_thread(service.read_document, payload.document, payload.text)
    scheme = await asyncio.to_thread(service.validate, document)
    return {"ok": True, "id": scheme.id, "version": scheme.version, "indicators": len(scheme.nodes())}


async def _read_upload(file: UploadFile) -> bytes:
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise PayloadTooLarge(f"the file is over {MAX_UPLOAD} bytes")
    return data


@router.post("/import-excel", status_code=201, response_model=SchemeVersionRead,
             summary="Create a draft from an Excel indicator table")
async def import_excel(
    session: SessionDep, principal: CurrentPrincipal,
    file: Annotated[UploadFile, File()],
    owner_path: Annotated[ScopePath, Form(max_length=1000)] = "",
    scheme_id: Annotated[str | None, Form(alias="id", max_length=100)] = None,
    title: Annotated[str | None, Form(max_length=500)] = None,
    version: Annotated[int | None, Form(ge=1)] = None,
) -> SchemeVersionRead:
    raw = document_from_workbook(await _read_upload(file), {"id": scheme_id, "title": title, "version": version})
    document = await asyncio.to_thread(service.read_document, raw, None)
    return await service.create_draft(session, principal, document=document, owner_path=owner_path)


@router.get("/{scheme_id}/versions", response_model=list[SchemeVersionSummary])
async def list_versions(scheme_id: str, session: SessionDep, principal: CurrentPrincipal) -> list[SchemeVersionSummary]:
    return await service.list_versions(session, principal, scheme_id)


@router.get("/{scheme_id}/versions/{version}", response_model=SchemeVersionRead)
async def get_version(scheme_id: str, version: int, session: SessionDep,
                      principal: CurrentPrincipal) -> SchemeVersionRead:
    return await service.get_version(session, principal, scheme_id, version)


@router.put("/{scheme_id}/versions/{version}", response_model=SchemeVersionRead, summary="Edit a draft")
async def update_draft(scheme_id: str, version: int, payload: SchemeUpdate, session: SessionDep,
                       principal: CurrentPrincipal) -> SchemeVersionRead:
    document = await asyncio.to_thread(service.read_document, payload.document, payload.text)
    return await service.update_draft(session, principal, scheme_id=scheme_id, version=version,
                                      document=document, revision=payload.revision)


@router.post("/{scheme_id}/versions/{version}/publish", response_model=SchemeVersionRead)
async def publish(scheme_id: str, version: int, payload: SchemePublish, session: SessionDep,
                  principal: CurrentPrincipal) -> SchemeVersionRead:
    return await service.publish(session, principal, scheme_id=scheme_id, version=version,
                                 revision=payload.revision)


@router.get("/{scheme_id}/diff", response_model=SchemeDiff, summary="Indicator-by-indicator diff of two versions")
async def diff(scheme_id: str, session: SessionDep, principal: CurrentPrincipal,
               a: int, b: int) -> SchemeDiff:
    return await service.diff(session, principal, scheme_id, a, b)
