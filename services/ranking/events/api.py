"""`POST /events`: events from other services' outboxes, each applied once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.errors import Forbidden, InvalidInput
from services.common.outbox import EventIn, apply_once
from services.ranking.clients import ScoringClientDep
from services.ranking.db import common
from services.ranking.results import service as results

router = APIRouter(tags=["events"])


@router.post("/events", summary="Receive an event (scores.changed from scoring); repeats are ignored")
async def receive_event(event: EventIn, session: SessionDep, principal: CurrentPrincipal,
                        scoring: ScoringClientDep) -> dict[str, Any]:
    if principal.kind != "service":
        raise Forbidden("only services deliver events")
    if event.topic != "scores.changed":
        return {"applied": False, "reason": f"topic {event.topic} is not for ranking"}
    ref = _ref(event.payload)
    # Record the id first: a repeat stops here; a failure below rolls the record back with the rest.
    if not await apply_once(session, common.inbox, event):
        return {"applied": False, "reason": "already applied"}
    outcome = await results.recompute(session, scoring, ref, actor=principal)
    return {"applied": True, "changed": outcome.changed, "unchanged": outcome.unchanged,
            "removed": outcome.removed, "frozen": outcome.frozen}


def _ref(payload: dict[str, Any]) -> results.PeriodRef:
    try:
        return results.PeriodRef(str(payload["period_id"]), str(payload["scheme_id"]),
                                 int(payload["scheme_version"]), str(payload.get("label", "")))
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("scores.changed needs period_id, scheme_id, scheme_version and label",
                           details={"field": "payload"}) from None
