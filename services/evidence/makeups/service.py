"""Make-ups (补报): once a period's collection closed (it is `scoring`, published or reopened), new evidence is
taken only under a make-up the assessment office approved for the subject ("late submissions need an approved
make-up", architecture.md); an upheld appeal's correction is not new evidence and needs none."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _, status_word
from services.common import audit
from services.common.auth import Principal, Role
from services.common.errors import Conflict, Forbidden, InvalidInput
from services.common.settings import get_settings
from services.evidence.config import evidence_settings
from services.evidence.makeups import repository
from services.evidence.makeups.models import Makeup
from services.evidence.makeups.schemas import MakeupCreate, MakeupRead
from services.evidence.periods.service import COLLECTING, scoped_writable_period, status_of
from services.evidence.scoring_client import PeriodInfo, ScoringClient
from services.evidence.workdays import deadline_after

READERS: tuple[Role, ...] = ("admin", "auditor", "assessor", "reviewer", "submitter")  # as submissions' READ_ROLES


async def require_collecting_or_makeup(session: AsyncSession, period: PeriodInfo, *, subject_id: str,
                                       indicator: str | None, at: datetime) -> Makeup | None:
    """None while the period collects evidence; after that the approved make-up covering the subject's evidence of
    `indicator` at `at`, else 409 naming the rule and how to ask for one."""
    status = await status_of(session, period)
    if status in COLLECTING:
        return None
    makeup = await repository.covering(session, period_id=period.id, subject_id=subject_id, indicator=indicator,
                                       at=at)
    if makeup is None:
        raise late_evidence(period, status, subject_id, indicator)
    return makeup


async def makeups_of_rows(session: AsyncSession, period: PeriodInfo, *, subject_ids: list[str],
                          indicator: str | None, at: datetime) -> tuple[dict[str, str], Conflict | None]:
    """For a bulk upload: the make-up covering each subject's late evidence (none needed while the period collects
    evidence), and the refusal naming a first subject no make-up covers."""
    status = await status_of(session, period)
    if status in COLLECTING:
        return {}, None
    covered: dict[str, str] = {}
    for subject_id in dict.fromkeys(subject_ids):
        makeup = await repository.covering(session, period_id=period.id, subject_id=subject_id,
                                           indicator=indicator, at=at)
        if makeup is None:
            return covered, late_evidence(period, status, subject_id, indicator)
        covered[subject_id] = makeup.id
    return covered, None


def late_evidence(period: PeriodInfo, status: str, subject_id: str, indicator: str | None) -> Conflict:
    """The refusal of new evidence after the period's collection closed."""
    return Conflict(
        _("period %(period_id)s no longer collects evidence (it is %(status)s): late evidence of subject "
          "%(subject_id)s needs a make-up (补报) approved by the assessment office (GraphQL: grantMakeup); once it is "
          "approved, submit within its working days",
          period_id=period.id, status=status_word("period", status), subject_id=subject_id),
        details={"rule": "makeup", "status": status, "subject_id": subject_id, "indicator": indicator})


async def grant(session: AsyncSession, principal: Principal, scoring: ScoringClient, payload: MakeupCreate, *,
                now: datetime) -> MakeupRead:
    """The office (an admin over the period's owner) approves a make-up for one subject (and indicator)."""
    period = await scoped_writable_period(session, principal, scoring, payload.period_id)
    subject = await scoring.seen_subject(principal, payload.period_id, payload.subject_id)
    if not principal.can("admin", period.owner_path) or subject.id in principal.subject_ids:
        raise Forbidden(_("only the assessment office over period %(period_id)s approves a make-up (补报), and "
                          "never for its own subject", period_id=period.id))
    if payload.indicator is not None and payload.indicator not in period.fact_kinds:
        raise InvalidInput(_("indicator %(indicator)r is not in the period's scheme", indicator=payload.indicator),
                           details={"field": "indicator"})
    makeup = Makeup(id=str(uuid.uuid4()), period_id=period.id, subject_id=subject.id, unit_path=subject.unit_path,
                    indicator=payload.indicator, reason=payload.reason, approved_by=principal.subject,
                    approved_at=now, closes_at=deadline_after(now, evidence_settings().late_makeup_working_days,
                                                              get_settings().timezone).astimezone(UTC))
    await repository.add(session, makeup)
    read = MakeupRead.model_validate(makeup)
    audit.record(session, actor=principal, action="makeup.approve", entity_type="makeup", entity_id=makeup.id,
                 after=read.model_dump(mode="json"))
    return read


async def listed(session: AsyncSession, principal: Principal, period_id: str, subject_id: str | None, *,
                 offset: int, limit: int) -> tuple[int, list[MakeupRead]]:
    """A page of a period's make-ups the caller may read, as the subject's evidence (the staff who read it over the
    subject's unit, or the subject itself), chosen and counted in SQL, and how many there are."""
    total, rows = await repository.of_period(session, period_id, scopes=principal.scopes_for(*READERS),
                                             subject_ids=principal.subject_ids, subject_id=subject_id, offset=offset,
                                             limit=limit)
    return total, [MakeupRead.model_validate(r) for r in rows]
