"""Period endpoints: state, recomputation, roll-up, 公示, 审定, reopening, snapshots."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from kaohe.i18n import _
from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.errors import NotFound
from services.common.openapi import errors
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
    """Where the period stands in ranking: computed → published (公示) → finalized (审定), its latest publication's
    window (sequence, working days, end and calendar note), its approval, reopen count and whether the
    results went stale since they were published or approved. Any role on the branch of the period's owner, and
    anyone once it is published (the 公示 is the organisation's); 404 before it has results, and for a caller off
    the branch before it is published, as for a period ranking does not know.
    """
    period = await service.get(session, period_id)
    service.require_related(principal, period, public_once_published=True)
    return service.read_for(principal, period)


@router.post("/recompute", response_model=RecomputeRead,
             summary="Rank (or roll up) the period again from scoring's latest scores (the office)",
             responses=errors(409, 503))
async def recompute(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal,
                    scoring: ScoringClientDep, cache: ResultsCacheDep) -> Any:
    """Rank (or roll up) the period again from scoring's latest scores now, as a `scores.changed` event would:
    ranks, grades, labels and rewards by the scheme; a new result version only where one changed. The office
    (an admin over the period); 409 when finalized. 503 when scoring, which holds the scores and the scheme,
    does not answer.
    """
    return await results.recompute_by_office(session, scoring, cache, principal, period_id)


@router.post("/publication", response_model=PeriodRead,
             summary="Publish (公示) for N working days (the office)", responses=errors(409, 503))
async def publish(period_id: PeriodId, payload: PublicationCreate, session: SessionDep, principal: CurrentPrincipal,
                  scoring: ScoringClientDep, cache: ResultsCacheDep, now: Now) -> Any:
    """Publish (公示) the current results for a window of working days, counted by the holiday calendar: the
    scheme's, or `working_days` when not shorter. A re-publication (results changed during a 公示) restarts the
    window and shows the new results. Records the list's digest and the heads of the three audit chains, and
    tells scoring and evidence. The office (an admin over the period); 409 when finalized. 503 when scoring,
    which holds the scores and the scheme, does not answer, or when evidence or scoring cannot give its audit
    chain head (`details.missing` = `audit_chain_head`, `details.service` names it; nothing is written).
    """
    return await service.publish(session, principal, scoring, cache, period_id, working_days=payload.working_days,
                                 now=now)


@router.post("/finalize", response_model=SnapshotRead,
             summary="Approve (审定): freeze the period into a snapshot", responses=errors(409, 503))
async def finalize(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal, scoring: ScoringClientDep,
                   now: Now) -> Any:
    """Approve (审定) the period after its 公示 window ended with every objection answered: its results are frozen
    into a snapshot (canonical JSON with the audit chain heads) and its SHA-256 kept in the audit chain. The
    office (an admin over the period); 409 before publication, while the window runs, with an objection open,
    or when the results went stale since the 公示. 503 when scoring, which holds the scores and the scheme,
    does not answer, or when evidence or scoring cannot give its audit chain head (`details.missing` =
    `audit_chain_head`, `details.service` names it; no snapshot is written).
    """
    return await service.finalize(session, principal, scoring, period_id, now=now)


@router.post("/reopen", response_model=ReopeningRead,
             summary="Formally reopen a finalized period, with a reason", responses=errors(409))
async def reopen(period_id: PeriodId, payload: ReopeningCreate, session: SessionDep, principal: CurrentPrincipal,
                 now: Now) -> Any:
    """Formally reopen a finalized period with a reason kept on record: it goes back to computed, results may
    change, and a later 审定 makes a new snapshot (the earlier ones stay). The office (an admin over the
    period); 409 when it is not finalized.
    """
    return await service.reopen(session, principal, period_id, reason=payload.reason, now=now)


@router.get("/reopenings", response_model=list[ReopeningRead], summary="Every reopening of the period")
async def reopenings(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal) -> Any:
    """Every formal reopening of the period, oldest first: reason, who, when, and the snapshot it followed.
    Admins and auditors over the period.
    """
    service.require_snapshot_reader(principal, await service.get(session, period_id))
    return await repository.reopenings(session, period_id)


@router.get("/snapshots", response_model=list[SnapshotRead], summary="Every finalized snapshot of the period")
async def snapshots(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal) -> Any:
    """Every snapshot of the period's approvals (审定), oldest first: sequence, SHA-256, who approved it when and
    the audit chain heads. Admins and auditors over the period.
    """
    service.require_snapshot_reader(principal, await service.get(session, period_id))
    return await repository.snapshots(session, period_id)


@router.get("/snapshot-check", response_model=SnapshotCheckRead,
            summary="Check a 审定 snapshot (the latest unless `sequence` says): its bytes against its SHA-256 and the "
                    "approval's audit record, and, for the latest of a finalized period, the results served against "
                    "it subject by subject")
async def check_snapshot(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal,
                         sequence: int | None = Query(None, ge=1, le=1_000_000)) -> Any:
    """Check a snapshot (the latest unless `sequence` says): its stored bytes hash to its SHA-256, the SHA-256
    is the one the approval's audit record holds, and, for the latest snapshot of a period still finalized,
    the results served now agree with it subject by subject (each difference named). Admins and auditors over
    the period; 404 for an unknown sequence.
    """
    period = await service.get(session, period_id)
    service.require_snapshot_reader(principal, period)
    if sequence is None:
        snapshot = await repository.latest_snapshot(session, period_id)
    else:
        snapshot = await repository.snapshot(session, period_id, sequence)
    if snapshot is None and sequence is not None:
        raise NotFound(_("period %(period_id)s has no snapshot %(sequence)s", period_id=period_id, sequence=sequence))
    return await snapshot_check.check(session, period, snapshot)


@router.get("/snapshots/{sequence}", summary="One snapshot's canonical JSON, byte for byte (hash it to check)")
async def snapshot_content(period_id: PeriodId, sequence: int, session: SessionDep, principal: CurrentPrincipal) -> Any:
    """One snapshot's canonical JSON exactly as frozen, byte for byte: its SHA-256 is the one recorded at 审定, so
    anyone may hash it to check. Admins and auditors over the period.
    """
    service.require_snapshot_reader(principal, await service.get(session, period_id))
    snapshot = await repository.snapshot(session, period_id, sequence)
    if snapshot is None:
        raise NotFound(_("period %(period_id)s has no snapshot %(sequence)s", period_id=period_id, sequence=sequence))
    return Response(snapshot.content.encode(), media_type="application/json",
                    headers={"X-Snapshot-SHA256": snapshot.sha256})
