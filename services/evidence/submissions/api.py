"""Submissions: create, correct (new version), read, list, versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from kaohe.i18n import _
from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.errors import PayloadTooLarge
from services.common.openapi import errors
from services.evidence.clock import Now
from services.evidence.db import IdempotencyDep
from services.evidence.scoring_client import ScoringClientDep
from services.evidence.submissions import imports, service
from services.evidence.submissions.content import FactKind
from services.evidence.submissions.schemas import (
    SubmissionCreate,
    SubmissionPage,
    SubmissionRead,
    SubmissionUpdate,
    SubmissionVersionRead,
)

router = APIRouter(prefix="/v1/submissions", tags=["submissions"])
bulk = APIRouter(tags=["submissions"])
Id = Annotated[str, Query(max_length=100)]
IMPORT_PATH = "/v1/periods/{period_id}/submissions/import"
MULTIPART_OVERHEAD = 64 * 1024


def is_import_path(path: str) -> bool:
    """The bulk upload may exceed the general body limit; it has its own (imports.MAX_BYTES)."""
    return path.startswith("/v1/periods/") and path.endswith("/submissions/import")


@bulk.post(IMPORT_PATH, status_code=201, summary=(
    "Submit a period's evidence for one indicator from a CSV or xlsx file (multipart `file`, form `indicator`, "
    "optional `fact`, `month`, `justification`; columns subject, name, justification and the fact kind's fields), "
    "all or nothing: 422 lists every bad row as {row, column, reason}; rows the uploader reviews are approved"),
           responses=errors(409, 503))
async def import_submissions(
    request: Request, session: SessionDep, principal: CurrentPrincipal, scoring: ScoringClientDep,
    idem: IdempotencyDep, now: Now,
    file: Annotated[UploadFile, File()], period_id: Annotated[str, Path(min_length=1, max_length=100)],
    indicator: Annotated[str | None, Form(min_length=1, max_length=100)] = None,
    fact: Annotated[FactKind | None, Form()] = None,
    month: Annotated[str | None, Form(pattern=r"^\d{4}-\d{2}$")] = None,  # one of the period's: imports.py
    justification: Annotated[str, Form(max_length=5000)] = "",
) -> JSONResponse:
    """Bulk evidence (佐证材料) for one indicator of a period from a CSV or xlsx file, all or nothing: each row
    becomes a submission entering its review chain, and rows of an indicator the uploader reviews at every
    level are approved at once. A bad row refuses the whole file with 422 and every bad row as `{row, column,
    reason}` in `details`. The file may be larger than the general body limit, up to its own (413 past it).
    Repeat with the same `Idempotency-Key` to get the first answer. 503 when scoring, which knows the periods
    and subjects, does not answer.
    """
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > imports.MAX_BYTES + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(_("the file is over %(max_bytes)s bytes", max_bytes=imports.MAX_BYTES),
                              details={"field": "file"})
    data = await file.read(imports.MAX_BYTES + 1)
    if len(data) > imports.MAX_BYTES:
        raise PayloadTooLarge(_("the file is over %(max_bytes)s bytes", max_bytes=imports.MAX_BYTES),
                              details={"field": "file"})
    upload = imports.Upload(period_id=period_id, indicator=indicator, fact=fact, month=month,
                            justification=justification.strip(), filename=file.filename or "", data=data)
    response: JSONResponse = await idem.once(
        session, principal, upload.key(),
        lambda: imports.import_file(session, principal, scoring, upload, now=now), status_code=201)
    return response


@router.post("", status_code=201, response_model=SubmissionRead, summary="Submit evidence", responses=errors(409, 503))
async def create_submission(payload: SubmissionCreate, session: SessionDep, principal: CurrentPrincipal,
                            scoring: ScoringClientDep, idem: IdempotencyDep, now: Now) -> JSONResponse:
    """Submit evidence (佐证材料) for (period, subject, indicator): a fact of the indicator's kind (§5 of
    docs/scheme-reference.md) with a justification; it enters the indicator's review chain (审核流程) at its
    first level, whose deadline is counted in working days. The submitter needs a role that may submit that
    fact kind over the subject's unit. 409 when the period is finalized (审定); 422 when the indicator is not
    in the scheme or reads another kind. Repeat with the same `Idempotency-Key` to get the first answer. 503
    when scoring, which knows the periods and subjects, does not answer.
    """
    response: JSONResponse = await idem.once(
        session, principal, payload, lambda: service.create(session, principal, scoring, payload, now=now),
        status_code=201)
    return response


@router.get("", response_model=SubmissionPage, summary="Submissions the caller may read")
async def list_submissions(
    session: SessionDep, principal: CurrentPrincipal, period_id: Id | None = None,
    status: Annotated[str | None, Query(max_length=20)] = None, subject_id: Id | None = None,
    after: Id | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
    count: Annotated[bool, Query(description="Also count the whole filtered list (`total_count`).")] = False,
) -> SubmissionPage:
    """The submissions the caller may read (those over the units of its grants, and a subject's own), optionally
    of one period, status or subject, in id order, in pages of `limit` (1–500): pass the answer's `next` as `after`
    for the next page; with `count=true`, `total_count` is how many the whole list holds.
    """
    items, cursor, total = await service.page(session, principal, period_id=period_id, status=status,
                                              subject_id=subject_id, after=after, limit=limit, counted=count)
    return SubmissionPage(items=items, next=cursor, total_count=total)


@router.get("/{submission_id}", response_model=SubmissionRead, summary="One submission")
async def get_submission(submission_id: str, session: SessionDep, principal: CurrentPrincipal) -> SubmissionRead:
    """One submission with its status, current review level and its deadline, its value and, once approved, the
    id of the fact it made. 404 when unknown or unreadable to the caller.
    """
    return service.to_read(await service.get_readable(session, principal, submission_id))


@router.patch("/{submission_id}", response_model=SubmissionRead, summary="Correct before approval (new version)",
              responses=errors(409, 503))
async def update_submission(submission_id: str, payload: SubmissionUpdate, session: SessionDep,
                            principal: CurrentPrincipal, scoring: ScoringClientDep, now: Now) -> SubmissionRead:
    """Correct a pending or returned submission: its new content becomes a new version and review starts again
    at the first level. Send the `version` you read: a stale one is 409 with the current one, and so is a
    submission already approved, rejected or revoked. 503 when scoring, which knows the periods and subjects,
    does not answer.
    """
    return await service.update(session, principal, scoring, submission_id, payload, now=now)


@router.get("/{submission_id}/versions", response_model=list[SubmissionVersionRead],
            summary="Every version of a submission")
async def list_versions(submission_id: str, session: SessionDep,
                        principal: CurrentPrincipal) -> list[SubmissionVersionRead]:
    """Every content the submission has had, oldest first, each with its justification, author and time: the
    record of what was changed before approval.
    """
    rows = await service.versions(session, principal, submission_id)
    return [SubmissionVersionRead.model_validate(row) for row in rows]
