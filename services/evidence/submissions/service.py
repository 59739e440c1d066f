"""Submitting evidence: who may submit which fact kind, versions, and who may read what."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _, status_word
from services.common import audit, clock, notify
from services.common.auth import Principal, Role
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.evidence.facts.service import journal_fact_id
from services.evidence.makeups.service import require_collecting_or_makeup
from services.evidence.periods.service import scoped_writable_period, writable_period
from services.evidence.reviews import chains
from services.evidence.scoring_client import PeriodInfo, ScoringClient, SubjectInfo
from services.evidence.submissions import repository
from services.evidence.submissions.content import checked_content
from services.evidence.submissions.models import Submission, SubmissionVersion
from services.evidence.submissions.schemas import SubmissionCreate, SubmissionRead, SubmissionUpdate

# Who may submit which fact kind (docs/decisions.md "Evidence: submitting roles"): assessing
# bodies enter scores and inspectors' deduction events; units report measures, tasks, cases and
# journals, and the documents a task requires (001 篇5); raters answer ratings. Admins may enter anything.
KIND_ROLES: dict[str, tuple[Role, ...]] = {
    "score": ("assessor", "admin"),
    "event": ("assessor", "admin"),
    "measure": ("submitter", "admin"),
    "task": ("submitter", "admin"),
    "case": ("submitter", "admin"),
    "journal": ("submitter", "admin"),
    "document": ("submitter", "admin"),
    "rating": ("rater", "admin"),
}
READ_ROLES: tuple[Role, ...] = ("admin", "auditor", "assessor", "reviewer", "submitter")
EDITABLE = ("pending", "returned")


def fact_id(submission: Submission) -> str:
    """The stable fact id of a submission: corrections upsert it, revocation retracts it. A journal is its
    week's fact, whichever way it came (the week's missing or excused fact is the same one)."""
    if submission.fact_kind == "journal":
        return journal_fact_id(submission.period_id, submission.subject_id, str(submission.value.get("week")))
    return f"sub-{submission.id}"


def announce(session: AsyncSession, type: str, submission: Submission, *, at: datetime | None = None,
             once: str | None = None, **extra: Any) -> None:
    """An event about a submission (services/common/notify.py). It carries the submission's `version` as the event
    leaves it, the one the next write (correctSubmission, a review decision) must name, and `current_version`, the
    number of its content version; so the caller announces after it bumped the version."""
    notify.publish(session, type, entity_id=submission.id, unit_path=submission.unit_path,
                   period_id=submission.period_id, subject_id=submission.subject_id, at=at, once=once,
                   indicator=submission.indicator, status=submission.status, version=submission.version,
                   current_version=submission.current_version, **extra)


def can_read(principal: Principal, submission: Submission) -> bool:
    return principal.can(READ_ROLES, submission.unit_path) or submission.subject_id in principal.subject_ids


async def get_readable(session: AsyncSession, principal: Principal, submission_id: str) -> Submission:
    """The submission, or 404 when it does not exist or lies outside the caller's scopes."""
    submission = await repository.get(session, submission_id)
    if submission is None or not can_read(principal, submission):
        raise NotFound(_("submission %(submission_id)s not found", submission_id=submission_id))
    return submission


async def readable_ids(session: AsyncSession, principal: Principal, submission_ids: list[str]) -> list[str]:
    """Those of `submission_ids` the caller may read (unknown and out-of-scope ids are left out)."""
    if not submission_ids:
        return []
    return [s.id for s in await repository.get_many(session, submission_ids) if can_read(principal, s)]


async def stale(session: AsyncSession, submission_id: str, given: int) -> Conflict:
    """The 409 of a write made on an old `version`: it names the version now current, to reload and retry."""
    current = await repository.current_version(session, submission_id)
    return Conflict(_("the submission changed since you read it; reload and retry"),
                    details={"version": given, "current": current})


def to_read(submission: Submission) -> SubmissionRead:
    """The API view of a submission."""
    level = submission.chain[submission.level] if submission.level < len(submission.chain) else None
    return SubmissionRead(
        id=submission.id, period_id=submission.period_id, scheme_id=submission.scheme_id,
        subject_id=submission.subject_id, indicator=submission.indicator, fact=submission.fact_kind,
        status=submission.status, current_version=submission.current_version, level=submission.level,
        level_name=level["name"] if level and submission.status == "pending" else None,
        level_due_at=submission.level_due_at, level_due_note=submission.level_due_note, value=submission.value,
        version=submission.version,
        submitted_by=submission.submitted_by,
        fact_id=fact_id(submission) if submission.status == "approved" else None,
        created_at=submission.created_at, updated_at=submission.updated_at,
    )


