"""HTTP routes of the scores context, and `POST /events` (events from evidence and ranking)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.engine.canonical import canonical_json
from kaohe.i18n import _
from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.errors import InvalidInput
from services.common.openapi import errors
from services.common.outbox import EventBatchIn, EventIn, apply_many_once, apply_once
from services.scoring.db import common
from services.scoring.organisation.api import MAX_BATCH, split_ids
from services.scoring.periods.models import Period
from services.scoring.scores import service
from services.scoring.scores.cache import ScoresCacheDep
from services.scoring.scores.evidence_client import fetch_facts
from services.scoring.scores.schemas import (
    FactChange,
    PeriodProblems,
    RecomputeResult,
    ScoresRead,
    ScoreVersionRead,
    VerifyResult,
)

events_router = APIRouter(tags=["events"])
router = APIRouter(prefix="/v1/periods", tags=["scores"])


@events_router.post("/events", summary="Events from other services (fact.changed, period.status), applied once",
                    responses=errors(409))
async def receive_event(event: EventIn, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Apply an event from another service's outbox, at most once by its id: evidence's `fact.changed` (the fact
    copies change and the period is rescored; 409 for a finalized period) and ranking's `period.status`. Other
    services' tokens only (403 otherwise). Answers whether it was applied (`duplicate` for a repeat).
    """
    service.check_event_caller(principal)
    return await _apply(session, event)


@events_router.post("/events/batch", summary="Several events from another service's outbox in one transaction, "
                    "each applied once", responses=errors(409))
