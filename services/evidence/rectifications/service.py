"""Rectification notices (000 篇3 问题整改单): issued by an inspector, answered by the unit, signed by
its head; an overdue notice raises its configured follow-up deduction event as a fact."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.engine.scheme.evidence_rules import period_span
from kaohe.i18n import _, listed, status_word
from services.common import audit, notify
from services.common.auth import Principal, Role
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.settings import get_settings
from services.evidence.config import evidence_settings
from services.evidence.facts import service as facts
from services.evidence.periods.service import scoped_writable_period, writable_period
from services.evidence.rectifications import repository
from services.evidence.rectifications.models import RectificationNotice
from services.evidence.rectifications.schemas import FeedbackIn, FollowUp, NoticeCreate, SignIn
from services.evidence.scoring_client import PeriodInfo, ScoringClient

READERS: tuple[Role, ...] = ("admin", "auditor", "assessor", "reviewer", "submitter")
SWEEP = "system:rectification-sweep"


async def issue(session: AsyncSession, principal: Principal, scoring: ScoringClient,
                payload: NoticeCreate, *, now: datetime) -> RectificationNotice:
    """An inspector (assessor over the unit) issues a notice."""
    if not (principal.kind == "service" or principal.has_role("assessor") or principal.has_role("admin")):
        raise Forbidden(_("%(subject)s may not issue rectification notices", subject=principal.subject))
    # scope first: another department's period or unit is answered as one that does not exist (not enrolled)
    period = await scoped_writable_period(session, principal, scoring, payload.period_id)
    unit = await scoring.seen_subject(principal, payload.period_id, payload.subject_id)
    if not principal.can(("assessor", "admin"), unit.unit_path):  # names the subject, never its unit path
        raise Forbidden(_("%(subject)s may not issue rectification notices for subject %(subject_id)s",
                          subject=principal.subject, subject_id=unit.id))
    _check_deadline(payload.deadline, period, now)
    follow = payload.follow_up
    if follow is not None:
        _check_follow_up(follow, period)
    notice = RectificationNotice(
        id=str(uuid.uuid4()), period_id=period.id, subject_id=unit.id, unit_path=unit.unit_path,
        checked_at=payload.checked_at.astimezone(UTC), inspector=principal.subject, problem=payload.problem,
        opinion=payload.opinion,
        deadline=payload.deadline, status="open", follow_up=follow.model_dump() if follow else None,
        period_label=period.label, version=1)
    await repository.add(session, notice)
    audit.record(session, actor=principal, action="rectification.issue", entity_type="rectification_notice",
                 entity_id=notice.id, after=payload.model_dump(mode="json"), details=_details(notice))
    _announce(session, "rectification.issued", notice)
    return notice


def _details(notice: RectificationNotice, **more: Any) -> dict[str, Any]:
    """What every audit record of a notice carries: its follow-up (null: none) and deadline."""
    return {"follow_up": notice.follow_up, "deadline": notice.deadline.isoformat(), **more}


def _check_deadline(deadline: date, period: PeriodInfo, now: datetime) -> None:
    """The deadline is today or later (local, the application's clock: the unit has until the end of that day) and
    at most the grace days after the period's last day (after today when the label tells no days)."""
    today = now.astimezone(ZoneInfo(get_settings().timezone)).date()
    if deadline < today:
        raise InvalidInput(_("deadline %(deadline)s has passed (today is %(today)s): give today or a later day",
                             deadline=deadline.isoformat(), today=today.isoformat()),
                           details={"field": "deadline", "reason": "passed"})
    grace = evidence_settings().rectification_grace_days
    span = period_span(period.label) if period.label else None
    last = (span[1] if span else today) + timedelta(days=grace)
    if deadline > last:
        message = _("deadline %(deadline)s is after %(last)s, %(days)s days after the last day of period "
                    "%(period)s", deadline=deadline.isoformat(), last=last.isoformat(), days=grace,
                    period=period.label) if span else \
            _("deadline %(deadline)s is after %(last)s, %(days)s days from today", deadline=deadline.isoformat(),
              last=last.isoformat(), days=grace)
        raise InvalidInput(message, details={"field": "deadline", "reason": "too late"})


def _check_follow_up(follow: FollowUp, period: PeriodInfo) -> None:
    """A follow-up deducts: its indicator is a `deduction` leaf of the period's scheme and its type one that leaf
    reads (never an accrual's bonus, a veto or another leaf's type)."""
    deductions = sorted(code for code, kind in period.rule_kinds.items() if kind == "deduction")
    if follow.indicator not in deductions:
        raise InvalidInput(_("indicator %(indicator)r is not a deduction leaf of period %(period)s: a follow-up can "
                             "only deduct (its deduction leaves: %(known)s)", indicator=follow.indicator,
                             period=period.id, known=listed(deductions) or _("none")),
                           details={"field": "follow_up.indicator", "reason": "not a deduction leaf"})
    types = period.event_types.get(follow.indicator, ())
    if follow.type not in types:
        raise InvalidInput(_("event type %(type)r is not one that indicator %(indicator)s deducts for (its types: "
                             "%(known)s)", type=follow.type, indicator=follow.indicator,
                             known=listed(types) or _("none")),
                           details={"field": "follow_up.type", "reason": "not a deduction type"})


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
                 entity_id=notice.id, after={"feedback": payload.feedback}, details=_details(claimed))
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
                 entity_id=notice.id, after={"signed_by": principal.subject}, details=_details(claimed))
    return claimed


