"""Weekly journals (003 篇三): due by a weekday and time after the week, missing when the deadline
passes, excused by the supervisor, made up within a few working days after the absence ends.

A journal carries the person's own points (自评分); it then passes the journal indicator's review chain
(科室负责人 初审, 分管领导 审核, 部门负责人 评定) like any submission: each level may adjust the points, the
highest level that acted gives the week's points, and a level that does not act in time agrees with the one
below. Only then does the week's fact become `accepted` with those points."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _
from services.common import audit, clock, notify
from services.common.auth import Principal, Role
from services.common.errors import Conflict, Forbidden, InvalidInput
from services.common.localtime import shown_deadline
from services.common.settings import get_settings
from services.evidence.config import evidence_settings
from services.evidence.facts import service as facts
from services.evidence.facts.service import journal_fact_id
from services.evidence.journals import repository
from services.evidence.journals.models import JournalWeek
from services.evidence.journals.schemas import ExcuseCreate, JournalCreate, JournalRosterCreate
from services.evidence.periods.service import scoped_writable_period, writable_period
from services.evidence.scoring_client import ScoringClient
from services.evidence.submissions.content import validate_content
from services.evidence.submissions.service import open_submission
from services.evidence.workdays import END_OF_DAY, add_working_days

READ_ROLES: tuple[Role, ...] = ("admin", "auditor", "reviewer", "submitter")


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def week_monday(week: str) -> date:
    year, number = week.split("-W")
    try:
        return date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        raise InvalidInput(_("%(week)s is not an ISO week", week=week), details={"field": "week"}) from None


def week_due(week: str) -> datetime:
    """The deadline of a week's journal: the configured weekday and time of the following week (local)."""
    conf = evidence_settings()
    day = week_monday(week) + timedelta(days=7 + conf.journal_due_weekday - 1)
    return datetime.combine(day, conf.journal_due_time, tzinfo=_zone()).astimezone(UTC)


def makeup_closes(ends_on: date) -> datetime:
    """End of the last working day on which a make-up is still accepted after an excused absence."""
    last = add_working_days(ends_on, evidence_settings().makeup_working_days)
    return datetime.combine(last, END_OF_DAY, tzinfo=_zone()).astimezone(UTC)


def weeks(first: str, last: str) -> list[str]:
    """ISO weeks from `first` to `last` inclusive."""
    monday, end, out = week_monday(first), week_monday(last), []
    while monday <= end:
        year, number, _ = monday.isocalendar()
        out.append(f"{year}-W{number:02d}")
        monday += timedelta(days=7)
    return out


async def _publish(session: AsyncSession, actor: Principal | str, row: JournalWeek) -> None:
    body = {"id": journal_fact_id(row.period_id, row.subject_id, row.week), "subject": row.subject_id,
            "indicator": row.indicator, "fact": "journal", "week": row.week, "status": row.status}
    await facts.upsert(session, actor=actor, period_id=row.period_id, unit_path=row.unit_path, body=body,
                       source_type="journal", source_id=str(row.id))


def _journal_indicator(kinds: dict[str, str | None]) -> str:
    for code, kind in kinds.items():
        if kind == "journal":
            return code
    raise InvalidInput(_("the period's scheme has no journal indicator"), details={"field": "period_id"})


async def add_roster(session: AsyncSession, principal: Principal, scoring: ScoringClient,
                     payload: JournalRosterCreate) -> int:
    """Register who owes journals (the office, admin over each person's unit)."""
    period = await writable_period(session, scoring, payload.period_id)
    indicator = _journal_indicator(period.fact_kinds)
    weeks(payload.first_week, payload.last_week)
    people = await scoring.subjects(payload.period_id, payload.subject_ids)
    unknown = sorted(set(payload.subject_ids) - set(people))
    if unknown:
        raise InvalidInput(_("unknown subjects: %(names)s", names=', '.join(unknown)), details={"field": "subject_ids"})
    for person in people.values():
        principal.require("admin", person.unit_path)
    await repository.add_roster(session, [
        {"period_id": period.id, "subject_id": p.id, "unit_path": p.unit_path, "indicator": indicator,
         "first_week": payload.first_week, "last_week": payload.last_week} for p in people.values()])
    audit.record(session, actor=principal, action="journal.roster", entity_type="period", entity_id=period.id,
                 after=payload.model_dump())
    return len(people)


