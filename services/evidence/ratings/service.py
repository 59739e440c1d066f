"""Rating tasks: secret ballots per rater, abstention allowed, no self-rating by a unit, response
counts for the office, rater identities for auditors only, and `rating` facts when the task closes."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _
from services.common import audit, notify
from services.common.auth import Principal
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.evidence.facts import service as facts
from services.evidence.periods.service import writable_period
from services.evidence.ratings import repository
from services.evidence.ratings.models import RatingRater, RatingSubject, RatingTask
from services.evidence.ratings.schemas import (
    AuditedBallot,
    BallotLine,
    BallotPut,
    BallotRead,
    RatingTaskCreate,
    ResponseCounts,
)
from services.evidence.scoring_client import ScoringClient


def alias(task_id: str, rater: str) -> str:
    """The rater's name in facts: stable per task, and says nothing about who it is."""
    return "r-" + hashlib.sha256(f"{task_id}/{rater}".encode()).hexdigest()[:12]


async def create(session: AsyncSession, principal: Principal, scoring: ScoringClient,
                 payload: RatingTaskCreate) -> RatingTask:
    """The office opens a rating round over subjects within its scope."""
    principal.require("admin", payload.scope)
    period = await writable_period(session, scoring, payload.period_id)
    if period.fact_kinds.get(payload.indicator) != "rating":
        raise InvalidInput(_("indicator %(indicator)r does not read rating facts", indicator=payload.indicator),
                           details={"field": "indicator"})
    found = await scoring.subjects(payload.period_id, payload.subject_ids)
    unknown = sorted(set(payload.subject_ids) - set(found))
    if unknown:
        raise InvalidInput(_("unknown subjects: %(names)s", names=', '.join(unknown)), details={"field": "subject_ids"})
    for subject in found.values():
        principal.require("admin", subject.unit_path)
    task = RatingTask(id=str(uuid.uuid4()), period_id=period.id, indicator=payload.indicator, kind=payload.kind,
                      scope=payload.scope, grades=payload.grades, round=payload.round, closes_at=payload.closes_at,
                      status="open", created_by=principal.subject, version=1)
    raters = [RatingRater(task_id=task.id, rater=r.rater, level=r.level, unit_path=r.unit_path,
                          alias=alias(task.id, r.rater)) for r in {r.rater: r for r in payload.raters}.values()]
    subjects = [RatingSubject(task_id=task.id, subject_id=s.id, unit_path=s.unit_path) for s in found.values()]
    await repository.add_task(session, task, raters, subjects)
    audit.record(session, actor=principal, action="rating_task.create", entity_type="rating_task", entity_id=task.id,
                 after=payload.model_dump(mode="json"))
    _announce(session, "rating_task.opened", task)
    return task


async def _task(session: AsyncSession, task_id: str) -> RatingTask:
    task = await repository.get(session, task_id)
    if task is None:
        raise NotFound(_("rating task %(task_id)s not found", task_id=task_id))
    return task


async def _read_task(session: AsyncSession, principal: Principal, task_id: str) -> RatingTask:
    """The task for a read by the office: a task whose scope is off the branch of every grant of the caller is
    answered as one that does not exist (as a period off its branch), never with FORBIDDEN, which would confirm it
    (docs/decisions.md, "Probe defects: scope first, quoting, webhooks")."""
    task = await _task(session, task_id)
    if not principal.relates_to(task.scope):
        raise NotFound(_("rating task %(task_id)s not found", task_id=task_id))
    return task


async def _own_rater(session: AsyncSession, principal: Principal, task_id: str) -> tuple[RatingTask, RatingRater]:
    task = await _task(session, task_id)
    rater = await repository.rater(session, task_id, principal.subject)
    if rater is None or not principal.has_role("rater"):
        raise NotFound(_("rating task %(task_id)s not found",
                         task_id=task_id))  # a non-rater learns nothing about the task
    return task, rater


async def ballot(session: AsyncSession, principal: Principal, task_id: str) -> BallotRead:
    """The caller's own ballot."""
    task, rater = await _own_rater(session, principal, task_id)
    answers = {b.subject_id: b.grade for b in await repository.ballots(session, task_id, rater.rater)}
    lines = [BallotLine(subject_id=s.subject_id, grade=answers.get(s.subject_id), answered=s.subject_id in answers)
             for s in await repository.subjects(session, task_id)]
    return BallotRead(task_id=task.id, level=rater.level, grades=task.grades, closes_at=task.closes_at, lines=lines)


async def answer(session: AsyncSession, principal: Principal, scoring: ScoringClient, task_id: str,
                 payload: BallotPut, *, now: datetime) -> BallotRead:
    """Record the caller's answers while the task is open."""
    task, rater = await _own_rater(session, principal, task_id)
    await writable_period(session, scoring, task.period_id)
    if task.status != "open" or now >= task.closes_at:
        raise Conflict(_("this rating task is closed"))
    subjects = {s.subject_id: s for s in await repository.subjects(session, task_id)}
    for line in payload.answers:
        _check_line(task, rater, principal, subjects.get(line.subject_id), line.subject_id, line.grade)
    for line in payload.answers:
        await repository.put_answer(session, task_id=task.id, rater_name=rater.rater, subject_id=line.subject_id,
                                    grade=line.grade, at=now)
    # The audit chain records that a ballot was cast, not its content (ballots are secret).
    audit.record(session, actor=principal, action="rating.ballot", entity_type="rating_task", entity_id=task.id,
                 details={"answers": len(payload.answers)})
    return await ballot(session, principal, task_id)


