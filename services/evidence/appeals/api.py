"""Appeals: file, answer point by point, read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.listing import MAX_LIMIT, Limit, ListPage, Offset, StatusFilter, SubjectFilter
from services.common.openapi import errors
from services.evidence.appeals import service
from services.evidence.appeals.models import Appeal
from services.evidence.appeals.schemas import AppealAnswer, AppealCreate, AppealRead
from services.evidence.clock import Now
from services.evidence.db import IdempotencyDep
from services.evidence.scoring_client import ScoringClientDep

router = APIRouter(prefix="/v1/appeals", tags=["appeals"])


def _read(appeal: Appeal, now: datetime) -> AppealRead:
    return AppealRead.at(appeal, now)


@router.post("", status_code=201, response_model=AppealRead, summary="Appeal a fact (subject or its unit)",
             responses=errors(404, 409, 503))
async def file_appeal(payload: AppealCreate, session: SessionDep, principal: CurrentPrincipal,
                      scoring: ScoringClientDep, idem: IdempotencyDep, now: Now) -> JSONResponse:
    """Appeal (申诉) one fact point by point: the subject itself, or a submitter or admin over its unit, within
    the appeal window (10 days after the fact last changed, by default). 404 for an unknown fact; 409 after
    the window or while an appeal of the fact is open. Repeat with the same `Idempotency-Key` to get the
    first answer. 503 when scoring, which knows the periods and subjects, does not answer.
    """
    async def create() -> AppealRead:
        return _read(await service.file(session, principal, scoring, payload, now=now), now)

    response: JSONResponse = await idem.once(session, principal, payload, create)
    return response


@router.post("/{appeal_id}/answer", response_model=AppealRead, summary="Answer every point (the office)",
             responses=errors(409, 503))
async def answer_appeal(appeal_id: str, payload: AppealAnswer, session: SessionDep, principal: CurrentPrincipal,
                        scoring: ScoringClientDep, now: Now) -> AppealRead:
    """Answer every point of an open appeal (one reply per point, 422 otherwise): upheld (支持), with the
    corrected fact content (which replaces the fact) or without (the fact is retracted), or dismissed (驳回);
    scoring recomputes. Admins over the subject's unit; send the appeal's `version` you read (stale → 409,
    and 409 once answered). 503 when scoring, which knows the periods and subjects, does not answer.
    """
    return _read(await service.answer(session, principal, scoring, appeal_id, payload, now=now), now)


@router.get("/{appeal_id}", response_model=AppealRead, summary="One appeal")
async def get_appeal(appeal_id: str, session: SessionDep, principal: CurrentPrincipal, now: Now) -> AppealRead:
    """One appeal with its points, replies, status and whether it is overdue (open past `answer_due_at`)."""
    return _read(await service.get_readable(session, principal, appeal_id), now)


@router.get("", response_model=ListPage[AppealRead], summary="Appeals of a period the caller may read (paged)")
async def list_appeals(session: SessionDep, principal: CurrentPrincipal, now: Now,
                       period_id: Annotated[str, Query(max_length=100)], subject_id: SubjectFilter = None,
                       status: StatusFilter = None, offset: Offset = 0,
                       limit: Limit = MAX_LIMIT) -> ListPage[AppealRead]:
    """The appeals of a period the caller may read (the office over the units, and a subject its own), oldest
    first, optionally of one subject or status (`open`, `upheld`, `rejected`), `limit` rows after `offset`, with the
    list's `total_count`.
    """
    total, found = await service.page(session, principal, period_id, subject_id=subject_id, status=status,
                                      offset=offset, limit=limit)
    return ListPage[AppealRead](items=[_read(a, now) for a in found], total_count=total)
