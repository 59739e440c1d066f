"""Rectification notices: issue, feedback, sign-off, read, and the overdue sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.listing import MAX_LIMIT, Limit, ListPage, Offset, StatusFilter, SubjectFilter
from services.common.openapi import errors
from services.evidence.clock import Now, sweep_moment
from services.evidence.db import IdempotencyDep
from services.evidence.rectifications import service
from services.evidence.rectifications.schemas import FeedbackIn, NoticeCreate, NoticeRead, SignIn
from services.evidence.scoring_client import ScoringClientDep

router = APIRouter(prefix="/v1/rectifications", tags=["rectification notices"])


@router.post("", status_code=201, response_model=NoticeRead, summary="Issue a rectification notice (inspector)",
             responses=errors(409, 503))
async def issue_notice(payload: NoticeCreate, session: SessionDep, principal: CurrentPrincipal,
                       scoring: ScoringClientDep, idem: IdempotencyDep, now: Now) -> JSONResponse:
    """Issue a rectification notice (问题整改单) to a subject: when it was inspected, the problem found (发现问题), the
    handling opinion (处理意见), the deadline, and optionally the deduction event to raise if it is not signed
    off in time. The inspector is an assessor or admin over the subject's unit. The deadline is today or later
    and at most `KAOHE_EVIDENCE_RECTIFICATION_GRACE_DAYS` after the period's last day; the follow-up names a
    `deduction` leaf (`indicator`) and one of its event types (`type`), `count` 1 to 10, and nothing else (422
    naming the field). Repeat with the same `Idempotency-Key` to get the first answer. 503 when scoring, which
    knows the periods and subjects, does not answer.
    """
    async def create() -> NoticeRead:
        return NoticeRead.model_validate(await service.issue(session, principal, scoring, payload, now=now))

    response: JSONResponse = await idem.once(session, principal, payload, create)
    return response


@router.post("/{notice_id}/feedback", response_model=NoticeRead, summary="Report the rectification (the unit)",
             responses=errors(409, 503))
async def give_feedback(notice_id: str, payload: FeedbackIn, session: SessionDep, principal: CurrentPrincipal,
                        scoring: ScoringClientDep, now: Now) -> NoticeRead:
    """The inspected unit's feedback on what it rectified (整改反馈), while the notice is open or answered (again
    replaces it); 409 once signed or overdue, or with a stale `version`. 503 when scoring, which knows the
    periods and subjects, does not answer.
    """
    return NoticeRead.model_validate(await service.feedback(session, principal, scoring, notice_id, payload, now=now))


@router.post("/{notice_id}/sign", response_model=NoticeRead, summary="Sign off (the unit's head)",
             responses=errors(409, 503))
async def sign_notice(notice_id: str, payload: SignIn, session: SessionDep, principal: CurrentPrincipal,
                      scoring: ScoringClientDep, now: Now) -> NoticeRead:
    """The unit head's sign-off (签字) of the feedback: the notice is closed as signed. Only a notice with
    feedback can be signed (409 otherwise, and with a stale `version`). 503 when scoring, which knows the
    periods and subjects, does not answer.
    """
    return NoticeRead.model_validate(await service.sign(session, principal, scoring, notice_id, payload, now=now))


@router.get("/{notice_id}", response_model=NoticeRead, summary="One notice")
async def get_notice(notice_id: str, session: SessionDep, principal: CurrentPrincipal) -> NoticeRead:
    """One notice with its feedback, sign-off, status and version, for those who may read the unit's."""
    return NoticeRead.model_validate(await service.get_readable(session, principal, notice_id))


@router.get("", response_model=ListPage[NoticeRead], summary="Notices of a period the caller may read (paged)")
async def list_notices(session: SessionDep, principal: CurrentPrincipal,
                       period_id: Annotated[str, Query(max_length=100)], subject_id: SubjectFilter = None,
                       status: StatusFilter = None, offset: Offset = 0,
                       limit: Limit = MAX_LIMIT) -> ListPage[NoticeRead]:
    """The notices of a period the caller may read (the office's readers and reviewers over the units), in the order
    they were checked, optionally of one subject or status (`open`, `answered`, `signed`, `overdue`), `limit` rows
    after `offset`, with the list's `total_count`.
    """
    total, found = await service.page(session, principal, period_id, subject_id=subject_id, status=status,
                                      offset=offset, limit=limit)
    return ListPage[NoticeRead](items=[NoticeRead.model_validate(n) for n in found], total_count=total)


@router.post("/sweep", summary="Mark overdue notices and raise follow-up events (admin; `now` for tests)")
async def sweep(session: SessionDep, principal: CurrentPrincipal, clock: Now,
                now: Annotated[datetime | None, Query()] = None) -> dict[str, int]:
    """Mark every notice not signed by its deadline day overdue and raise its follow-up deduction event, as the
    sweeper does on its own; `now` replays a moment. Admins of the whole organisation. Answers how many went
    overdue.
    """
    principal.require("admin", "")
    return {"overdue": await service.sweep_overdue(session, sweep_moment(now, clock))}