def _check_line(task: RatingTask, rater: RatingRater, principal: Principal, subject: RatingSubject | None,
                subject_id: str, grade: str | None) -> None:
    if subject is None:
        raise InvalidInput(_("%(subject_id)s is not rated in this task", subject_id=subject_id),
                           details={"field": "answers"})
    if grade is not None and grade not in task.grades:
        raise InvalidInput(_("grade %(grade)r is not on the scale %(grades)s", grade=grade, grades=task.grades),
                           details={"field": "answers"})
    if principal.is_about(subject_id) or (task.kind == "mutual" and subject.unit_path == rater.unit_path):
        raise InvalidInput(_("%(subject_id)s cannot be rated by itself", subject_id=subject_id),
                           details={"field": "answers"})


async def read(session: AsyncSession, principal: Principal, task_id: str) -> RatingTask:
    """The task itself (its scope, status and version), for the office over its scope (who may close it)."""
    task = await _read_task(session, principal, task_id)
    if not principal.can("admin", task.scope):  # worded as a read, naming no scope (gateway node(id:) says the same)
        raise Forbidden(_("%(subject)s may not read rating task %(task_id)s", subject=principal.subject,
                          task_id=task_id))
    return task


async def counts(session: AsyncSession, principal: Principal, task_id: str) -> ResponseCounts:
    """Raters and how many answered, per level (the office)."""
    task = await _read_task(session, principal, task_id)
    principal.require(("admin", "auditor"), task.scope)
    raters = await repository.raters(session, task_id)
    answered = {b.rater for b in await repository.ballots(session, task_id)}
    by_level: dict[str, dict[str, int]] = defaultdict(lambda: {"raters": 0, "responded": 0})
    for r in raters:
        by_level[r.level]["raters"] += 1
        by_level[r.level]["responded"] += int(r.rater in answered)
    return ResponseCounts(raters=len(raters), responded=len(answered), by_level=dict(by_level))


async def audited_ballots(session: AsyncSession, principal: Principal, task_id: str) -> list[AuditedBallot]:
    """Every ballot with its rater: auditors only."""
    task = await _read_task(session, principal, task_id)
    principal.require("auditor", task.scope)
    levels = {r.rater: r.level for r in await repository.raters(session, task_id)}
    return [AuditedBallot(rater=b.rater, level=levels[b.rater], subject_id=b.subject_id, grade=b.grade,
                          answered_at=b.answered_at) for b in await repository.ballots(session, task_id)]


async def close(session: AsyncSession, principal: Principal | str, task: RatingTask) -> int:
    """Turn the ballots into `rating` facts (abstentions make none); returns how many facts."""
    task.status = "closed"
    raters = {r.rater: r for r in await repository.raters(session, task.id)}
    units = {s.subject_id: s.unit_path for s in await repository.subjects(session, task.id)}
    made = 0
    for b in await repository.ballots(session, task.id):
        if b.grade is None:
            continue
        rater = raters[b.rater]
        body = {"id": f"rtg-{uuid.uuid5(uuid.NAMESPACE_URL, f'{task.id}/{b.rater}/{b.subject_id}')}",
                "subject": b.subject_id, "indicator": task.indicator, "fact": "rating", "rater": rater.alias,
                "level": rater.level, "grade": b.grade, "round": task.round}
        await facts.upsert(session, actor=principal, period_id=task.period_id, unit_path=units[b.subject_id],
                           body=body, source_type="rating_task", source_id=task.id)
        made += 1
    audit.record(session, actor=principal, action="rating_task.close", entity_type="rating_task",
                 entity_id=task.id, after={"facts": made})
    _announce(session, "rating_task.closed", task)
    return made


async def close_by_office(session: AsyncSession, principal: Principal, scoring: ScoringClient, task_id: str,
                          version: int) -> RatingTask:
    """Close a task now (the office)."""
    task = await _task(session, task_id)
    principal.require("admin", task.scope)
    await writable_period(session, scoring, task.period_id)
    if task.status != "open":
        raise Conflict(_("this rating task is already closed"))
    claimed = await repository.claim(session, task_id, version)
    if claimed is None:
        raise Conflict(_("the task changed since you read it; reload and retry"))
    await close(session, principal, claimed)
    return claimed


def _announce(session: AsyncSession, type: str, task: RatingTask, **extra: Any) -> None:
    notify.publish(session, type, entity_id=task.id, unit_path=task.scope, period_id=task.period_id,
                   closes_at=task.closes_at.isoformat() if task.closes_at else None, **extra)


async def close_due(session: AsyncSession, now: datetime) -> int:
    """Close every open task whose closing time has passed (the periodic sweep); announce those closing within a
    day (once per task and closing time)."""
    for task in await repository.closing_before(session, now + timedelta(days=1)):
        if task.closes_at is not None and task.closes_at > now:
            _announce(session, "rating_task.closing", task, once=f"{task.id}:{task.closes_at.isoformat()}")
    tasks = await repository.due_to_close(session, now)
    for task in tasks:
        task.version += 1
        await close(session, "system:rating-close", task)
    return len(tasks)
