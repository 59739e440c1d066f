"""`POST /events`: events from other services (ranking's `period.status`); what of a period is still open."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.outbox import EventIn
from services.evidence.periods import service
from services.evidence.scoring_client import ScoringClientDep

router = APIRouter(tags=["events"])


@router.post("/events", summary="Apply an event from another service's outbox (at most once)")
async def receive_event(event: EventIn, session: SessionDep, principal: CurrentPrincipal,
                        scoring: ScoringClientDep) -> dict[str, bool]:
    """Apply an event from another service's outbox, at most once by its id: ranking's `period.status` (so
    evidence refuses changes to a finalized period) and the services' notices for the event log. Other
    services' tokens only (403 otherwise). Answers whether it was applied now (false: a repeat).
    """
    return {"applied": await service.apply_event(session, principal, scoring, event)}


@router.get("/v1/periods/{period_id}/open-work",
            summary="What of a period still waits for the office (services only)")
async def open_work(period_id: Annotated[str, Path(min_length=1, max_length=100)], session: SessionDep,
                    principal: CurrentPrincipal) -> dict[str, object]:
    """How many appeals of the period are open and how many of its submissions wait for a review decision
    (`{period_id, open_appeals, pending_submissions}`; zeros for a period evidence knows nothing of). Ranking asks
    before 审定 and refuses it while either is not zero. Other services' tokens only (403 otherwise).
    """
    return await service.open_work(session, principal, period_id)
