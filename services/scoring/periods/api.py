"""HTTP routes of the periods context."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile

from kaohe.i18n import _
from services.common import listing
from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.errors import PayloadTooLarge
from services.common.openapi import errors
from services.scoring.db import IdempotencyDep
from services.scoring.organisation.api import MAX_BATCH, split_ids
from services.scoring.periods import service
from services.scoring.periods.files import enrolment_rows
from services.scoring.periods.schemas import (
    Enrolment,
    EnrolmentResult,
    PeriodCreate,
    PeriodPage,
    PeriodRead,
    Status,
    StatusChange,
    SubjectIn,
    SubjectRead,
)

router = APIRouter(prefix="/v1/periods", tags=["periods"])
MAX_UPLOAD = 10 * 2**20


@router.post("", status_code=201, response_model=PeriodRead,
             summary="Open a period with its subjects", responses=errors(409))
async def open_period(payload: PeriodCreate, session: SessionDep, principal: CurrentPrincipal,
                      idem: IdempotencyDep) -> Any:
    """Open an assessment period (考核周期) for a published scheme version with its subjects, each in its peer group
    (组别) with its attributes; status `open`. An admin over `owner_path` (the office that runs it); 409 when
    the id exists or the scheme version is still a draft; 422 for subjects that are not units or people of
    the organisation as the scheme assesses, or listed twice. Repeat with the same `Idempotency-Key` to get
    the first answer.
    """
    return await idem.once(session, principal, payload, lambda: service.open_period(session, principal, payload))


@router.get("", response_model=PeriodPage, summary="The periods the caller's grants relate to, newest first (paged)")
async def list_periods(session: SessionDep, principal: CurrentPrincipal,
                       limit: Annotated[int, Query(ge=1, le=listing.MAX_LIMIT)] = listing.DEFAULT_LIMIT,
                       after: Annotated[str | None, Query(max_length=300)] = None,
                       status: Annotated[Status | None, Query()] = None,
                       scheme_id: Annotated[str | None, Query(max_length=100)] = None,
                       owner_path: Annotated[str | None, Query(max_length=1000)] = None) -> PeriodPage:
    """The periods the caller's grants relate to (owned over or within them), newest first, in pages by cursor
    (`after`), optionally of one status, one scheme and one owner (`owner_path` exactly).
    """
    return await service.list_periods(session, principal, limit=limit, after=after, status=status,
                                      scheme_id=scheme_id, owner_path=owner_path)


@router.get("/{period_id}", response_model=PeriodRead, summary="One period with its indicators")
async def get_period(period_id: str, session: SessionDep, principal: CurrentPrincipal) -> PeriodRead:
    """One period: its scheme version, label, status, owner, subject count, the inputs hash of the last scoring
    and the scheme's indicator tree.
    """
    return await service.get(session, principal, period_id)


@router.post("/{period_id}/status", response_model=PeriodRead,
             summary="Move the period one step on", responses=errors(409))
async def change_status(period_id: str, payload: StatusChange, session: SessionDep,
                        principal: CurrentPrincipal) -> PeriodRead:
    """Move the period one step along open → collecting → scoring; `published` and `finalized` come from
    ranking's publication (公示) and approval (审定), never from here (409), and so does any other step (409 with
    `{from, to}`). An admin over the period's owner.
    """
    return await service.change_status(session, principal, period_id, payload.status)


@router.get("/{period_id}/subjects", response_model=list[SubjectRead], summary="The subjects of a period")
async def list_subjects(period_id: str, session: SessionDep, principal: CurrentPrincipal,
                        ids: Annotated[str | None, Query(max_length=MAX_BATCH * 65)] = None) -> list[SubjectRead]:
    """The subjects enrolled in the period that the caller may read (all for the office; a subject itself),
    optionally by id (`ids=a,b`), with group, kind, unit path and attributes.
    """
    return await service.list_subjects(session, principal, period_id, split_ids(ids) if ids is not None else None)


@router.post("/{period_id}/subjects", response_model=EnrolmentResult,
             summary="Enrol or update subjects (JSON)", responses=errors(409))
async def enrol(period_id: str, payload: Enrolment, session: SessionDep,
                principal: CurrentPrincipal) -> EnrolmentResult:
    """Enrol subjects, or update the group and attributes of enrolled ones, while the period is open, collecting
    or scoring (409 once published). An admin over the period's owner; the same checks as opening the period.
    """
    ids = await service.enrol(session, principal, period_id, payload.subjects)
    return EnrolmentResult(enrolled=len(ids), subjects=ids)


@router.post("/{period_id}/subjects/import", response_model=EnrolmentResult,
             summary="Enrol or update subjects from a CSV or xlsx file (columns id, group, attributes…)",
             responses=errors(409))
async def enrol_file(period_id: str, session: SessionDep, principal: CurrentPrincipal,
                     file: Annotated[UploadFile, File()]) -> EnrolmentResult:
    """The same as `POST /v1/periods/{period_id}/subjects` from a CSV or xlsx file of at most 10 MiB (413 over
    it): one bad row refuses the whole file with 422 and every bad row as `{row, column, reason}`.
    """
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise PayloadTooLarge(_("the file is over %(max_upload)s bytes", max_upload=MAX_UPLOAD))
    subjects, problems = enrolment_rows(file.filename or "", data)
    lined = [(line, SubjectIn.model_validate(row)) for line, row in subjects]
    ids = await service.enrol_file(session, principal, period_id, lined, problems)
    return EnrolmentResult(enrolled=len(ids), subjects=ids)


@router.delete("/{period_id}/subjects/{subject_id}", status_code=204,
               responses=errors(409), summary="Withdraw a subject from a period")
async def withdraw(period_id: str, subject_id: str, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Withdraw a subject from the period while enrolment is open (409 once published); 404 when it is not
    enrolled. An admin over the period's owner.
    """
    await service.withdraw(session, principal, period_id, subject_id)
    return Response(status_code=204)
