"""Weekly journals: roster, submission, excused absences, the missing-week sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.listing import MAX_LIMIT, Limit, ListPage, Offset, StatusFilter, SubjectFilter
from services.common.openapi import errors
from services.evidence.clock import Now, sweep_moment
from services.evidence.db import IdempotencyDep
from services.evidence.journals import service
from services.evidence.journals.schemas import (
    ExcuseCreate,
    JournalCreate,
    JournalRead,
    JournalRosterCreate,
    JournalRosterRead,
    JournalSweepResult,
)
from services.evidence.scoring_client import ScoringClientDep

router = APIRouter(prefix="/v1/journals", tags=["journals"])


@router.post("/rosters", summary="Register who owes a weekly journal", responses=errors(409, 503))
async def add_roster(payload: JournalRosterCreate, session: SessionDep, principal: CurrentPrincipal,
                     scoring: ScoringClientDep) -> dict[str, int]:
    """Register people who owe a weekly journal (工作日志) in a period, every ISO week from `first_week` to
    `last_week`: the weeks then count as missing when not written in time. An admin over each person's unit;
    the period's scheme needs a journal indicator (422 otherwise); 409 once the period is finalized (审定).
    Answers how many people it covered. 503 when scoring, which knows the periods and subjects, does not
    answer.
    """
    return {"people": await service.add_roster(session, principal, scoring, payload)}


@router.get("/rosters", response_model=list[JournalRosterRead],
            summary="The roster of a period: who owes journals over which weeks (those the caller may read)")
async def list_rosters(session: SessionDep, principal: CurrentPrincipal,
                       period_id: Annotated[str, Query(max_length=100)]) -> list[JournalRosterRead]:
    """Who owes journals in a period and over which weeks, those the caller may read: the office over their
    units, and a person their own entry.
    """
    return [JournalRosterRead.model_validate(r) for r in await service.list_rosters(session, principal, period_id)]


@router.post("", status_code=201, response_model=JournalRead, summary="Submit a week's journal",
             responses=errors(409, 503))
async def submit_journal(payload: JournalCreate, session: SessionDep, principal: CurrentPrincipal,
                         scoring: ScoringClientDep, idem: IdempotencyDep, now: Now) -> JSONResponse:
    """Write a week's journal: the text and the person's own points (自评分); it enters the journal indicator's
    review chain. A person writes their own (a submitter or admin may write for their unit). 409 when the
    week is already written or past its make-up window. Repeat with the same `Idempotency-Key` to get the
    first answer. 503 when scoring, which knows the periods and subjects, does not answer.
    """
    async def create() -> JournalRead:
        return JournalRead.model_validate(await service.submit(session, principal, scoring, payload, now=now))

    response: JSONResponse = await idem.once(session, principal, payload, create)
    return response


@router.post("/excuses", status_code=201, response_model=JournalRead, summary="Excuse a week (supervisor)",
             responses=errors(409, 503))
async def excuse_week(payload: ExcuseCreate, session: SessionDep, principal: CurrentPrincipal,
                      scoring: ScoringClientDep, idem: IdempotencyDep) -> JSONResponse:
    """Excuse a week (leave, trip or holiday) with the last day of the absence: the week no longer counts as
    missing and may be made up within the make-up window in working days. The person's supervisor (an admin
    or reviewer over their unit); 409 when the week was already written. 503 when scoring, which knows the
    periods and subjects, does not answer.
    """
    async def create() -> JournalRead:
        return JournalRead.model_validate(await service.excuse(session, principal, scoring, payload))

    response: JSONResponse = await idem.once(session, principal, payload, create)
    return response


@router.get("", response_model=ListPage[JournalRead], summary="Journal weeks of a period the caller may read (paged)")
async def list_journals(session: SessionDep, principal: CurrentPrincipal,
                        period_id: Annotated[str, Query(max_length=100)], subject_id: SubjectFilter = None,
                        status: StatusFilter = None, offset: Offset = 0,
                        limit: Limit = MAX_LIMIT) -> ListPage[JournalRead]:
    """The journal weeks of a period the caller may read (own, or in scope), each with its status and review
    submission, by subject and week, optionally of one subject or status, `limit` rows after `offset`, with the
    list's `total_count`.
    """
    total, found = await service.list_weeks(session, principal, period_id, subject_id=subject_id, status=status,
                                            offset=offset, limit=limit)
    return ListPage[JournalRead](items=[JournalRead.model_validate(w) for w in found], total_count=total)


@router.post("/sweep", response_model=JournalSweepResult, summary="Record missing weeks (admin; `now` for tests)")
async def sweep(session: SessionDep, principal: CurrentPrincipal, clock: Now,
                now: Annotated[datetime | None, Query()] = None) -> JournalSweepResult:
    """Record every owed week past its deadline as missing, as the sweeper does on its own; `now` replays a
    moment. Admins of the whole organisation. Answers how many weeks were recorded missing.
    """
    principal.require("admin", "")
    return JournalSweepResult(missing=await service.sweep_missing(session, sweep_moment(now, clock)))
