"""Rectification notices (000 篇3 问题整改单): issued by an inspector, answered by the unit, signed by
its head; an overdue notice raises its configured follow-up deduction event as a fact."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _, status_word
from services.common import audit, notify
from services.common.auth import Principal, Role
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.settings import get_settings
from services.evidence.facts import service as facts
from services.evidence.periods.service import scoped_writable_period, writable_period
from services.evidence.rectifications import repository
from services.evidence.rectifications.models import RectificationNotice
from services.evidence.rectifications.schemas import FeedbackIn, NoticeCreate, SignIn
from services.evidence.scoring_client import ScoringClient

READERS: tuple[Role, ...] = ("admin", "auditor", "assessor", "reviewer", "submitter")


async def issue(session: AsyncSession, principal: Principal, scoring: ScoringClient,
                payload: NoticeCreate) -> RectificationNotice:
    """An inspector (assessor over the unit) issues a notice."""
    if not (principal.kind == "service" or principal.has_role("assessor") or principal.has_role("admin")):
        raise Forbidden(_("%(subject)s may not issue rectification notices", subject=principal.subject))
    # scope first: another department's period or unit is answered as one that does not exist (not enrolled)
    period = await scoped_writable_period(session, principal, scoring, payload.period_id)
    unit = await scoring.seen_subject(principal, payload.period_id, payload.subject_id)
    if not principal.can(("assessor", "admin"), unit.unit_path):  # names the subject, never its unit path
        raise Forbidden(_("%(subject)s may not issue rectification notices for subject %(subject_id)s",
                          subject=principal.subject, subject_id=unit.id))
    follow = payload.follow_up
    if follow is not None and follow.indicator is not None and period.fact_kinds.get(follow.indicator) != "event":
        raise InvalidInput(_("indicator %(indicator)r does not read event facts", indicator=follow.indicator),
                           details={"field": "follow_up.indicator"})
    notice = RectificationNotice(
        id=str(uuid.uuid4()), period_id=period.id, subject_id=unit.id, unit_path=unit.unit_path,
        checked_at=payload.checked_at, inspector=principal.subject, problem=payload.problem, opinion=payload.opinion,
        deadline=payload.deadline, status="open", follow_up=follow.model_dump(exclude_none=True) if follow else None,
        version=1)
    await repository.add(session, notice)
    audit.record(session, actor=principal, action="rectification.issue", entity_type="rectification_notice",
                 entity_id=notice.id, after=payload.model_dump(mode="json"))
    _announce(session, "rectification.issued", notice)
    return notice


def _announce(session: AsyncSession, type: str, notice: RectificationNotice, at: datetime | None = None) -> None:
    notify.publish(session, type, entity_id=notice.id, unit_path=notice.unit_path, period_id=notice.period_id,
                   subject_id=notice.subject_id, deadline=notice.deadline.isoformat(), at=at)


async def get_readable(session: AsyncSession, principal: Principal, notice_id: str) -> RectificationNotice:
    notice = await repository.get(session, notice_id)
    if notice is None or not principal.can(READERS, notice.unit_path):
        raise NotFound(_("rectification notice %(notice_id)s not found", notice_id=notice_id))
    return notice


async def _claimed(session: AsyncSession, notice: RectificationNotice, version: int) -> RectificationNotice:
    claimed = await repository.claim(session, notice.id, version)
    if claimed is None:
        raise Conflict(_("the notice changed since you read it; reload and retry"))
    return claimed


async def feedback(session: AsyncSession, principal: Principal, scoring: ScoringClient, notice_id: str,
                   payload: FeedbackIn, *, now: datetime) -> RectificationNotice:
    """The inspected unit reports how it rectified (整改情况反馈)."""
    notice = await get_readable(session, principal, notice_id)
    principal.require(("submitter", "admin"), notice.unit_path)
    await writable_period(session, scoring, notice.period_id)
    if notice.status not in ("open", "answered"):
        raise Conflict(_("this notice is %(status)s and takes no more feedback",
                         status=status_word("notice", notice.status)), details={"status": notice.status})
    claimed = await _claimed(session, notice, payload.version)
    claimed.feedback, claimed.feedback_at, claimed.status = payload.feedback, now, "answered"
    audit.record(session, actor=principal, action="rectification.feedback", entity_type="rectification_notice",
                 entity_id=notice.id, after={"feedback": payload.feedback})
    _announce(session, "rectification.answered", claimed)
    return claimed


async def sign(session: AsyncSession, principal: Principal, scoring: ScoringClient, notice_id: str,
               payload: SignIn, *, now: datetime) -> RectificationNotice:
    """The unit's head signs the feedback (单位负责人签字), closing the notice."""
    notice = await get_readable(session, principal, notice_id)
    principal.require(("reviewer", "admin"), notice.unit_path)
    await writable_period(session, scoring, notice.period_id)
    if notice.status != "answered":
        raise Conflict(_("only a notice with feedback can be signed") if notice.status == "open"
                       else _("this notice is %(status)s and cannot be signed",
                              status=status_word("notice", notice.status)), details={"status": notice.status})
    claimed = await _claimed(session, notice, payload.version)
    claimed.signed_by, claimed.signed_at, claimed.status = principal.subject, now, "signed"
    audit.record(session, actor=principal, action="rectification.sign", entity_type="rectification_notice",
                 entity_id=notice.id, after={"signed_by": principal.subject})
    return claimed


async def sweep_overdue(session: AsyncSession, now: datetime) -> int:
    """Mark unsigned notices past their deadline day overdue and raise their follow-up events."""
    zone = ZoneInfo(get_settings().timezone)
    today = now.astimezone(zone).date()
    notices = await repository.overdue(session, today)
    for notice in notices:
        notice.status, notice.version = "overdue", notice.version + 1
        audit.record(session, actor="system:rectification-sweep", action="rectification.overdue",
                     entity_type="rectification_notice", entity_id=notice.id)
        # overdue from the start of the day after the deadline (local), however late the sweep runs
        became = datetime.combine(notice.deadline + timedelta(days=1), time(0), tzinfo=zone)
        _announce(session, "rectification.overdue", notice, at=became)
        if notice.follow_up:
            body = {"id": f"rect-{notice.id}", "subject": notice.subject_id, **notice.follow_up, "fact": "event",
                    "date": (notice.deadline + timedelta(days=1)).isoformat(), "key": notice.id}
            await facts.upsert(session, actor="system:rectification-sweep", period_id=notice.period_id,
                               unit_path=notice.unit_path, body=body, source_type="rectification",
                               source_id=notice.id)
    return len(notices)


async def page(session: AsyncSession, principal: Principal, period_id: str) -> list[RectificationNotice]:
    return list(await repository.page(session, period_id=period_id, scopes=principal.scopes_for(*READERS)))
