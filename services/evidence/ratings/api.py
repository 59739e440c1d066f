"""Rating tasks: open, read, own ballot, answer, response counts, auditor view, close."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.openapi import errors
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


@router.post("", status_code=201, response_model=RatingTaskRead, summary="Open a rating task (the office)",
             responses=errors(409, 503))
async def create_task(payload: RatingTaskCreate, session: SessionDep, principal: CurrentPrincipal,
                      scoring: ScoringClientDep, idem: IdempotencyDep) -> JSONResponse:
    """Open a rating task (评议任务): democratic (民主测评), leader (领导评议) or mutual (单位互评) rating of the listed
    subjects by the listed raters, each with a level the scheme weighs, on the task's grade scale, until
    `closes_at`. An admin over the task's scope and every subject's unit; the indicator must read rating
    facts (422 otherwise, and for unknown subjects); 409 once the period is finalized (审定). Repeat with the
    same `Idempotency-Key` to get the first answer. 503 when scoring, which knows the periods and subjects,
    does not answer.
    """
    async def create() -> RatingTaskRead:
        return RatingTaskRead.model_validate(await service.create(session, principal, scoring, payload))

    response: JSONResponse = await idem.once(session, principal, payload, create)
    return response


@router.get("/{task_id}", response_model=RatingTaskRead, summary="The task (the office over its scope)")
async def get_task(task_id: str, session: SessionDep, principal: CurrentPrincipal) -> RatingTaskRead:
    """The task itself (its scope, grades, round, closing time, status and version), for the office over its
    scope: who may close it.
    """
    return RatingTaskRead.model_validate(await service.read(session, principal, task_id))


@router.get("/{task_id}/ballot", response_model=BallotRead, summary="The caller's own ballot")
async def get_ballot(task_id: str, session: SessionDep, principal: CurrentPrincipal) -> BallotRead:
    """The caller's own ballot: its level, the grade scale and one line per subject with the grade given so far.
    404 for a caller who is not one of the task's raters (nothing is told about the task).
    """
    return await service.ballot(session, principal, task_id)


@router.put("/{task_id}/ballot", response_model=BallotRead, summary="Answer (grade, or null to abstain)",
            responses=errors(409, 503))
async def put_ballot(task_id: str, payload: BallotPut, session: SessionDep, principal: CurrentPrincipal,
                     scoring: ScoringClientDep, now: Now) -> BallotRead:
    """Answer (or change answers on) the caller's own ballot: a grade of the scale per subject, or null to
    abstain; a unit never rates itself (422). 409 once the task is closed or past `closes_at`; 404 for a
    caller who is not a rater. 503 when scoring, which knows the periods and subjects, does not answer.
    """
    return await service.answer(session, principal, scoring, task_id, payload, now=now)


@router.get("/{task_id}/responses", response_model=ResponseCounts, summary="Response counts (the office)")
async def get_counts(task_id: str, session: SessionDep, principal: CurrentPrincipal) -> ResponseCounts:
    """How many raters the task has and how many answered, in all and per level: never who rated whom. For
    admins and auditors over the task's scope.
    """
    return await service.counts(session, principal, task_id)


@router.get("/{task_id}/ballots", response_model=list[AuditedBallot], summary="Every ballot with its rater (auditors)")
async def get_ballots(task_id: str, session: SessionDep, principal: CurrentPrincipal) -> list[AuditedBallot]:
    """Every ballot line with its rater, level, grade and time: the secret of the ballot opened for the audit
    only. Auditors over the task's scope.
    """
    return await service.audited_ballots(session, principal, task_id)


@router.post("/{task_id}/close", response_model=RatingTaskRead, summary="Close: ballots become rating facts",
             responses=errors(409, 503))
async def close_task(task_id: str, payload: CloseIn, session: SessionDep, principal: CurrentPrincipal,
                     scoring: ScoringClientDep) -> RatingTaskRead:
    """Close the task: every graded ballot line becomes a `rating` fact (abstentions make none), which scoring
    counts. Admins over the task's scope; send the task's `version` you read (stale → 409, and 409 when
    already closed). 503 when scoring, which knows the periods and subjects, does not answer.
    """
    task = await service.close_by_office(session, principal, scoring, task_id, payload.version)
    return RatingTaskRead.model_validate(task)
