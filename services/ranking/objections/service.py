"""Objections (异议) during 公示: filed by the subject or its unit, answered by the office."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _
from services.common import audit, listing, notify, separation
from services.common.auth import Principal
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.settings import get_settings
from services.ranking.access import OWN_ROLES, can_read, is_own, readable
from services.ranking.objections import repository
from services.ranking.objections.models import Objection
from services.ranking.periods import repository as published
from services.ranking.periods import service as periods
from services.ranking.results import repository as results

MAX_LISTED = 1000


def _state(objection: Objection) -> dict[str, Any]:
    return {"status": objection.status, "text": objection.text, "answer": objection.answer}


def _announce(session: AsyncSession, type: str, objection: Objection) -> None:
    notify.publish(session, type, entity_id=str(objection.id), unit_path=objection.unit_path,
                   period_id=objection.period_id, subject_id=objection.subject_id)


async def file(
    session: AsyncSession, principal: Principal, period_id: str, *, subject_id: str, text: str, now: datetime
) -> Objection:
    """File an objection to a subject's result as published while the publication window is open. Scope first: a
    caller that objects for no one is refused whole; a subject the caller has nothing to do with
    (`Principal.sees`) is answered exactly as one without a result (docs/decisions.md, "Scope first for the other
    acts on a subject (scopefirst2)")."""
    if not (principal.subject_ids or any(g.role in OWN_ROLES for g in principal.grants)):
        raise Forbidden(_("only the subject itself or its unit may object to its result"))
    period = await periods.get(session, period_id)
    if period.status == "finalized":  # to the subject: reopening is the office's act, not the objector's
        raise Conflict(_("period %(period_id)s is finalized (审定): its results are final and objections are closed",
                         period_id=period_id), details={"period_id": period_id, "status": period.status})
    shown = await published.latest_publication(session, period_id)
    rows = await (results.published_of(session, shown.id, [subject_id]) if shown is not None
                  else results.current_of(session, period_id, [subject_id]))
    if not rows or not principal.sees(rows[0].unit_path, subject_id):
        raise NotFound(_("no result for subject %(subject_id)s in period %(period_id)s",
                         subject_id=subject_id, period_id=period_id))
    result = rows[0]
    if not is_own(principal, subject_id, result.unit_path):
        raise Forbidden(_("only the subject itself or its unit may object to its result"))
    if period.status != "published" or period.publication_ends_at is None or now >= period.publication_ends_at:
        raise Conflict(_("period %(period_id)s is not in its publication (公示) window; objections are closed",
                         period_id=period_id))
    limit = get_settings().objections_open_per_subject
    if await repository.count_open_of_subject(session, period_id, subject_id) >= limit:
        raise Conflict(_("subject %(subject_id)s already has %(limit)s open objections in period %(period_id)s; "
                         "another can be filed once one is answered", subject_id=subject_id, limit=limit,
                         period_id=period_id), details={"limit": limit})
    objection = await repository.add(session, Objection(
        id=uuid.uuid4(), period_id=period_id, subject_id=subject_id, unit_path=result.unit_path,
        result_version=result.version, text=text, status="open", filed_by=principal.subject, filed_at=now,
    ))
    audit.record(session, actor=principal, action="objection.filed", entity_type="objection",
                 entity_id=str(objection.id), after=_state(objection), details={"period_id": period_id,
                                                                                 "subject_id": subject_id})
    _announce(session, "objection.filed", objection)
    return objection


async def answer(
    session: AsyncSession, principal: Principal, objection_id: uuid.UUID, *, text: str, now: datetime,
    creators: separation.Creators,
) -> Objection:
    """The office answers an objection (once); the period may then be finalized."""
    objection = await repository.get(session, objection_id, lock=True)
    if objection is None:
        raise NotFound(_("objection %(objection_id)s does not exist", objection_id=objection_id))
    principal.require("admin", objection.unit_path)
    # four-eyes (四眼原则), between persons: an API key acts for its creator
    if await separation.is_one_of(principal, [objection.filed_by], creators) \
            or principal.is_about(objection.subject_id):
        raise Forbidden(_("%(subject)s filed this objection or is its subject; an objection is answered by someone "
                          "else (four-eyes principle)", subject=principal.person()))
    periods.refuse_if_frozen(await periods.get(session, objection.period_id))
    if objection.status != "open":
        raise Conflict(_("objection %(objection_id)s has already been answered", objection_id=objection_id))
    before = _state(objection)
    objection.status, objection.answer = "answered", text
    objection.answered_by, objection.answered_at = principal.subject, now
    audit.record(session, actor=principal, action="objection.answered", entity_type="objection",
                 entity_id=str(objection.id), before=before, after=_state(objection))
    _announce(session, "objection.answered", objection)
    await session.flush()
    return objection


async def get(session: AsyncSession, principal: Principal, objection_id: uuid.UUID) -> Objection:
    objection = await repository.get(session, objection_id)
    if objection is None or not can_read(principal, objection.subject_id, objection.unit_path):
        raise NotFound(_("objection %(objection_id)s does not exist", objection_id=objection_id))
    return objection


async def list_for(
    session: AsyncSession, principal: Principal, period_id: str, *, subject_id: str | None = None,
    status: str | None = None, offset: int = 0, limit: int = MAX_LISTED,
) -> tuple[int, list[Objection]]:
    """A page of the period's objections the caller may see (its own, or those within its scope: `can_read` in
    SQL, so that pages are full and the count honest) and how many there are."""
    return await repository.of_period(session, period_id, readable(principal, Objection.subject_id,
                                                                    Objection.unit_path),
                                      subject_id=subject_id, status=status, offset=offset, limit=limit)


async def awaiting_answer(session: AsyncSession, principal: Principal, *, limit: int = 1000) -> list[Objection]:
    """Open objections of every period that an admin over the subject's unit must answer, oldest first."""
    scopes = principal.scopes_for("admin")
    if not scopes:
        return []
    rows = await session.scalars(select(Objection).where(Objection.status == "open",
                                                         listing.scopes_covering(Objection.unit_path, scopes))
                                 .order_by(Objection.filed_at, Objection.id).limit(limit))
    return list(rows)
