"""Review chains, decisions and the deadline sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.common.auth import CurrentPrincipal
from services.common.batch import query_length, split_ids
from services.common.db import SessionDep
from services.common.openapi import errors
from services.evidence.clock import Now, sweep_moment
from services.evidence.db import IdempotencyDep
from services.evidence.reviews import service, sweeper
from services.evidence.reviews.schemas import (
    DecisionCreate,
    DecisionRead,
    ReviewChainPut,
    ReviewChainRead,
    SweepResult,
)
from services.evidence.scoring_client import ScoringClientDep
from services.evidence.submissions.schemas import SubmissionRead

router = APIRouter(tags=["reviews"], lifespan=sweeper.lifespan)


@router.put("/v1/schemes/{scheme_id}/review-chains", response_model=ReviewChainRead,
            summary="Configure the review chain of a scheme's indicator")
async def put_chain(scheme_id: str, payload: ReviewChainPut, session: SessionDep,
                    principal: CurrentPrincipal) -> ReviewChainRead:
    """Set (or replace) the review chain (审核流程) of one indicator of a scheme, or its default chain (indicator
    ""): the levels in order, each with its name, the unit path whose reviewers decide, its working days and
    whether an earlier level's reviewer may decide again. Admins of the whole organisation; each change adds
    one to the chain's `version`. Submissions already under review keep the chain they started with.
    """
    return ReviewChainRead.model_validate(await service.put_chain(session, principal, scheme_id, payload))


@router.get("/v1/schemes/{scheme_id}/review-chains", response_model=list[ReviewChainRead],
            summary="The review chains of a scheme")
async def list_chains(scheme_id: str, session: SessionDep, principal: CurrentPrincipal) -> list[ReviewChainRead]:
    """The review chains of a scheme, one per indicator and the default (indicator ""), for staff who review,
    submit or audit.
    """
    return [ReviewChainRead.model_validate(c) for c in await service.list_chains(session, principal, scheme_id)]


@router.post("/v1/submissions/{submission_id}/decisions", status_code=201, response_model=SubmissionRead,
             summary="Approve, adjust, reject, return or revoke (optimistic: stale version → 409)",
             responses=errors(409, 503))
async def decide(submission_id: str, payload: DecisionCreate, session: SessionDep, principal: CurrentPrincipal,
                 scoring: ScoringClientDep, idem: IdempotencyDep, now: Now) -> JSONResponse:
    """A reviewer's decision on a pending submission at its current level: approve (to the next level, or the
    fact is made at the last), adjust (approve with changed points), reject, return (for correction), or
    revoke an approved one (its fact is retracted). Every decision but approve needs a reason. Send the
    submission's `version` you read (stale → 409); 403 for a caller who is no reviewer of the level,
    already decided at an earlier one, or submitted or corrected the submission or is its subject (four-eyes).
    Repeat with the same `Idempotency-Key` to get the first answer. 503 when scoring, which knows the periods
    and subjects, does not answer.
    """
    response: JSONResponse = await idem.once(
        session, principal, payload,
        lambda: service.decide(session, principal, scoring, submission_id, payload, now=now))
    return response


@router.get("/v1/submissions/{submission_id}/decisions", response_model=list[DecisionRead],
            summary="Decisions taken on a submission")
async def list_decisions(submission_id: str, session: SessionDep, principal: CurrentPrincipal) -> list[DecisionRead]:
    """The decisions taken on a submission, level by level, oldest first."""
    return [DecisionRead.model_validate(d) for d in await service.decisions(session, principal, submission_id)]


@router.get("/v1/review-decisions", response_model=list[DecisionRead],
            summary="Batch read: the decisions on `submission_ids=a,b` (unreadable submissions are left out)")
async def batch_decisions(session: SessionDep, principal: CurrentPrincipal,
                          submission_ids: Annotated[str, Query(max_length=query_length())]) -> list[DecisionRead]:
    """The decisions on several submissions at once (`submission_ids=a,b`, for a page of them); submissions the
    caller may not read are left out, not refused.
    """
    ids = split_ids(submission_ids, field="submission_ids")
    return [DecisionRead.model_validate(d) for d in await service.decisions_of(session, principal, ids)]


@router.post("/v1/reviews/sweep", response_model=SweepResult,
             summary="Record overdue levels as agreeing (admin; `now` for replays and tests)")
async def sweep(session: SessionDep, principal: CurrentPrincipal, clock: Now,
                now: Annotated[datetime | None, Query()] = None) -> SweepResult:
    """Record every review level past its deadline as agreeing (默认同意), as the deadline sweeper does on its own
    (every 5 minutes by default); `now` replays a moment (tests, recovery). Admins of the whole organisation.
    Answers how many levels were defaulted.
    """
    principal.require("admin", "")
    return SweepResult(defaulted=await service.sweep_deadlines(session, sweep_moment(now, clock)))

