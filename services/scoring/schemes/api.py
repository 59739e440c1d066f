"""HTTP routes of the schemes context."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile

from kaohe.i18n import _, localize
from services.common import listing
from services.common.auth import CurrentPrincipal, ScopePath
from services.common.db import SessionDep
from services.common.errors import PayloadTooLarge
from services.common.openapi import errors
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
INVALID = (422, "`scheme_invalid`: the engine's problems with the scheme, each with its JSON pointer in `details`; "
                "or `validation_error`/`invalid_input` as on every route.")


@router.post("", status_code=201, response_model=SchemeVersionRead, summary="Create a draft from YAML/JSON",
             responses=errors(INVALID, 409))
async def create_draft(payload: SchemeCreate, session: SessionDep, principal: CurrentPrincipal,
                       idem: IdempotencyDep) -> Any:
    """Create a scheme (考核方案) draft from its document, as JSON (`document`) or YAML/JSON text (`text`), checked
    by the engine: 422 `scheme_invalid` with every problem and its JSON pointer. The draft is owned by
    `owner_path` (the office), whose admin creates it; 409 when that scheme version exists. Repeat with the
    same `Idempotency-Key` to get the first answer. The format: docs/scheme-reference.md.
    """
    document = await asyncio.to_thread(service.read_document, payload.document, payload.text)
    return await idem.once(session, principal, payload, lambda: service.create_draft(
        session, principal, document=document, owner_path=payload.owner_path))


@router.get("", response_model=SchemePage, summary="The schemes the caller's grants relate to, by id (paged)")
async def list_schemes(session: SessionDep, principal: CurrentPrincipal,
                       limit: Annotated[int, Query(ge=1, le=listing.MAX_LIMIT)] = listing.DEFAULT_LIMIT,
                       after: Annotated[str | None, Query(max_length=300)] = None,
                       owner_path: Annotated[str | None, Query(max_length=1000)] = None) -> SchemePage:
    """The schemes the caller's grants relate to, by id, each with the latest version it may read (drafts only
    for the office over the scheme and auditors), in pages by cursor (`after`); optionally those owned at
    `owner_path` exactly.
    """
    return await service.list_schemes(session, principal, limit=limit, after=after, owner_path=owner_path)


@router.post("/validate", summary="Validate a scheme without storing it (422 scheme_invalid with pointers)",
             responses=errors(INVALID))
async def validate(payload: SchemeValidate, principal: CurrentPrincipal) -> dict[str, Any]:
    """Check a scheme document (JSON or YAML/JSON text) without storing it: `{ok, id, version, indicators,
    warnings}` when valid (`warnings`: `[{pointer, message}]`, what is valid but very likely a slip, such as a band
    paying more than its leaf's max), else 422 `scheme_invalid` with each problem's JSON pointer in `details`. For
    admins, assessors and auditors.
    """
    require_scheme_checker(principal)
    document = await asyncio.to_thread(service.read_document, payload.document, payload.text)
    scheme = await asyncio.to_thread(service.validate, document)
    return {"ok": True, "id": scheme.id, "version": scheme.version, "indicators": len(scheme.nodes()),
            "warnings": [{"pointer": w.pointer, "message": localize(w.message)} for w in scheme.warnings]}


async def _read_upload(file: UploadFile) -> bytes:
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise PayloadTooLarge(_("the file is over %(max_upload)s bytes", max_upload=MAX_UPLOAD))
    return data


@router.post("/import-excel", status_code=201, response_model=SchemeVersionRead,
             summary="Create a draft from an Excel indicator table", responses=errors(INVALID, 409))
async def import_excel(
    session: SessionDep, principal: CurrentPrincipal,
    file: Annotated[UploadFile, File()],
    owner_path: Annotated[ScopePath, Form(max_length=1000)] = "",
    scheme_id: Annotated[str | None, Form(alias="id", max_length=100)] = None,
    title: Annotated[str | None, Form(max_length=500)] = None,
    version: Annotated[int | None, Form(ge=1)] = None,
) -> SchemeVersionRead:
    """Create a draft from an Excel indicator table (multipart `file`, xlsx of at most 5 MiB, 413 over it) and
    the form fields `id`, `title`, `version`, `owner_path`: the table becomes a scheme document, checked as
    `POST /v1/schemes` checks one.
    """
    raw = document_from_workbook(await _read_upload(file), {"id": scheme_id, "title": title, "version": version})
    document = await asyncio.to_thread(service.read_document, raw, None)
    return await service.create_draft(session, principal, document=document, owner_path=owner_path)


@router.get("/{scheme_id}/versions", response_model=list[SchemeVersionSummary], summary="The versions of a scheme")
async def list_versions(scheme_id: str, session: SessionDep, principal: CurrentPrincipal) -> list[SchemeVersionSummary]:
    """The versions of a scheme the caller may read, oldest first, with status and revision (drafts only for the
    office over the scheme and auditors).
    """
    return await service.list_versions(session, principal, scheme_id)


@router.get("/{scheme_id}/versions/{version}", response_model=SchemeVersionRead,
            summary="One scheme version with its document")
async def get_version(scheme_id: str, version: int, session: SessionDep,
                      principal: CurrentPrincipal) -> SchemeVersionRead:
    """One version of a scheme with its whole document; a draft only for the office over the scheme and auditors
    (404 for others).
    """
    return await service.get_version(session, principal, scheme_id, version)


@router.put("/{scheme_id}/versions/{version}", response_model=SchemeVersionRead, summary="Edit a draft",
            responses=errors(INVALID, 409))
async def update_draft(scheme_id: str, version: int, payload: SchemeUpdate, session: SessionDep,
                       principal: CurrentPrincipal) -> SchemeVersionRead:
    """Replace a draft's document. Send the `revision` you read: a newer one is 409 (reload and reapply your
    edit), and a published version is immutable (409). The document must name this scheme and version (422)
    and pass the engine's checks (422 `scheme_invalid`).
    """
    document = await asyncio.to_thread(service.read_document, payload.document, payload.text)
    return await service.update_draft(session, principal, scheme_id=scheme_id, version=version,
                                      document=document, revision=payload.revision)


@router.post("/{scheme_id}/versions/{version}/publish", response_model=SchemeVersionRead,
             responses=errors(409), summary="Publish a scheme draft")
async def publish(scheme_id: str, version: int, payload: SchemePublish, session: SessionDep,
                  principal: CurrentPrincipal) -> SchemeVersionRead:
    """Publish a draft at the `revision` you read (stale → 409): from then on it is immutable and periods may
    assess by it. An admin over the scheme's owner.
    """
    return await service.publish(session, principal, scheme_id=scheme_id, version=version,
                                 revision=payload.revision)


@router.get("/{scheme_id}/diff", response_model=SchemeDiff, summary="Indicator-by-indicator diff of two versions")
async def diff(scheme_id: str, session: SessionDep, principal: CurrentPrincipal,
               a: int, b: int) -> SchemeDiff:
    """What changed from version `a` to version `b`: indicators added and removed, each changed indicator's
    fields with their values before and after, and the top-level sections (grading, ranking…) that changed.
    """
    return await service.diff(session, principal, scheme_id, a, b)
