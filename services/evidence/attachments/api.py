"""Attachments: upload (multipart, streamed), list, metadata, verified download."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from kaohe.i18n import _
from services.common.auth import CurrentPrincipal
from services.common.batch import query_length, split_ids
from services.common.db import SessionDep
from services.common.errors import PayloadTooLarge
from services.common.openapi import errors
from services.common.settings import get_settings
from services.evidence.attachments import service
from services.evidence.attachments.schemas import AttachmentRead
from services.evidence.attachments.storage import AttachmentStorage, storage_from_url
from services.evidence.config import evidence_settings
from services.evidence.db import IdempotencyDep
from services.evidence.scoring_client import ScoringClientDep

router = APIRouter(tags=["attachments"])
MULTIPART_OVERHEAD = 64 * 1024
ALTERED = (409, "`attachment_altered`: the stored bytes no longer hash to the SHA-256 recorded at upload.")


def storage_for(request: Request) -> AttachmentStorage:
    """The app's storage backend (tests may set `app.state.attachment_storage`)."""
    storage: AttachmentStorage | None = getattr(request.app.state, "attachment_storage", None)
    if storage is None:
        conf = evidence_settings()
        storage = storage_from_url(conf.storage_url, get_settings().data_dir,
                                   access_key=conf.s3_access_key,
                                   secret_key=conf.s3_secret_key.get_secret_value() if conf.s3_secret_key else "")
        request.app.state.attachment_storage = storage
    return storage


def is_upload_path(path: str) -> bool:
    """Uploads may exceed the general body limit; they have their own."""
    return path.startswith("/v1/submissions/") and path.endswith("/attachments")


@router.post("/v1/submissions/{submission_id}/attachments", status_code=201, response_model=AttachmentRead,
             summary="Attach a file (multipart field `file`; PDF, images, Office/WPS, text)",
             responses=errors(409, 503))
async def upload_attachment(
    submission_id: str, request: Request, file: Annotated[UploadFile, File()], session: SessionDep,
    principal: CurrentPrincipal, scoring: ScoringClientDep, idem: IdempotencyDep,
) -> JSONResponse:
    """Attach a file to a submission (multipart field `file`), streamed to storage and hashed (SHA-256) on the
    way: PDF, images, Office/WPS or text, its bytes checked against the declared type (422), up to the
    attachment limit (413; larger than the general body limit). Those who may submit evidence for the
    subject's unit; 409 once the submission is decided (approved, rejected, revoked). The same file again
    with the same `Idempotency-Key` answers the first upload. 503 when scoring, which knows the periods and
    subjects, does not answer.
    """
    limit = evidence_settings().attachment_max_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(_("attachment over %(limit)s bytes", limit=limit), details={"field": "file"})
    received = await service.receive(session, principal, scoring, submission_id, source=file,
                                     content_type=file.content_type, limit=limit)
    # The idempotency key covers the file by its hash: a retry of the same upload replays.
    key_body = {"submission_id": submission_id, "sha256": received.sha256, "filename": file.filename,
                "content_type": received.content_type}

    async def create() -> AttachmentRead:
        row = await service.store(session, principal, storage_for(request), received, file.filename)
        return AttachmentRead.model_validate(row)

    try:
        response: JSONResponse = await idem.once(session, principal, key_body, create)
    finally:
        await service.discard(received)
    return response


@router.get("/v1/submissions/{submission_id}/attachments", response_model=list[AttachmentRead],
            summary="Attachments of a submission")
async def list_attachments(submission_id: str, session: SessionDep,
                           principal: CurrentPrincipal) -> list[AttachmentRead]:
    """The files attached to a submission, with their names, types, sizes and SHA-256."""
    return [AttachmentRead.model_validate(a) for a in await service.list_for(session, principal, submission_id)]


@router.get("/v1/attachments", response_model=list[AttachmentRead],
            summary="Batch read: the attachments of `submission_ids=a,b` (unreadable submissions are left out)")
async def batch_attachments(session: SessionDep, principal: CurrentPrincipal,
                            submission_ids: Annotated[str, Query(max_length=query_length())]) -> list[AttachmentRead]:
    """The attachments of several submissions at once (`submission_ids=a,b`, for a page of them); submissions
    the caller may not read are left out, not refused.
    """
    ids = split_ids(submission_ids, field="submission_ids")
    return [AttachmentRead.model_validate(a) for a in await service.list_for_many(session, principal, ids)]


@router.get("/v1/attachments/{attachment_id}", response_model=AttachmentRead, summary="Attachment metadata")
async def get_attachment(attachment_id: str, session: SessionDep, principal: CurrentPrincipal) -> AttachmentRead:
    """One attachment's metadata: name, type, size, SHA-256, its submission and when it was added."""
    return AttachmentRead.model_validate(await service.get_readable_attachment(session, principal, attachment_id))


@router.get("/v1/attachments/{attachment_id}/content", summary="Download (refused when the bytes were altered)",
            response_class=StreamingResponse,
            responses=errors(ALTERED))
async def download_attachment(attachment_id: str, request: Request, session: SessionDep,
                              principal: CurrentPrincipal) -> StreamingResponse:
    """The file's bytes, with `Content-Disposition` (its name) and `X-Content-SHA256`. The stored bytes are
    hashed before they are sent: when they no longer match the SHA-256 recorded at upload the download is
    refused with 409 `attachment_altered`, and nothing is sent.
    """
    attachment = await service.get_readable_attachment(session, principal, attachment_id)
    path = await service.verified_copy(storage_for(request), attachment)
    disposition = f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
    return StreamingResponse(service.stream_and_delete(path), media_type=attachment.content_type,
                             headers={"Content-Disposition": disposition, "X-Content-SHA256": attachment.sha256,
                                      "X-Content-Type-Options": "nosniff"})
