"""`POST /uploads/submissions/{id}/attachments`: a multipart upload streamed to the evidence
service chunk by chunk (never held whole in memory), refused past `MAX_UPLOAD_BYTES`.

GraphQL carries no files well; mobile and portal clients send the multipart body here with the
same credentials as `/graphql`, and the evidence service checks content type and hash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from gateway.context import rest_context
from gateway.loaders import authorize_subject
from services.common.errors import InvalidInput, PayloadTooLarge

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a scanned report of a few hundred pages
router = APIRouter(prefix="/uploads", tags=["uploads"])


class _TooLarge(Exception):
    pass


async def _limited(request: Request, limit: int) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise _TooLarge
        yield chunk


def _declared_size(request: Request) -> int | None:
    length = request.headers.get("content-length", "")
    return int(length) if length.isdigit() else None


@router.post("/submissions/{submission_id}/attachments", status_code=201,
             summary="Attach a file to a submission (multipart field `file`), streamed to the evidence service")
async def upload_attachment(request: Request, submission_id: str = Path(max_length=200)) -> Any:
    limit: int = getattr(request.app.state, "max_upload_bytes", MAX_UPLOAD_BYTES)
    declared = _declared_size(request)
    if declared is not None and declared > limit:
        raise PayloadTooLarge(f"an attachment may be at most {limit} bytes")
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise InvalidInput("send the file as multipart/form-data",
                           details=[{"field": "file", "reason": "not multipart"}])
    ctx = await rest_context(request)
    submission = await ctx.clients.evidence.request("GET", f"/v1/submissions/{submission_id}", ctx.user)
    await authorize_subject(ctx, "uploadAttachment", str(submission.get("period_id")),
                            str(submission.get("subject_id")))
    try:
        body = await ctx.clients.evidence.request(
            "POST", f"/v1/submissions/{submission_id}/attachments", ctx.user,
            headers={"Content-Type": content_type}, content=_limited(request, limit))
    except _TooLarge:
        raise PayloadTooLarge(f"an attachment may be at most {limit} bytes") from None
    return JSONResponse(body, status_code=201)
