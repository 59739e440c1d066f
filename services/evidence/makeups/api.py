"""Make-ups (补报): the office approves late evidence of a subject once the period's collection closed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.listing import MAX_LIMIT, Limit, ListPage, Offset, SubjectFilter
from services.common.openapi import errors
from services.evidence.clock import Now
from services.evidence.db import IdempotencyDep
from services.evidence.makeups import service
from services.evidence.makeups.schemas import MakeupCreate, MakeupRead
from services.evidence.scoring_client import ScoringClientDep

router = APIRouter(prefix="/v1/makeups", tags=["make-ups"])
Id = Annotated[str, Query(min_length=1, max_length=100)]


@router.post("", status_code=201, response_model=MakeupRead, summary="Approve a make-up (补报) of late evidence",
             responses=errors(403, 409, 503))
async def grant_makeup(payload: MakeupCreate, session: SessionDep, principal: CurrentPrincipal,
                       scoring: ScoringClientDep, idem: IdempotencyDep, now: Now) -> JSONResponse:
    """The assessment office (an admin over the period's owner, never for its own subject) approves a make-up:
    once the period no longer collects evidence (`scoring`, published, reopened), new evidence of the subject (of
    `indicator`, or of any indicator when it is left out) is taken until `closes_at`, the end of the
    `KAOHE_EVIDENCE_LATE_MAKEUP_WORKING_DAYS`-th working day (default 5). Repeat with the same `Idempotency-Key`
    to get the first answer. 503 when scoring, which knows the periods and subjects, does not answer.
    """
    async def create() -> MakeupRead:
        return await service.grant(session, principal, scoring, payload, now=now)

    response: JSONResponse = await idem.once(session, principal, payload, create)
    return response


@router.get("", response_model=ListPage[MakeupRead], summary="A period's make-ups the caller may read (paged)")
async def list_makeups(period_id: Id, session: SessionDep, principal: CurrentPrincipal,
                       subject_id: SubjectFilter = None, offset: Offset = 0,
                       limit: Limit = MAX_LIMIT) -> ListPage[MakeupRead]:
    """The make-ups of a period (of one subject) the caller may see, in the order they were approved, `limit` rows
    after `offset`, with the list's `total_count` (chosen and counted with the caller's scope)."""
    total, found = await service.listed(session, principal, period_id, subject_id, offset=offset, limit=limit)
    return ListPage[MakeupRead](items=found, total_count=total)
