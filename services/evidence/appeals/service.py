"""Appeals (申诉): filed until N working days after the 公示 (or the fact's later change), answered point by point
within N working days; an upheld appeal corrects or retracts the fact, which flows to scoring like any change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _, status_word
from services.common import audit, notify, separation
from services.common.audit import bounded_json, texts
from services.common.auth import Principal, Role
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.localtime import instant_json, shown_deadline
from services.common.settings import get_settings
from services.evidence.appeals import repository
from services.evidence.appeals.models import Appeal
from services.evidence.appeals.schemas import AppealAnswer, AppealCreate
from services.evidence.config import evidence_settings
from services.evidence.facts import repository as fact_rows
from services.evidence.facts import service as facts
from services.evidence.facts.models import Fact
from services.evidence.periods import repository as period_states
from services.evidence.periods.service import writable_period
from services.evidence.scoring_client import PeriodInfo, ScoringClient
from services.evidence.submissions.content import checked_content
from services.evidence.workdays import deadline_after, deadline_with_note

READERS: tuple[Role, ...] = ("admin", "auditor", "submitter")
FACT_KEYS = ("id", "subject", "indicator", "fact")


def _may_read(principal: Principal, subject_id: str, unit_path: str) -> bool:
    return subject_id in principal.subject_ids or principal.can(READERS, unit_path)


async def _appealable_fact(session: AsyncSession, principal: Principal, fact_id: str) -> Fact:
    fact = await fact_rows.get(session, fact_id)
    if fact is None or fact.retracted or not _may_read(principal, fact.subject_id, fact.unit_path):
        raise NotFound(_("fact %(fact_id)s not found", fact_id=fact_id))
    if fact.subject_id not in principal.subject_ids and not principal.can(("submitter", "admin"), fact.unit_path):
        raise NotFound(_("fact %(fact_id)s not found", fact_id=fact_id))
    return fact


def window_closes(fact_changed_at: datetime, published_at: datetime | None) -> datetime | None:
    """The end of a fact's appeal window: the end of the office's N-th working day after the later of the period's
    latest 公示 and the fact's last change (the day the subject could see it); None, open, before the 公示."""
    if published_at is None:
        return None
    days = evidence_settings().appeal_window_days
    return deadline_after(max(fact_changed_at, published_at), days, get_settings().timezone)


async def file(session: AsyncSession, principal: Principal, scoring: ScoringClient, payload: AppealCreate,
               *, now: datetime) -> Appeal:
    """File an appeal of a current fact: any time before the 公示, then within the window (`window_closes`)."""
    fact = await _appealable_fact(session, principal, payload.fact_id)
    await writable_period(session, scoring, fact.period_id, refused=_(
        "period %(period_id)s is finalized (审定): its results are final and appeals are closed",
        period_id=fact.period_id))
    conf = evidence_settings()
    state = await period_states.get(session, fact.period_id)
    closes = window_closes(fact.updated_at, state.published_at if state is not None else None)
    if closes is not None and now > closes:
        raise Conflict(_("the appeal window for %(fact_id)s closed at %(closed_at)s (%(days)s working days after "
                         "the 公示 or the fact's later change)", fact_id=fact.id, closed_at=shown_deadline(closes),
                         days=conf.appeal_window_days),
                       details={"fact_id": fact.id, "closed_at": instant_json(closes)})
    if await repository.open_for(session, fact.id) is not None:
        raise Conflict(_("an appeal of %(fact_id)s is already open", fact_id=fact.id))
    due, note = deadline_with_note(now, conf.appeal_answer_days, get_settings().timezone)
    appeal = Appeal(id=str(uuid.uuid4()), fact_id=fact.id, period_id=fact.period_id, subject_id=fact.subject_id,
                    unit_path=fact.unit_path, points=payload.points, status="open", filed_by=principal.subject,
                    filed_at=now, answer_due_at=due.astimezone(UTC), answer_due_note=note, version=1)
    await repository.add(session, appeal)
    audit.record(session, actor=principal, action="appeal.file", entity_type="appeal", entity_id=appeal.id,
                 after={"fact_id": fact.id, "points": payload.points},
                 details={"fact_id": fact.id, "subject_id": fact.subject_id, "fact_revision": fact.revision,
                          "answer_due_at": instant_json(appeal.answer_due_at),
                          **texts("points", payload.points)})
    _announce(session, "appeal.filed", appeal)
    return appeal


def _corrected(fact: Fact, correction: dict[str, Any], period: PeriodInfo) -> dict[str, Any]:
    if set(correction) & set(FACT_KEYS):
        raise InvalidInput(_("a correction changes the fact's values, not its id, subject, indicator or kind"),
                           details={"field": "correction"})
    values = {k: v for k, v in fact.body.items() if k not in FACT_KEYS}
    content = checked_content(period, fact.indicator, fact.kind, {**values, **correction}, field="correction")
    return {**{k: fact.body[k] for k in FACT_KEYS if k in fact.body}, **content}