async def sweep_overdue(session: AsyncSession, now: datetime) -> int:
    """Mark unsigned notices past their deadline day overdue and raise their follow-up events."""
    zone = ZoneInfo(get_settings().timezone)
    today = now.astimezone(zone).date()
    notices = await repository.overdue(session, today)
    for notice in notices:
        notice.status, notice.version = "overdue", notice.version + 1
        fact_id = f"rect-{notice.id}" if notice.follow_up else None
        audit.record(session, actor=SWEEP, action="rectification.overdue", entity_type="rectification_notice",
                     entity_id=notice.id, details=_details(notice, fact=fact_id))
        # overdue from the start of the day after the deadline (local), however late the sweep runs
        became = datetime.combine(notice.deadline + timedelta(days=1), time(0), tzinfo=zone)
        _announce(session, "rectification.overdue", notice, at=became)
        if notice.follow_up:
            await _raise_follow_up(session, notice, notice.follow_up)
    return len(notices)


async def _raise_follow_up(session: AsyncSession, notice: RectificationNotice, follow_up: dict[str, Any]) -> None:
    """The notice's follow-up event as a fact, without review (docs/identity.md): dated the day it went overdue and
    counted for the notice's period even when that day is after the period (`period` says which); its audit
    record names the notice, its issuer and the follow-up, the actor acting on the issuer's behalf."""
    day = notice.deadline + timedelta(days=1)
    span = period_span(notice.period_label) if notice.period_label else None
    after_period = span is not None and day > span[1]
    body: dict[str, Any] = {"id": f"rect-{notice.id}", "subject": notice.subject_id, **follow_up,
                            "fact": "event", "date": day.isoformat(), "key": notice.id}
    if notice.period_label:
        body["period"] = notice.period_label
    details = {"rectification_notice": notice.id, "issued_by": notice.inspector, "follow_up": notice.follow_up,
               "deadline": notice.deadline.isoformat(), "counts_for_period": notice.period_id,
               "dated_after_period": after_period}
    await facts.upsert(session, actor=f"{SWEEP} for {notice.inspector}"[:200], period_id=notice.period_id,
                       unit_path=notice.unit_path, body=body, source_type="rectification", source_id=notice.id,
                       details=details)


async def page(session: AsyncSession, principal: Principal, period_id: str, *, subject_id: str | None,
               status: str | None, offset: int, limit: int) -> tuple[int, list[RectificationNotice]]:
    """A page of the period's notices the caller may read and how many there are."""
    return await repository.page(session, period_id=period_id, scopes=principal.scopes_for(*READERS),
                                 subject_id=subject_id, status=status, offset=offset, limit=limit)
