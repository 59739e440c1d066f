"""Period endpoints: state, recomputation, roll-up, 公示, 审定, reopening, snapshots."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.errors import NotFound
from services.ranking.access import Now, PeriodId
from services.ranking.clients import ScoringClientDep
from services.ranking.periods import repository, service, snapshot_check
from services.ranking.periods.schemas import (
    PeriodRead,
    PublicationCreate,
    ReopeningCreate,
    ReopeningRead,
    SnapshotCheckRead,
    SnapshotRead,
)
from services.ranking.results import service as results
from services.ranking.results.cache import ResultsCacheDep
from services.ranking.results.schemas import RecomputeRead

router = APIRouter(prefix="/v1/periods/{period_id}", tags=["periods"])


@router.get("", response_model=PeriodRead, summary="Where the period stands (computed, published, finalized)")
async def get_period(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal) -> Any:
    return service.read_for(principal, await service.get(session, period_id))


@router.post("/recompute", response_model=RecomputeRead,
             summary="Rank (or roll up) the period again from scoring's latest scores (the office)")
async def recompute(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal,
                    scoring: ScoringClientDep, cache: ResultsCacheDep) -> Any:
    return await results.recompute_by_office(session, scoring, cache, principal, period_id)


@router.post("/publication", response_model=PeriodRead, summary="Publish (公示) for N working days (the office)")
async def publish(period_id: PeriodId, payload: PublicationCreate, session: SessionDep, principal: CurrentPrincipal,
                  scoring: ScoringClientDep, cache: ResultsCacheDep, now: Now) -> Any:
    return await service.publish(session, principal, scoring, cache, period_id, working_days=payload.working_days,
                                 now=now)


@router.post("/finalize", response_model=SnapshotRead, summary="Approve (审定): freeze the period into a snapshot")
async def finalize(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal, scoring: ScoringClientDep,
                   now: Now) -> Any:
    return await service.finalize(session, principal, scoring, period_id, now=now)


@router.post("/reopen", response_model=ReopeningRead, summary="Formally reopen a finalized period, with a reason")
async def reopen(period_id: PeriodId, payload: ReopeningCreate, session: SessionDep, principal: CurrentPrincipal,
                 now: Now) -> Any:
    return await service.reopen(session, principal, period_id, reason=payload.reason, now=now)


@router.get("/reopenings", response_model=list[ReopeningRead], summary="Every reopening of the period")
async def reopenings(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal) -> Any:
    service.require_snapshot_reader(principal, await service.get(session, period_id))
    return await repository.reopenings(session, period_id)


@router.get("/snapshots", response_model=list[SnapshotRead], summary="Every finalized snapshot of the period")
async def snapshots(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal) -> Any:
    service.require_snapshot_reader(principal, await service.get(session, period_id))
    return await repository.snapshots(session, period_id)


@router.get("/snapshot-check", response_model=SnapshotCheckRead,
            summary="Check a 审定 snapshot (the latest unless `sequence` says): its bytes against its SHA-256 and the "
                    "approval's audit record, and, for the latest of a finalized period, the results served against "
                    "it subject by subject")
async def check_snapshot(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal,
                         sequence: int | None = Query(None, ge=1, le=1_000_000)) -> Any:
    period = await service.get(session, period_id)
    service.require_snapshot_reader(principal, period)
    if sequence is None:
        snapshot = await repository.latest_snapshot(session, period_id)
    else:
        snapshot = await repository.snapshot(session, period_id, sequence)
    if snapshot is None and sequence is not None:
        raise NotFound(f"period {period_id} has no snapshot {sequence}")
    return await snapshot_check.check(session, period, snapshot)


@router.get("/snapshots/{sequence}", summary="One snapshot's canonical JSON, byte for byte (hash it to check)")
async def snapshot_content(period_id: PeriodId, sequence: int, session: SessionDep, principal: CurrentPrincipal) -> Any:
    service.require_snapshot_reader(principal, await service.get(session, period_id))
    snapshot = await repository.snapshot(session, period_id, sequence)
    if snapshot is None:
        raise NotFound(f"period {period_id} has no snapshot {sequence}")
    return Response(snapshot.content.encode(), media_type="application/json",
                    headers={"X-Snapshot-SHA256": snapshot.sha256})
