"""HTTP routes of the scores context, and `POST /events` (events from evidence and ranking)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.errors import InvalidInput
from services.common.outbox import EventIn, apply_once
from services.scoring.db import common
from services.scoring.organisation.api import MAX_BATCH, split_ids
from services.scoring.scores import service
from services.scoring.scores.evidence_client import fetch_facts
from services.scoring.scores.schemas import (
    FactChange,
    RecomputeResult,
    ScoresRead,
    ScoreVersionRead,
    VerifyResult,
)

events_router = APIRouter(tags=["events"])
router = APIRouter(prefix="/v1/periods", tags=["scores"])


@events_router.post("/events", summary="Events from other services (fact.changed, period.status), applied once")
async def receive_event(event: EventIn, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    service.check_event_caller(principal)
    if not await apply_once(session, common.inbox, event):
        return {"applied": False, "duplicate": True}
    if event.topic == "fact.changed":
        try:
            change = FactChange.model_validate(event.payload)
        except ValidationError as exc:
            raise InvalidInput("fact.changed payload is invalid",
                               details=exc.errors(include_url=False, include_context=False)) from None
        return {"applied": await service.apply_fact_change(session, change, cause=f"event:{event.id}")}
    if event.topic == "period.status":
        return {"applied": await service.apply_period_status(session, event.payload, source=event.source)}
    return {"applied": False, "reason": f"topic {event.topic} is not for scoring"}


@router.post("/{period_id}/recompute", response_model=RecomputeResult)
async def recompute(period_id: str, session: SessionDep, principal: CurrentPrincipal) -> RecomputeResult:
    return await service.recompute_now(session, principal, period_id)


@router.post("/{period_id}/rebuild", response_model=RecomputeResult,
             summary="Replace the fact copies with evidence's current facts, then recompute")
async def rebuild(period_id: str, request: Request, session: SessionDep,
                  principal: CurrentPrincipal) -> RecomputeResult:
    await service.recompute_precheck(session, principal, period_id)
    facts = await fetch_facts(period_id, getattr(request.app.state, "evidence_transport", None))
    return await service.replace_facts(session, principal, period_id, facts)


@router.post("/{period_id}/verify", response_model=VerifyResult,
             summary="Recompute from the stored scheme version and facts; compare with the stored scores")
async def verify(period_id: str, session: SessionDep, principal: CurrentPrincipal) -> VerifyResult:
    return await service.verify(session, principal, period_id)


@router.get("/{period_id}/scores", response_model=ScoresRead, summary="Latest full-precision scores")
async def scores(period_id: str, session: SessionDep, principal: CurrentPrincipal,
                 subject_ids: Annotated[str | None, Query(max_length=MAX_BATCH * 65)] = None,
                 since_score_set: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
                 period_key: Annotated[str | None, Query(max_length=100)] = None) -> ScoresRead:
    wanted = split_ids(subject_ids) if subject_ids is not None else None
    return await service.scores(session, principal, period_id, wanted, since_score_set=since_score_set,
                                key=period_key)


@router.get("/{period_id}/subjects/{subject_id}/history", response_model=list[ScoreVersionRead])
async def history(period_id: str, subject_id: str, session: SessionDep, principal: CurrentPrincipal,
                  indicator: Annotated[str, Query(max_length=100)] = "total",
                  as_of: datetime | None = None) -> list[ScoreVersionRead]:
    if as_of is not None and as_of.tzinfo is None:
        raise InvalidInput("as_of needs a time zone (e.g. 2026-04-01T08:00:00+08:00)", details={"field": "as_of"})
    return await service.history(session, principal, period_id, subject_id, indicator, as_of)