async def answer(session: AsyncSession, principal: Principal, scoring: ScoringClient, appeal_id: str,
                 payload: AppealAnswer, *, now: datetime) -> Appeal:
    """The office answers every point; upheld → corrected or retracted fact (through the outbox)."""
    appeal = await get_readable(session, principal, appeal_id)
    principal.require("admin", appeal.unit_path)
    # four-eyes (四眼原则), between persons: an API key acts for its creator
    if await separation.is_one_of(principal, [appeal.filed_by], scoring.api_key_creators) \
            or principal.is_about(appeal.subject_id):
        raise Forbidden(_("%(subject)s filed this appeal or is its subject; an appeal is answered by someone else "
                          "(four-eyes principle)", subject=principal.person()))
    period = await writable_period(session, scoring, appeal.period_id, refused=_(
        "period %(period_id)s is finalized (审定): an appeal can be answered only once the office reopens the "
        "period with a reason", period_id=appeal.period_id))
    if appeal.status != "open":
        raise Conflict(_("this appeal was already answered (%(status)s)", status=status_word("appeal", appeal.status)),
                       details={"status": appeal.status})
    if len(payload.replies) != len(appeal.points):
        raise InvalidInput(_("answer every point: %(points_count)s points, %(replies_count)s replies",
                             points_count=len(appeal.points), replies_count=len(payload.replies)),
                           details={"field": "replies"})
    fact = await fact_rows.get(session, appeal.fact_id)
    body = _corrected(fact, payload.correction, period) \
        if fact is not None and payload.correction is not None else None
    claimed = await repository.claim(session, appeal.id, payload.version)
    if claimed is None:
        raise Conflict(_("the appeal changed since you read it; reload and retry"))
    claimed.status, claimed.replies, claimed.correction = payload.decision, payload.replies, payload.correction
    claimed.answered_by, claimed.answered_at = principal.subject, now
    correction = None
    if payload.decision == "upheld" and fact is not None:
        correction = await _apply(session, principal, fact, body, appeal)
        claimed.fact_body = body  # the fact's body while the appeal is its source (None: retracted)
    audit.record(session, actor=principal, action="appeal.answer", entity_type="appeal", entity_id=appeal.id,
                 after={"decision": payload.decision, "replies": payload.replies, "correction": payload.correction},
                 details={"late": now > appeal.answer_due_at, "decision": payload.decision,
                          "fact_id": appeal.fact_id, "correction": correction, **texts("replies", payload.replies)})
    _announce(session, "appeal.answered", claimed, decision=payload.decision)
    return claimed


async def _apply(session: AsyncSession, principal: Principal, fact: Fact, body: dict[str, Any] | None,
                 appeal: Appeal) -> dict[str, Any]:
    """Correct (or, without a correction, retract) the appealed fact, which names the appeal as its source; what
    the answer's audit record says of it: the fact, the action, the values set and the revision written."""
    before = {k: v for k, v in fact.body.items() if k not in FACT_KEYS}
    if body is None:
        await facts.retract(session, actor=principal, fact_id=fact.id, reason=f"appeal {appeal.id} upheld",
                            details={"appeal": appeal.id})
        return {"fact_id": fact.id, "action": "retract", "revision": fact.revision, "before": bounded_json(before)}
    await facts.upsert(session, actor=principal, period_id=fact.period_id, unit_path=fact.unit_path, body=body,
                       source_type="appeal", source_id=appeal.id, details={"appeal": appeal.id})
    after = {k: v for k, v in body.items() if k not in FACT_KEYS}
    return {"fact_id": fact.id, "action": "upsert", "revision": fact.revision, "before": bounded_json(before),
            "after": bounded_json(after)}


def _announce(session: AsyncSession, type: str, appeal: Appeal, **extra: Any) -> None:
    notify.publish(session, type, entity_id=appeal.id, unit_path=appeal.unit_path, period_id=appeal.period_id,
                   subject_id=appeal.subject_id, **extra)


async def get_readable(session: AsyncSession, principal: Principal, appeal_id: str) -> Appeal:
    appeal = await repository.get(session, appeal_id)
    if appeal is None or not _may_read(principal, appeal.subject_id, appeal.unit_path):
        raise NotFound(_("appeal %(appeal_id)s not found", appeal_id=appeal_id))
    return appeal


async def page(session: AsyncSession, principal: Principal, period_id: str, *, subject_id: str | None,
               status: str | None, offset: int, limit: int) -> tuple[int, list[Appeal]]:
    """A page of the period's appeals the caller may read and how many there are."""
    return await repository.page(session, period_id=period_id, scopes=principal.scopes_for(*READERS),
                                 subject_ids=principal.subject_ids, subject_id=subject_id, status=status,
                                 offset=offset, limit=limit)


