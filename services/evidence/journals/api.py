"""Weekly journals: roster, submission, excused absences, the missing-week sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
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


@router.post("/rosters", summary="Register who owes a weekly journal")
async def add_roster(payload: JournalRosterCreate, session: SessionDep, principal: CurrentPrincipal,
                     scoring: ScoringClientDep) -> dict[str, int]:
    return {"people": await service.add_roster(session, principal, scoring, payload)}


@router.get("/rosters", response_model=list[JournalRosterRead],
            summary="The roster of a period: who owes journals over which weeks (those the caller may read)")
async def list_rosters(session: SessionDep, principal: CurrentPrincipal,
                       period_id: Annotated[str, Query(max_length=100)]) -> list[JournalRosterRead]:
    return [JournalRosterRead.model_validate(r) for r in await service.list_rosters(session, principal, period_id)]


@router.post("", status_code=201, response_model=JournalRead, summary="Submit a week's journal")
async def submit_journal(payload: JournalCreate, session: SessionDep, principal: CurrentPrincipal,
                         scoring: ScoringClientDep, idem: IdempotencyDep, now: Now) -> JSONResponse:
    async def create() -> JournalRead:
        return JournalRead.model_validate(await service.submit(session, principal, scoring, payload, now=now))

    response: JSONResponse = await idem.once(session, principal, payload, create)
    return response


@router.post("/excuses", status_code=201, response_model=JournalRead, summary="Excuse a week (supervisor)")
async def excuse_week(payload: ExcuseCreate, session: SessionDep, principal: CurrentPrincipal,
                      scoring: ScoringClientDep, idem: IdempotencyDep) -> JSONResponse:
    async def create() -> JournalRead:
        return JournalRead.model_validate(await service.excuse(session, principal, scoring, payload))

    response: JSONResponse = await idem.once(session, principal, payload, create)
    return response


@router.get("", response_model=list[JournalRead], summary="Journal weeks of a period the caller may read")
async def list_journals(session: SessionDep, principal: CurrentPrincipal,
                        period_id: Annotated[str, Query(max_length=100)]) -> list[JournalRead]:
    return [JournalRead.model_validate(w) for w in await service.list_weeks(session, principal, period_id)]


@router.post("/sweep", response_model=JournalSweepResult, summary="Record missing weeks (admin; `now` for tests)")
async def sweep(session: SessionDep, principal: CurrentPrincipal, clock: Now,
                now: Annotated[datetime | None, Query()] = None) -> JournalSweepResult:
    principal.require("admin", "")
    return JournalSweepResult(missing=await service.sweep_missing(session, sweep_moment(now, clock)))