def _late_reason(row: JournalWeek | None, week: str, now: datetime) -> str | None:
    """Why a journal cannot be accepted now, or None when it can."""
    if row is not None and row.status == "submitted":
        return _("the journal of %(week)s was already submitted", week=week)
    if row is not None and row.status == "excused" and row.excuse_ends_on is not None:
        closes = makeup_closes(row.excuse_ends_on)
        if now <= closes:
            return None
        return _("the make-up window for %(week)s closed at %(closed_at)s (%(days)s working days after the excused "
                 "absence ended)", week=week, closed_at=shown_deadline(closes),
                 days=evidence_settings().makeup_working_days)
    if now <= week_due(week):
        return None
    return _("the deadline for %(week)s passed at %(due_at)s; only a week excused by the supervisor can be made up",
             week=week, due_at=shown_deadline(week_due(week)))


async def submit(session: AsyncSession, principal: Principal, scoring: ScoringClient, payload: JournalCreate,
                 *, now: datetime | None = None) -> JournalWeek:
    """Accept a person's journal for a week, on time or as an allowed make-up."""
    if not (principal.kind == "service" or principal.subject_ids or principal.has_role("submitter")
            or principal.has_role("admin")):  # writes no journal anywhere: refused whole, naming no unit
        raise Forbidden(_("%(subject)s may not write %(subject_id)s's journal",
                          subject=principal.subject, subject_id=payload.subject_id))
    # scope first: another department's period or person is answered as one that does not exist (not enrolled); a
    # person (who writes its own journal) may hold no grant at all, so its period is looked up as before
    period = await (writable_period(session, scoring, payload.period_id) if principal.subject_ids
                    else scoped_writable_period(session, principal, scoring, payload.period_id))
    person = await scoring.seen_subject(principal, payload.period_id, payload.subject_id)
    if payload.subject_id not in principal.subject_ids and not principal.can(("submitter", "admin"), person.unit_path):
        raise Forbidden(_("%(subject)s may not write %(subject_id)s's journal",
                          subject=principal.subject, subject_id=payload.subject_id))
    moment = now or clock.now()
    row = await repository.week(session, period.id, person.id, payload.week)
    reason = _late_reason(row, payload.week, moment)
    if reason is not None:
        raise Conflict(reason, details={"week": payload.week})
    if row is None:
        row = JournalWeek(period_id=period.id, subject_id=person.id, unit_path=person.unit_path, week=payload.week,
                          indicator=_journal_indicator(period.fact_kinds), status="submitted", version=1)
        await repository.add(session, row)
    else:
        row.makeup, row.version = True, row.version + 1
    row.status, row.text, row.points = "submitted", payload.text, payload.points
    row.submitted_at, row.updated_at = moment, moment
    # the week's fact (excused, for a make-up) stays as it is until the reviewers have spoken
    content = validate_content("journal", {"week": row.week, "points": payload.points})
    review = await open_submission(session, principal, period=period, subject=person, indicator=row.indicator,
                                   fact_kind="journal", content=content, justification=payload.text, moment=moment)
    row.submission_id = review.id
    audit.record(session, actor=principal, action="journal.submit", entity_type="journal_week",
                 entity_id=str(row.id), after={"week": row.week, "makeup": row.makeup, "points": content["points"],
                                               "submission": review.id})
    return row