def _check_document(period: PeriodInfo, indicator: str | None, content: dict[str, Any]) -> None:
    """A document fact names one of the documents its task requires (docs/scheme-reference.md §3.4)."""
    required = period.documents.get(indicator or "", ())
    if not required:
        raise InvalidInput(_("indicator %(indicator)r requires no documents", indicator=indicator),
                           details={"field": "indicator"})
    if content["document"] not in required:
        raise InvalidInput(_("%(document)r is not a document %(indicator)s requires (%(names)s)",
                             document=content['document'], indicator=indicator, names=', '.join(required)),
                           details={"field": "content.document"})


def check_indicator(kinds: dict[str, str | None], indicator: str | None, kind: str) -> None:
    if kind == "document":
        return  # checked against the task's required documents (_check_document)
    if indicator is None:
        if kind != "event":  # scheme-format.md §4: only events may be subject-level (vetoes)
            raise InvalidInput(_("indicator is required for this fact kind"), details={"field": "indicator"})
        return
    if indicator not in kinds:
        raise InvalidInput(_("indicator %(indicator)r is not in the period's scheme", indicator=indicator),
                           details={"field": "indicator"})
    if kinds[indicator] != kind:
        raise InvalidInput(_("indicator %(indicator)r reads %(kinds)s facts, not %(kind)s",
                             indicator=indicator, kinds=kinds[indicator], kind=kind),
                           details={"field": "fact", "reason": f"expected {kinds[indicator]}"})


def require_kind_role(principal: Principal, fact: str) -> None:
    """403 for a caller holding no role that submits `fact` facts anywhere: refused as a whole, before the period
    and the subject are looked at, naming neither."""
    if principal.kind != "service" and not any(principal.has_role(role) for role in KIND_ROLES[fact]):
        raise Forbidden(_("%(subject)s may not submit %(fact)s facts", subject=principal.subject, fact=fact))


def checked_evidence(principal: Principal, period: PeriodInfo, subject: SubjectInfo, indicator: str | None,
                     fact: str, content: dict[str, Any]) -> dict[str, Any]:
    """The content of new evidence once every check of one submission passed (the caller's role over the
    subject's unit, the indicator and its fact kind, the content's fields, a document the task requires); the
    same checks for one submission and for every row of a bulk upload."""
    if not principal.can(KIND_ROLES[fact], subject.unit_path):
        raise Forbidden(_("%(subject)s may not submit %(fact)s facts for subject %(subject_id)s",
                          subject=principal.subject, fact=fact, subject_id=subject.id))
    check_indicator(period.fact_kinds, indicator, fact)
    checked = checked_content(period, indicator, fact, content)
    if fact == "document":
        _check_document(period, indicator, checked)
    return checked


async def create(
    session: AsyncSession, principal: Principal, scoring: ScoringClient, payload: SubmissionCreate,
    *, now: datetime | None = None,
) -> SubmissionRead:
    """Record new evidence and start its review chain."""
    require_kind_role(principal, payload.fact)
    # scope first (probe defects): another department's period or subject is answered as one that does not exist
    period = await scoped_writable_period(session, principal, scoring, payload.period_id)
    subject = await scoring.seen_subject(principal, payload.period_id, payload.subject_id)
    content = checked_evidence(principal, period, subject, payload.indicator, payload.fact, payload.content)
    moment = now or clock.now()
    makeup = await require_collecting_or_makeup(session, period, subject_id=subject.id, indicator=payload.indicator,
                                                at=moment)
    submission = await open_submission(session, principal, period=period, subject=subject,
                                       indicator=payload.indicator, fact_kind=payload.fact, content=content,
                                       justification=payload.justification, moment=moment,
                                       makeup_id=makeup.id if makeup else None)
    return to_read(submission)


async def open_submission(
    session: AsyncSession, principal: Principal, *, period: PeriodInfo, subject: SubjectInfo, indicator: str | None,
    fact_kind: str, content: dict[str, Any], justification: str | None, moment: datetime,
    levels: list[dict[str, Any]] | None = None, makeup_id: str | None = None,
) -> Submission:
    """Store validated evidence and start its review chain (`levels`, else the indicator's, else the scheme's)."""
    if levels is None:
        levels = await chains.levels_for(session, period.scheme_id, indicator)
    submission, first = new_submission(principal, period=period, subject=subject, indicator=indicator,
                                       fact_kind=fact_kind, content=content, justification=justification,
                                       moment=moment, levels=levels)
    await repository.add(session, submission, first)
    record_created(session, principal, submission, first, makeup_id=makeup_id)
    return submission


