"""Rating tasks: open, read, own ballot, answer, response counts, auditor view, close."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.evidence.clock import Now
from services.evidence.db import IdempotencyDep
from services.evidence.ratings import service
from services.evidence.ratings.schemas import (
    AuditedBallot,
    BallotPut,
    BallotRead,
    CloseIn,
    RatingTaskCreate,
    RatingTaskRead,
    ResponseCounts,
)
from services.evidence.scoring_client import ScoringClientDep

router = APIRouter(prefix="/v1/rating-tasks", tags=["rating tasks"])


@router.post("", status_code=201, response_model=RatingTaskRead, summary="Open a rating task (the office)")
async def create_task(payload: RatingTaskCreate, session: SessionDep, principal: CurrentPrincipal,
                      scoring: ScoringClientDep, idem: IdempotencyDep) -> JSONResponse:
    async def create() -> RatingTaskRead:
        return RatingTaskRead.model_validate(await service.create(session, principal, scoring, payload))

    response: JSONResponse = await idem.once(session, principal, payload, create)
    return response


@router.get("/{task_id}", response_model=RatingTaskRead, summary="The task (the office over its scope)")
async def get_task(task_id: str, session: SessionDep, principal: CurrentPrincipal) -> RatingTaskRead:
    return RatingTaskRead.model_validate(await service.read(session, principal, task_id))


@router.get("/{task_id}/ballot", response_model=BallotRead, summary="The caller's own ballot")
async def get_ballot(task_id: str, session: SessionDep, principal: CurrentPrincipal) -> BallotRead:
    return await service.ballot(session, principal, task_id)


@router.put("/{task_id}/ballot", response_model=BallotRead, summary="Answer (grade, or null to abstain)")
async def put_ballot(task_id: str, payload: BallotPut, session: SessionDep, principal: CurrentPrincipal,
                     scoring: ScoringClientDep, now: Now) -> BallotRead:
    return await service.answer(session, principal, scoring, task_id, payload, now=now)


@router.get("/{task_id}/responses", response_model=ResponseCounts, summary="Response counts (the office)")
async def get_counts(task_id: str, session: SessionDep, principal: CurrentPrincipal) -> ResponseCounts:
    return await service.counts(session, principal, task_id)


@router.get("/{task_id}/ballots", response_model=list[AuditedBallot], summary="Every ballot with its rater (auditors)")
async def get_ballots(task_id: str, session: SessionDep, principal: CurrentPrincipal) -> list[AuditedBallot]:
    return await service.audited_ballots(session, principal, task_id)


@router.post("/{task_id}/close", response_model=RatingTaskRead, summary="Close: ballots become rating facts")
async def close_task(task_id: str, payload: CloseIn, session: SessionDep, principal: CurrentPrincipal,
                     scoring: ScoringClientDep) -> RatingTaskRead:
    task = await service.close_by_office(session, principal, scoring, task_id, payload.version)
    return RatingTaskRead.model_validate(task)
