"""Submissions: create, correct (new version), read, list, versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.evidence.clock import Now
from services.evidence.db import IdempotencyDep
from services.evidence.scoring_client import ScoringClientDep
from services.evidence.submissions import service
from services.evidence.submissions.schemas import (
    SubmissionCreate,
    SubmissionPage,
    SubmissionRead,
    SubmissionUpdate,
    SubmissionVersionRead,
)

router = APIRouter(prefix="/v1/submissions", tags=["submissions"])
Id = Annotated[str, Query(max_length=100)]


@router.post("", status_code=201, response_model=SubmissionRead, summary="Submit evidence")
async def create_submission(payload: SubmissionCreate, session: SessionDep, principal: CurrentPrincipal,
                            scoring: ScoringClientDep, idem: IdempotencyDep, now: Now) -> JSONResponse:
    response: JSONResponse = await idem.once(
        session, principal, payload, lambda: service.create(session, principal, scoring, payload, now=now),
        status_code=201)
    return response


@router.get("", response_model=SubmissionPage, summary="Submissions the caller may read")
async def list_submissions(
    session: SessionDep, principal: CurrentPrincipal, period_id: Id | None = None,
    status: Annotated[str | None, Query(max_length=20)] = None, subject_id: Id | None = None,
    after: Id | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SubmissionPage:
    items, cursor = await service.page(session, principal, period_id=period_id, status=status,
                                       subject_id=subject_id, after=after, limit=limit)
    return SubmissionPage(items=items, next=cursor)


@router.get("/{submission_id}", response_model=SubmissionRead, summary="One submission")
async def get_submission(submission_id: str, session: SessionDep, principal: CurrentPrincipal) -> SubmissionRead:
    return service.to_read(await service.get_readable(session, principal, submission_id))


@router.patch("/{submission_id}", response_model=SubmissionRead, summary="Correct before approval (new version)")
async def update_submission(submission_id: str, payload: SubmissionUpdate, session: SessionDep,
                            principal: CurrentPrincipal, scoring: ScoringClientDep, now: Now) -> SubmissionRead:
    return await service.update(session, principal, scoring, submission_id, payload, now=now)


@router.get("/{submission_id}/versions", response_model=list[SubmissionVersionRead],
            summary="Every version of a submission")
async def list_versions(submission_id: str, session: SessionDep,
                        principal: CurrentPrincipal) -> list[SubmissionVersionRead]:
    rows = await service.versions(session, principal, submission_id)
    return [SubmissionVersionRead.model_validate(row) for row in rows]
