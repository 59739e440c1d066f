"""Result endpoints: the ranking table, one subject's result and history, batch reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.common.auth import CurrentPrincipal
from services.common.batch import query_length, split_ids
from services.common.db import SessionDep
from services.ranking.access import PeriodId, SubjectId
from services.ranking.results import service
from services.ranking.results.schemas import ResultPage, ResultRead

router = APIRouter(prefix="/v1/periods/{period_id}", tags=["results"])
MAX_BATCH = 200


@router.get("/ranking", response_model=ResultPage,
            summary="The ranking table: the office roles' current rows, else what the 公示 shows them (paged)")
async def ranking_table(
    period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal,
    group: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """The period's ranking table, best first, optionally of one peer group (组别), paged by `offset` and `limit`
    (1–500) with the total: the office roles (admin, assessor, auditor) see the current rows over their
    units; others (a reviewer, a subject) see what the 公示 shows them, and before it nothing.
    """
    total, rows, full = await service.table_page(session, principal, period_id, group=group, offset=offset,
                                                 limit=limit)
    return ResultPage(period_id=period_id, total_count=total, offset=offset, limit=limit,
                      items=[ResultRead.shown(row, full=full) for row in rows])


@router.get("/results", response_model=list[ResultRead],
            summary="Batch read of results (`subject_ids=a,b`) as the caller may see them; others are left out")
async def batch_results(
    period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal,
    subject_ids: Annotated[str, Query(max_length=query_length(MAX_BATCH))],
) -> Any:
    """Several subjects' results at once (`subject_ids=a,b`, at most 200), each as the caller may see it
    (current for the office roles, as published for a subject); the others are left out, not refused.
    """
    ids = split_ids(subject_ids, field="subject_ids", limit=MAX_BATCH)
    found = await service.readable_results(session, principal, period_id, ids)
    return [ResultRead.shown(row, full=full) for row, full in found]


@router.get("/results/{subject_id}", response_model=ResultRead,
            summary="One subject's result: current for the office roles, as published (公示) for the others")
async def subject_result(
    period_id: PeriodId, subject_id: SubjectId, session: SessionDep, principal: CurrentPrincipal
) -> Any:
    """One subject's result: total, rank, grade with its reason, labels, rewards and veto flags; current for the
    office roles over its unit, as published (公示) for the subject itself. 404 when it has none the caller may
    see.
    """
    row, full = await service.get_current(session, principal, period_id, subject_id)
    return ResultRead.shown(row, full=full)


@router.get("/results/{subject_id}/history", response_model=list[ResultRead],
            summary="Every version of one subject's result, oldest first")
async def subject_history(
    period_id: PeriodId, subject_id: SubjectId, session: SessionDep, principal: CurrentPrincipal
) -> Any:
    """Every version of one subject's result, oldest first (a new version only when the result changed), for the
    office roles over its unit.
    """
    return [ResultRead.of(row) for row in await service.get_history(session, principal, period_id, subject_id)]
