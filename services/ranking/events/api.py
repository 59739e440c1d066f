"""`POST /events`: events from other services' outboxes, each applied once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kaohe.i18n import _
from services.common.auth import CurrentPrincipal, require_service
from services.common.db import SessionDep
from services.common.errors import InvalidInput
from services.common.openapi import errors
from services.common.outbox import EventIn, apply_once
from services.ranking.clients import ScoringClientDep
from services.ranking.db import common
from services.ranking.results import service as results
from services.ranking.results.cache import ResultsCacheDep

router = APIRouter(tags=["events"])


@router.post("/events",
             summary="Receive an event (scores.changed from scoring); repeats are ignored", responses=errors(503))
async def receive_event(event: EventIn, session: SessionDep, principal: CurrentPrincipal,
                        scoring: ScoringClientDep, cache: ResultsCacheDep) -> dict[str, Any]:
    """Apply scoring's `scores.changed` from its outbox, at most once by its id: the period is ranked again from
    the latest scores (a publication whose results change is marked stale). Other services' tokens only (403
    otherwise); 422 for a payload without a period id. Answers whether it was applied. 503 when scoring,
    which holds the scores and the scheme, does not answer.
    """
    require_service(principal)
    if event.topic != "scores.changed":
        return {"applied": False, "reason": f"topic {event.topic} is not for ranking"}
    period_id = _period_id(event.payload)
    # Record the id first: a repeat stops here; a failure below rolls the record back with the rest.
    if not await apply_once(session, common.inbox, event):
        return {"applied": False, "reason": "already applied"}
    # A period's scheme version, label and owner never change; scoring's payload carries them
    # (older events without owner_path: read the period from scoring).
    ref = results.ref_from_payload(event.payload) or await results.period_ref(scoring, period_id)
    # what made scoring's scores change, for the audit record of a publication this makes stale
    cause = {"event": str(event.id), "score_set": event.payload.get("score_set"),
             "causes": event.payload.get("causes")}
    outcome = await results.recompute(session, scoring, cache, ref, actor=principal, cause=cause)
    return {"applied": True, "changed": outcome.changed, "unchanged": outcome.unchanged,
            "removed": outcome.removed, "frozen": outcome.frozen}


def _period_id(payload: dict[str, Any]) -> str:
    period_id = payload.get("period_id")
    if not isinstance(period_id, str) or not period_id or len(period_id) > 100:
        raise InvalidInput(_("scores.changed needs a period_id"), details={"field": "payload.period_id"})
    return period_id