async def excuse(session: AsyncSession, principal: Principal, scoring: ScoringClient,
                 payload: ExcuseCreate) -> JournalWeek:
    """The supervisor excuses a week (leave, official trip, holiday): the week's fact becomes `excused`."""
    if not (principal.kind == "service" or principal.has_role("reviewer") or principal.has_role("admin")):
        raise Forbidden(_("%(subject)s does not supervise %(subject_id)s",  # supervises nobody: refused whole
                          subject=principal.subject, subject_id=payload.subject_id))
    # scope first: another department's period or person is answered as one that does not exist (not enrolled)
    period = await scoped_writable_period(session, principal, scoring, payload.period_id)
    person = await scoring.seen_subject(principal, payload.period_id, payload.subject_id)
    if not principal.can(("reviewer", "admin"), person.unit_path):
        raise Forbidden(_("%(subject)s does not supervise %(subject_id)s",
                          subject=principal.subject, subject_id=payload.subject_id))
    acting = principal.person()  # an API key acts for its creator (403 for one that does not say whose it is)
    if principal.is_about(person.id):  # four-eyes (四眼原则): a supervisor's own week is excused by another
        raise Forbidden(_("%(subject)s may not excuse their own journal week (four-eyes principle)", subject=acting))
    row = await repository.week(session, period.id, person.id, payload.week)
    if row is not None and row.status == "submitted":
        raise Conflict(_("the journal of %(week)s was submitted; nothing to excuse", week=payload.week))
    if row is None:
        row = JournalWeek(period_id=period.id, subject_id=person.id, unit_path=person.unit_path, week=payload.week,
                          indicator=_journal_indicator(period.fact_kinds), status="excused", version=1)
        await repository.add(session, row)
    else:
        row.version += 1
    row.status, row.excuse_kind, row.excuse_reason = "excused", payload.kind, payload.reason
    row.excuse_ends_on, row.excused_by, row.updated_at = payload.ends_on, principal.subject, clock.now()
    await _publish(session, principal, row)
    audit.record(session, actor=principal, action="journal.excuse", entity_type="journal_week",
                 entity_id=str(row.id), after=payload.model_dump(mode="json"))
    return row


async def sweep_missing(session: AsyncSession, now: datetime) -> int:
    """Record every rostered week whose deadline passed without a journal as `missing`."""
    count = 0
    for roster in await repository.rosters(session):
        existing = {w.week for w in await repository.weeks_of(session, roster.period_id, roster.subject_id)}
        for week in weeks(roster.first_week, roster.last_week):
            if week in existing or week_due(week) > now:
                continue
            if await repository.week(session, roster.period_id, roster.subject_id, week) is not None:
                continue  # written (an excuse, or another sweep) since the weeks were read
            row = JournalWeek(period_id=roster.period_id, subject_id=roster.subject_id, unit_path=roster.unit_path,
                              week=week, indicator=roster.indicator, status="missing", version=1, updated_at=now)
            await repository.add(session, row)
            await _publish(session, "system:journal-sweep", row)
            notify.publish(session, "journal.missing", entity_id=f"{roster.period_id}/{roster.subject_id}/{week}",
                           unit_path=roster.unit_path, period_id=roster.period_id, subject_id=roster.subject_id,
                           week=week, once=f"{roster.period_id}/{roster.subject_id}/{week}", at=week_due(week))
            count += 1
    return count


async def list_rosters(session: AsyncSession, principal: Principal, period_id: str) -> list[Any]:
    """The roster entries of a period the caller may read (own, or in scope)."""
    return list(await repository.list_rosters(session, period_id=period_id, scopes=principal.scopes_for(*READ_ROLES),
                                              subject_ids=principal.subject_ids, limit=5000))


async def list_weeks(session: AsyncSession, principal: Principal, period_id: str, *, subject_id: str | None,
                     status: str | None, offset: int, limit: int) -> tuple[int, list[Any]]:
    """A page of the journal weeks the caller may read (own, or in scope) and how many there are."""
    scopes = principal.scopes_for(*READ_ROLES)
    return await repository.list_weeks(session, period_id=period_id, scopes=scopes, subject_ids=principal.subject_ids,
                                       subject_id=subject_id, status=status, offset=offset, limit=limit)