def new_submission(
    principal: Principal, *, period: PeriodInfo, subject: SubjectInfo, indicator: str | None, fact_kind: str,
    content: dict[str, Any], justification: str | None, moment: datetime, levels: list[dict[str, Any]],
) -> tuple[Submission, SubmissionVersion]:
    """Validated evidence at the first level of its chain and its first version, not yet written, audited or
    announced (`open_submission` does all three; a bulk upload writes its rows together)."""
    submission = Submission(
        id=str(uuid.uuid4()), period_id=period.id, scheme_id=period.scheme_id, subject_id=subject.id,
        indicator=indicator, fact_kind=fact_kind, unit_path=subject.unit_path,
        submitted_by=principal.subject, status="pending", current_version=1, chain=levels, value=content, version=1,
        created_at=moment, updated_at=moment,
    )
    chains.start_level(submission, 0, moment)
    first = SubmissionVersion(submission_id=submission.id, number=1, content=content,
                              justification=justification, created_by=principal.subject, created_at=moment)
    return submission, first


def record_created(session: AsyncSession, principal: Principal, submission: Submission,
                   first: SubmissionVersion, *, makeup_id: str | None = None) -> None:
    """The audit record and the event of a new submission (and the make-up that let it in late)."""
    audit.record(session, actor=principal, action="submission.create", entity_type="submission",
                 entity_id=submission.id, after={"content": first.content, "justification": first.justification},
                 details={"makeup": makeup_id} if makeup_id else None)
    announce(session, "submission.submitted", submission, at=submission.created_at)


async def update(
    session: AsyncSession, principal: Principal, scoring: ScoringClient, submission_id: str,
    payload: SubmissionUpdate, *, now: datetime | None = None,
) -> SubmissionRead:
    """Correct a submission before approval: a new version, and the chain starts again."""
    submission = await get_readable(session, principal, submission_id)
    if not principal.can(KIND_ROLES[submission.fact_kind], submission.unit_path):
        raise Forbidden(_("%(subject)s may not edit %(fact_kind)s facts for %(unit_path)s",
                          subject=principal.subject, fact_kind=submission.fact_kind, unit_path=submission.unit_path))
    period = await writable_period(session, scoring, submission.period_id)
    if submission.status not in EDITABLE:
        raise Conflict(_("this submission is %(status)s and can no longer be edited",
                         status=status_word("submission", submission.status)),
                       details={"status": submission.status})
    content = checked_content(period, submission.indicator, submission.fact_kind, payload.content)
    claimed = await repository.claim(session, submission.id, payload.version)
    if claimed is None:
        raise await stale(session, submission.id, payload.version)
    before = claimed.value
    now = now or clock.now()
    claimed.current_version += 1
    claimed.value, claimed.status, claimed.updated_at = content, "pending", now
    chains.start_level(claimed, 0, now)
    await repository.add_version(session, SubmissionVersion(
        submission_id=claimed.id, number=claimed.current_version, content=content,
        justification=payload.justification, created_by=principal.subject, created_at=now))
    audit.record(session, actor=principal, action="submission.update", entity_type="submission",
                 entity_id=claimed.id, before=before, after=content, details={"number": claimed.current_version})
    announce(session, "submission.submitted", claimed, at=now)
    return to_read(claimed)


async def page(
    session: AsyncSession, principal: Principal, *, period_id: str | None, status: str | None,
    subject_id: str | None, after: str | None, limit: int, counted: bool = False,
) -> tuple[list[SubmissionRead], str | None, int | None]:
    """Submissions the caller may read, the next cursor, and (`counted`) how many the whole list holds."""
    scopes, own = principal.scopes_for(*READ_ROLES), principal.subject_ids
    rows = await repository.page(session, scopes=scopes, subject_ids=own, period_id=period_id, status=status,
                                 subject_id=subject_id, after=after, limit=limit)
    total = await repository.count(session, scopes=scopes, subject_ids=own, period_id=period_id, status=status,
                                   subject_id=subject_id) if counted else None
    return [to_read(r) for r in rows], rows[-1].id if len(rows) == limit else None, total


async def versions(session: AsyncSession, principal: Principal, submission_id: str) -> list[Any]:
    """Every stored content of a readable submission, oldest first."""
    await get_readable(session, principal, submission_id)
    return list(await repository.versions(session, submission_id))
