"""`POST /events`: events from other services (ranking's `period.status`)."""

from __future__ import annotations

from fastapi import APIRouter

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
