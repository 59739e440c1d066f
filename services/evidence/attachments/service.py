"""Attachments: streamed in with a size limit and a type allow-list, re-hashed on the way out."""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _, ngettext, status_word
from services.common import audit, clock
from services.common.auth import Principal
from services.common.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from services.evidence.attachments import filetypes, repository
from services.evidence.attachments.models import Attachment
from services.evidence.attachments.storage import CHUNK, AttachmentStorage
from services.evidence.config import evidence_settings
from services.evidence.periods.service import writable_period
from services.evidence.scoring_client import ScoringClient
from services.evidence.submissions.service import EDITABLE, KIND_ROLES, get_readable, readable_ids

# PDF, images, Office and WPS documents, plain text (architecture: "a content-type allow-list").
ALLOWED_TYPES = frozenset({
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "image/bmp",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/wps-office.wps", "application/wps-office.et", "application/wps-office.dps",
    "application/kswps", "application/ofd", "text/plain", "text/csv",
})


class AttachmentAltered(DomainError):
    """The stored bytes no longer match the hash recorded at upload."""

    status_code = 409
    code = "attachment_altered"


class ChunkSource(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


def _content_type(declared: str | None) -> str:
    base = (declared or "").split(";")[0].strip().lower()
    if base not in ALLOWED_TYPES:
        raise InvalidInput(_("content type %(value)r is not allowed (PDF, images, Office/WPS, text)",
                             value=base or "unknown"),
                           details={"field": "file", "reason": "content type not allowed"})
    return base


def _safe_name(name: str | None) -> str:
    # Only a display name: storage is content-addressed, so the client's name never becomes a path.
    base = (name or "attachment").replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    return "".join(ch for ch in base if ch.isprintable())[:255]


async def _spool(source: ChunkSource, limit: int) -> tuple[Path, str, int]:
    """Copy the upload to a temporary file in chunks, hashing it; 413 past the limit."""
    fd, name = tempfile.mkstemp(prefix="kaohe-upload-")
    os.close(fd)
    digest, size = hashlib.sha256(), 0
    try:
        async with await anyio.open_file(name, "wb") as out:
            while chunk := await source.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(_("attachment over %(limit)s bytes", limit=limit), details={"field": "file"})
                digest.update(chunk)
                await out.write(chunk)
    except BaseException:
        await anyio.Path(name).unlink(missing_ok=True)
        raise
    return Path(name), digest.hexdigest(), size


@dataclass(frozen=True)
class Received:
    """An upload checked and spooled to a temporary file, not yet stored."""

    submission_id: str
    path: Path
    sha256: str
    size: int
    content_type: str


async def receive(
    session: AsyncSession, principal: Principal, scoring: ScoringClient, submission_id: str, *,
    source: ChunkSource, content_type: str | None, limit: int,
) -> Received:
    """Check the caller may attach to a submission still open for changes, then spool and hash the file."""
    submission = await get_readable(session, principal, submission_id)
    if not principal.can(KIND_ROLES[submission.fact_kind], submission.unit_path):
        raise Forbidden(_("%(subject)s may not add evidence for %(unit_path)s",
                          subject=principal.subject, unit_path=submission.unit_path))
    if submission.status not in EDITABLE:
        raise Conflict(_("this submission is %(status)s and takes no more attachments",
                         status=status_word("submission", submission.status)), details={"status": submission.status})
    await writable_period(session, scoring, submission.period_id)
    kind = _content_type(content_type)
    path, sha256, size = await _spool(source, limit)
    try:
        await _check_bytes(path, size, kind)
    except BaseException:
        await anyio.Path(path).unlink(missing_ok=True)
        raise
    return Received(submission.id, path, sha256, size, kind)


async def _check_bytes(path: Path, size: int, kind: str) -> None:
    """An empty file, or bytes that are not what the client declared, are refused (issue 21, item 7)."""
    if size == 0:
        raise InvalidInput(_("the file is empty"), details={"field": "file", "reason": "empty"})
    seen = await anyio.to_thread.run_sync(filetypes.mismatch, path, kind)
    if seen is not None:
        raise InvalidInput(_("the file was declared %(kind)s but its bytes are %(seen)s", kind=kind, seen=seen),
                           details={"field": "file", "reason": "content does not match the declared type"})


async def store(session: AsyncSession, principal: Principal, storage: AttachmentStorage, received: Received,
                filename: str | None) -> Attachment:
    """Put the bytes into storage (under their hash) and record the attachment; 409 when the submission has as
    many attachments as one may have (checked here, not on receipt, so that a retried upload still replays)."""
    limit = evidence_settings().attachments_per_submission
    if await repository.count_of_submission(session, received.submission_id) >= limit:
        raise Conflict(ngettext("a submission takes at most %(limit)s attachment",
                                "a submission takes at most %(limit)s attachments", limit, limit=limit),
                       details={"field": "file", "limit": limit})
    await storage.put(received.sha256, received.path, received.size)
    attachment = Attachment(id=str(uuid.uuid4()), submission_id=received.submission_id, sha256=received.sha256,
                            size=received.size, content_type=received.content_type, filename=_safe_name(filename),
                            uploaded_by=principal.subject, created_at=clock.now())
    await repository.add(session, attachment)
    audit.record(session, actor=principal, action="attachment.add", entity_type="attachment",
                 entity_id=attachment.id,
                 after={"sha256": received.sha256, "size": received.size, "submission": received.submission_id})
    return attachment


async def discard(received: Received) -> None:
    """Remove the temporary copy."""
    await anyio.Path(received.path).unlink(missing_ok=True)


async def get_readable_attachment(session: AsyncSession, principal: Principal, attachment_id: str) -> Attachment:
    """The attachment if its submission is readable; else 404 as for an attachment that does not exist (naming its
    submission would tell a caller outside its scope that it exists, and whose it is)."""
    attachment = await repository.get(session, attachment_id)
    if attachment is None or not await readable_ids(session, principal, [attachment.submission_id]):
        raise NotFound(_("attachment %(attachment_id)s not found", attachment_id=attachment_id))
    return attachment


async def list_for(session: AsyncSession, principal: Principal, submission_id: str) -> list[Attachment]:
    """The attachments of a readable submission."""
    await get_readable(session, principal, submission_id)
    return list(await repository.of_submission(session, submission_id))


async def list_for_many(session: AsyncSession, principal: Principal, submission_ids: list[str]) -> list[Attachment]:
    """The attachments of those submissions the caller may read (one query for a page of them)."""
    readable = await readable_ids(session, principal, submission_ids)
    return list(await repository.of_submissions(session, readable)) if readable else []


async def verified_copy(storage: AttachmentStorage, attachment: Attachment) -> Path:
    """The stored bytes in a temporary file, refused (409) when they no longer match the recorded hash."""
    fd, name = tempfile.mkstemp(prefix="kaohe-download-")
    os.close(fd)
    digest = hashlib.sha256()
    async with await anyio.open_file(name, "wb") as out:
        async for chunk in storage.read(attachment.sha256):
            digest.update(chunk)
            await out.write(chunk)
    if digest.hexdigest() != attachment.sha256:
        await anyio.Path(name).unlink(missing_ok=True)
        raise AttachmentAltered(
            _("the stored attachment does not match the hash recorded at upload; it was altered and is refused"),
            details={"attachment": attachment.id, "expected_sha256": attachment.sha256,
                     "actual_sha256": digest.hexdigest()})
    return Path(name)


async def stream_and_delete(path: Path) -> AsyncIterator[bytes]:
    """Stream a temporary file, then remove it."""
    try:
        async with await anyio.open_file(path, "rb") as src:
            while chunk := await src.read(CHUNK):
                yield chunk
    finally:
        await anyio.Path(path).unlink(missing_ok=True)

