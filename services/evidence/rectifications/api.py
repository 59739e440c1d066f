"""Rectification notices: issue, feedback, sign-off, read, and the overdue sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.evidence.clock import Now, sweep_moment
from services.evidence.db import IdempotencyDep
from services.evidence.rectifications import service
from services.evidence.rectifications.schemas import FeedbackIn, NoticeCreate, NoticeRead, SignIn
from services.evidence.scoring_client import ScoringClientDep

router = APIRouter(prefix="/v1/rectifications", tags=["rectification notices"])


@router.post("", status_code=201, response_model=NoticeRead, summary="Issue a rectification notice (inspector)")
async def issue_notice(payload: NoticeCreate, session: SessionDep, principal: CurrentPrincipal,
                       scoring: ScoringClientDep, idem: IdempotencyDep) -> JSONResponse:
    async def create() -> NoticeRead:
        return NoticeRead.model_validate(await service.issue(session, principal, scoring, payload))

    response: JSONResponse = await idem.once(session, principal, payload, create)
    return response


@router.post("/{notice_id}/feedback", response_model=NoticeRead, summary="Report the rectification (the unit)")
async def give_feedback(notice_id: str, payload: FeedbackIn, session: SessionDep, principal: CurrentPrincipal,
                        scoring: ScoringClientDep, now: Now) -> NoticeRead:
    return NoticeRead.model_validate(await service.feedback(session, principal, scoring, notice_id, payload, now=now))


@router.post("/{notice_id}/sign", response_model=NoticeRead, summary="Sign off (the unit's head)")
async def sign_notice(notice_id: str, payload: SignIn, session: SessionDep, principal: CurrentPrincipal,
                      scoring: ScoringClientDep, now: Now) -> NoticeRead:
    return NoticeRead.model_validate(await service.sign(session, principal, scoring, notice_id, payload, now=now))


@router.get("/{notice_id}", response_model=NoticeRead, summary="One notice")
async def get_notice(notice_id: str, session: SessionDep, principal: CurrentPrincipal) -> NoticeRead:
    return NoticeRead.model_validate(await service.get_readable(session, principal, notice_id))


@router.get("", response_model=list[NoticeRead], summary="Notices of a period the caller may read")
async def list_notices(session: SessionDep, principal: CurrentPrincipal,
                       period_id: Annotated[str, Query(max_length=100)]) -> list[NoticeRead]:
    return [NoticeRead.model_validate(n) for n in await service.page(session, principal, period_id)]


@router.post("/sweep", summary="Mark overdue notices and raise follow-up events (admin; `now` for tests)")
async def sweep(session: SessionDep, principal: CurrentPrincipal, clock: Now,
                now: Annotated[datetime | None, Query()] = None) -> dict[str, int]:
    principal.require("admin", "")
    return {"overdue": await service.sweep_overdue(session, sweep_moment(now, clock))}
