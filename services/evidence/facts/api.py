"""`GET /v1/facts`: the current facts of a period, paged by cursor, so scoring can rebuild."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.evidence.facts import service
from services.evidence.facts.schemas import FactPage

router = APIRouter(prefix="/v1/facts", tags=["facts"])


@router.get("", response_model=FactPage, summary="Current facts of a period (cursor-paged)")
async def list_facts(
    session: SessionDep, principal: CurrentPrincipal,
    period_id: Annotated[str, Query(max_length=100)],
    after: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    subject_id: Annotated[str | None, Query(max_length=100)] = None,
    indicator: Annotated[str | None, Query(max_length=100)] = None,
) -> FactPage:
    """The current facts (事实) of a period, made by approved submissions, closed rating tasks, journals and
    deductions, optionally of one subject or indicator, in pages of `limit` (1–1000) by cursor: pass the
    answer's `next` as `after`. Scoring reads it to rebuild a period; callers see the facts of the units they
    may read.
    """
    items, cursor = await service.page(session, principal, period_id=period_id, after=after, limit=limit,
                                       subject_id=subject_id, indicator=indicator)
    return FactPage(period_id=period_id, items=items, next=cursor)
