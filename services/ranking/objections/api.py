"""Objection endpoints."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.listing import MAX_LIMIT, Limit, ListPage, Offset, StatusFilter, SubjectFilter
from services.common.openapi import errors
from services.ranking.access import Now, PeriodId
from services.ranking.clients import ScoringClientDep
from services.ranking.db import IdempotencyDep
from services.ranking.objections import service
from services.ranking.objections.schemas import ObjectionAnswer, ObjectionCreate, ObjectionRead

router = APIRouter(prefix="/v1", tags=["objections"])


@router.post("/periods/{period_id}/objections", status_code=201, response_model=ObjectionRead,
             summary="File an objection (异议) to a subject's result during publication", responses=errors(404, 409))
async def file_objection(period_id: PeriodId, payload: ObjectionCreate, session: SessionDep,
                         principal: CurrentPrincipal, idem: IdempotencyDep, now: Now) -> Any:
    """Object (异议) to a subject's published result while its 公示 window runs: the subject itself or its unit's
    own account (a grant on exactly its unit), with the reason. 404 when the subject has no result; 409
    outside the window. Repeat with the same `Idempotency-Key` to get the first answer. Approval (审定) waits
    until every objection is answered.
    """
    async def create() -> ObjectionRead:
        objection = await service.file(session, principal, period_id, subject_id=payload.subject_id,
                                       text=payload.text, now=now)
        return ObjectionRead.model_validate(objection)

    return await idem.once(session, principal, payload, create, status_code=201)


@router.get("/periods/{period_id}/objections", response_model=ListPage[ObjectionRead],
            summary="The period's objections the caller may see (paged)")
async def list_objections(
    period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal, subject_id: SubjectFilter = None,
    status: StatusFilter = None, offset: Offset = 0, limit: Limit = MAX_LIMIT,
) -> Any:
    """The period's objections the caller may see (the office over the units, a subject or its unit's account its
    own), oldest first, optionally of one subject or status (`open`, `answered`), `limit` rows after `offset`, with
    the list's `total_count`.
    """
    total, found = await service.list_for(session, principal, period_id, subject_id=subject_id, status=status,
                                          offset=offset, limit=limit)
    return ListPage[ObjectionRead](items=[ObjectionRead.model_validate(o) for o in found], total_count=total)


@router.get("/objections/{objection_id}", response_model=ObjectionRead, summary="One objection")
async def get_objection(objection_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Any:
    """One objection with its reason, status and answer, for those who may see the subject's."""
    return await service.get(session, principal, objection_id)


@router.post("/objections/{objection_id}/answer", response_model=ObjectionRead,
             summary="Answer an objection (the office)", responses=errors(409))
async def answer_objection(objection_id: uuid.UUID, payload: ObjectionAnswer, session: SessionDep,
                           principal: CurrentPrincipal, now: Now, scoring: ScoringClientDep) -> Any:
    """Answer an open objection (异议答复), kept on record; 409 when already answered. An admin over the subject's
    unit.
    """
    return await service.answer(session, principal, objection_id, text=payload.answer, now=now,
                                creators=scoring.api_key_creators)


@router.get("/inbox/objections", response_model=list[ObjectionRead],
            summary="Open objections the caller answers (admin over the subject), oldest first (at most 1000)")
async def objections_awaiting(session: SessionDep, principal: CurrentPrincipal) -> Any:
    """The open objections the caller must answer (an admin over the subjects' units), oldest first, at most
    1,000: a part of its inbox (待办).
    """
    return await service.awaiting_answer(session, principal)