async def receive_events(batch: EventBatchIn, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Apply consecutive events of another service's outbox (at most 500), in their order and in one transaction,
    each as `POST /events` applies it and at most once by its id: a file of facts then makes one recompute, not one
    per fact. With `more` (the sender holds more right behind these), the recompute of the periods they changed
    waits for the next batch, 15 seconds at most (and no longer than a batch that changes none of them). All or
    nothing: one refused event (409 for a finalized period)
    refuses the batch, and the sender sends each alone. Other services' tokens only (403 otherwise). Answers each
    event's outcome, in order.
    """
    service.check_event_caller(principal)
    locked = await service.lock_periods(session, [e.payload.get("period_id") for e in batch.events
                                                  if e.topic == "fact.changed"])
    due = {period_id: period.recompute_due_at for period_id, period in locked.items()}
    # each event marks its period due: written once at the end, not before every statement (the period is an
    # audited row: each UPDATE digests it whole, result meta included)
    with session.no_autoflush:
        outcomes = await _apply_all(session, batch.events, locked)
        if batch.more:
            service.hold_recompute(locked.values(), due)
        await service.release_held(session, locked)
    return {"events": outcomes}


async def _apply_all(session: AsyncSession, events: list[EventIn], locked: dict[str, Period]) -> list[dict[str, Any]]:
    """The outcome of each event of a batch, as `_apply` one after the other would give it: the inbox takes every
    id in one statement, and each run of fact changes is written together (service.apply_fact_changes)."""
    fresh = await apply_many_once(session, common.inbox, events)
    outcomes: list[dict[str, Any]] = []
    changes: list[tuple[FactChange, str]] = []  # a run of fact changes not yet written, the last of `outcomes`

    async def write_changes() -> None:
        applied = await service.apply_fact_changes(session, changes, locked) if changes else []
        outcomes[len(outcomes) - len(changes):] = [{"applied": a} for a in applied]
        changes.clear()

    for event in events:
        if event.id not in fresh:  # applied before, or earlier in this batch
            await write_changes()
            outcomes.append({"applied": False, "duplicate": True})
        elif event.topic == "fact.changed":
            fresh.discard(event.id)
            changes.append((_fact_change(event), f"event:{event.id}"))
            outcomes.append({})
        else:
            fresh.discard(event.id)
            await write_changes()
            outcomes.append(await _applied(session, event))
    await write_changes()
    return outcomes


def _fact_change(event: EventIn) -> FactChange:
    try:
        return FactChange.model_validate(event.payload)
    except ValidationError as exc:
        raise InvalidInput(_("fact.changed payload is invalid"),
                           details=exc.errors(include_url=False, include_context=False)) from None


async def _apply(session: AsyncSession, event: EventIn) -> dict[str, Any]:
    if not await apply_once(session, common.inbox, event):
        return {"applied": False, "duplicate": True}
    if event.topic == "fact.changed":
        return {"applied": await service.apply_fact_change(session, _fact_change(event), cause=f"event:{event.id}")}
    return await _applied(session, event)


async def _applied(session: AsyncSession, event: EventIn) -> dict[str, Any]:
    """An event other than a fact change, recorded in the inbox already."""
    if event.topic == "period.status":
        return {"applied": await service.apply_period_status(session, event.payload, source=event.source)}
    return {"applied": False, "reason": f"topic {event.topic} is not for scoring"}


@router.post("/{period_id}/recompute", response_model=RecomputeResult,
             responses=errors(409), summary="Recompute a period's scores now")
async def recompute(period_id: str, session: SessionDep, principal: CurrentPrincipal,
                    cache: ScoresCacheDep) -> RecomputeResult:
    """Score the period now with the engine from its stored scheme version and fact copies: a new score version
    for every changed value, and ranking told. Normally done by itself after fact changes. An admin over the
    period's owner, or a service; 409 when the period is finalized (审定).
    """
    return await service.recompute_now(session, cache, principal, period_id)


@router.post("/{period_id}/rebuild", response_model=RecomputeResult,
             summary="Replace the fact copies with evidence's current facts, then recompute",
             responses=errors(409, 503))
async def rebuild(period_id: str, request: Request, session: SessionDep,
                  principal: CurrentPrincipal, cache: ScoresCacheDep) -> RecomputeResult:
    """Replace the period's fact copies with exactly the facts evidence holds now (read page by page), then
    recompute: the repair when copies may have drifted. An admin over the period's owner; 409 when finalized.
    503 when evidence, which holds the facts, does not answer.
    """
    await service.recompute_precheck(session, principal, period_id)
    facts = await fetch_facts(period_id, getattr(request.app.state, "evidence_transport", None))
    return await service.replace_facts(session, cache, principal, period_id, facts)


@router.post("/{period_id}/verify", response_model=VerifyResult,
             summary="Recompute from the stored scheme version and facts; compare with the stored scores")
async def verify(period_id: str, request: Request, session: SessionDep, principal: CurrentPrincipal) -> VerifyResult:
    """Recompute the period from its stored scheme version and fact copies without storing anything and compare:
    `ok`, the inputs hash, and each mismatch (the inputs hash, or a subject's indicator with the stored and
    computed values), and `provenance`: each fact copy that is not a fact evidence holds as its last audited change
    made it, each fact of evidence missing from the copies, each cause of a score version that is no audited change
    of evidence (`{period_id, kind, fact, cause, record_id, message}`; `ok` is false with any). Evidence is asked
    (503 when it does not answer). For admins and auditors over the period's owner.
    """
    return await service.verify(session, principal, period_id, getattr(request.app.state, "evidence_transport", None))


@router.get("/{period_id}/inputs/{part}", response_class=Response, responses=errors(403, 404),
            summary="The scheme document or the facts document the period is scored on, for `kaohe evaluate`")
async def inputs(period_id: str, part: Literal["scheme", "facts"], session: SessionDep,
                 principal: CurrentPrincipal) -> Response:
    """The period's inputs exactly as the engine scores them, as canonical JSON: `scheme` (the scheme version's
    document) or `facts` (docs/scheme-reference.md §5: the period's subjects with their groups and attributes, and every
    live fact, look-back facts of earlier periods included). `kaohe evaluate --scheme S --facts F` on the two gives
    the stored scores and `X-Inputs-SHA256` (the period's stored `inputs_sha256`, at score set `X-Score-Set`),
    unless `X-Recompute-Pending` is `true`. For admins and auditors over the period's owner.
    """
    found = await service.inputs(session, principal, period_id)
    headers = {"X-Inputs-SHA256": found.inputs_sha256 or "", "X-Score-Set": str(found.score_set),
               "X-Recompute-Pending": "true" if found.recompute_pending else "false"}
    return Response(canonical_json(found.scheme if part == "scheme" else found.facts),
                    media_type="application/json", headers=headers)


@router.get("/{period_id}/scores", response_model=ScoresRead, summary="Latest full-precision scores")
async def scores(period_id: str, session: SessionDep, principal: CurrentPrincipal,
                 subject_ids: Annotated[str | None, Query(max_length=MAX_BATCH * 65)] = None,
                 since_score_set: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
                 period_key: Annotated[str | None, Query(max_length=100)] = None) -> ScoresRead:
    """The latest full-precision scores of every subject the caller may read (ranking reads them all),
    optionally of some subjects (`subject_ids=a,b`). With `since_score_set` and the `period_key` of an
    earlier answer, only what changed since (`partial`), unless the key no longer matches (then everything).
    """
    wanted = split_ids(subject_ids) if subject_ids is not None else None
    return await service.scores(session, principal, period_id, wanted, since_score_set=since_score_set,
                                key=period_key)


@router.get("/{period_id}/problems", response_model=PeriodProblems, summary="What the engine could not use",
            responses=errors(403, 404))
async def problems(period_id: str, session: SessionDep, principal: CurrentPrincipal,
                   subject_id: Annotated[str | None, Query(max_length=64)] = None) -> PeriodProblems:
    """The problems of the period's last computation (scheme-reference §5): each fact the engine left out or could
    not read (an unknown event type, a fact that fits no leaf…) with its id, and the subject it is about where the
    problem or the fact's copy names one; with `subject_id` only that subject's. For admins and auditors over the
    period's owner (404 off the caller's branch, as for a period that does not exist), and the services."""
    return await service.problems(session, principal, period_id, subject_id)


@router.get("/{period_id}/subjects/{subject_id}/history", response_model=list[ScoreVersionRead],
            summary="The score history of a subject's indicator")
async def history(period_id: str, subject_id: str, session: SessionDep, principal: CurrentPrincipal,
                  indicator: Annotated[str, Query(max_length=100)] = "total",
                  as_of: datetime | None = None) -> list[ScoreVersionRead]:
    """Every stored version of one subject's indicator (`total` by default), oldest first, each with its cause
    and facts; with `as_of` (an instant with its time zone) only the version in force then. For admins,
    assessors and auditors over the subject's unit, and the services.
    """
    if as_of is not None and as_of.tzinfo is None:
        raise InvalidInput(_("as_of needs a time zone (e.g. 2026-04-01T08:00:00+08:00)"), details={"field": "as_of"})
    return await service.history(session, principal, period_id, subject_id, indicator, as_of)
