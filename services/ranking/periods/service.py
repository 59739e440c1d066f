"""公示 → 审定: publishing a period, finalizing it into a snapshot, reopening it with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _, ngettext
from services.common import audit, notify
from services.common.auth import Principal
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.localtime import instant_json, shown_deadline
from services.common.outbox import enqueue
from services.common.settings import get_settings
from services.common.stored_text import english
from services.common.workcalendar import STORE
from services.ranking.access import require_office
from services.ranking.clients import ScoringClient, audit_heads, open_work
from services.ranking.db import common
from services.ranking.objections import repository as objections
from services.ranking.periods import publication, repository
from services.ranking.periods.calendar import publication_end_with_note
from services.ranking.periods.models import PeriodReopening, PeriodSnapshot, Publication, RankedPeriod
from services.ranking.periods.schemas import PeriodRead
from services.ranking.results import repository as results
from services.ranking.results.cache import ResultsCache
from services.ranking.results.service import PeriodRef, canonical, scheme_of, sha256

STATUS_LISTENERS = ("scoring", "evidence")


async def get(session: AsyncSession, period_id: str, *, lock: bool = False) -> RankedPeriod:
    period = await repository.get(session, period_id, lock=lock)
    if period is None:
        raise NotFound(_("period %(period_id)s has no results yet", period_id=period_id))
    return period


def refuse_if_frozen(period: RankedPeriod) -> None:
    """Every write about a finalized period is refused until it is formally reopened."""
    if period.status == "finalized":
        raise Conflict(_("period %(period_id)s is finalized (审定); reopen it with a reason first",
                         period_id=period.id),
                       details={"period_id": period.id, "status": period.status})


def _state(period: RankedPeriod) -> dict[str, Any]:
    return {"status": period.status, "published_at": period.published_at, "finalized_at": period.finalized_at,
            "publication_ends_at": period.publication_ends_at,
            "publication_calendar_note": english(period.publication_calendar_note), "reopen_count": period.reopen_count,
            "publication": period.publication_sequence, "stale": period.stale}


async def publish(
    session: AsyncSession, principal: Principal, scoring: ScoringClient, cache: ResultsCache, period_id: str, *,
    working_days: int | None, now: datetime,
) -> RankedPeriod:
    """Publish (公示) the current results for a window of working days: the scheme's, or the request's when it
    is not shorter. A re-publication (results changed during a 公示) restarts the window, the shortened one if
    the scheme allows it, and shows the new results."""
    period = await get(session, period_id, lock=True)
    require_office(principal, period.scope_path)
    refuse_if_frozen(period)
    ref = PeriodRef(period.id, period.scheme_id, period.scheme_version, period.label)
    scheme = await scheme_of(scoring, cache.inputs, ref)
    republication = period.status == "published"
    previous = await repository.latest_publication(session, period.id) if republication else None
    if republication:
        await publication.refuse_if_unchanged(session, period)
    days = publication.window(scheme.publication, requested=working_days, republication=republication,
                              previous=previous)
    await STORE.refresh(scoring.calendar)  # the arrangements offices loaded, as evidence uses them
    days, (ends_at, note) = _reaching(previous, now, days, extend=working_days is None)
    publication.refuse_if_cut_short(previous, ends_at, now)
    before = _state(period)
    period.status, period.publication_days = "published", days
    period.published_at, period.published_by = now, principal.subject
    period.publication_calendar_note = note
    period.publication_ends_at = ends_at.astimezone(UTC)
    heads = await audit_heads(session, scoring, _("period %(period_id)s was not published (公示)",
                                                  period_id=period.id))
    shown = await publication.record(session, period, principal, working_days=days, now=now,
                                     ends_at=period.publication_ends_at, republication=republication,
                                     chain_heads=heads)
    # scoring closes enrolment and shows the period as published; evidence learns it too
    _tell_listeners(session, period.id, "published", published_at=instant_json(now),
                    publication_ends_at=instant_json(period.publication_ends_at))
    _announce(session, "publication.opened", period, ends_at=instant_json(period.publication_ends_at),
              republication=republication)
    audit.record(session, actor=principal, action="period.published", entity_type="period",
                 entity_id=period.id, before=before, after=_state(period),
                 details={"publication": shown.sequence, "working_days": days, "republication": republication,
                          "published_at": instant_json(now),
                          "entries_sha256": publication.entries_digest(
                              period.id, shown.sequence, await repository.publication_entries(session, shown.id)),
                          "chain_heads": heads})
    await session.flush()
    return period


def _reaching(previous: Publication | None, now: datetime, days: int, *,
              extend: bool) -> tuple[int, tuple[datetime, str | None]]:
    """The window's days and (end, calendar note); when `extend` (the office named no days), the fewest days from
    `days` on (at most 30) whose end is not before the 公示 in progress was announced to end."""
    timezone = get_settings().timezone
    end = publication_end_with_note(now, days, timezone)
    while extend and previous is not None and now < previous.ends_at and end[0] < previous.ends_at and days < 30:
        days += 1
        end = publication_end_with_note(now, days, timezone)
    return days, end


async def finalize(session: AsyncSession, principal: Principal, scoring: ScoringClient, period_id: str, *,
                   now: datetime) -> PeriodSnapshot:
    """审定: freeze the period once its window is over, every objection and appeal is answered and no submission
    waits for review."""
    period = await get(session, period_id, lock=True)
    require_office(principal, period.scope_path)
    refuse_if_frozen(period)
    publication.refuse_if_stale(period)
    _require_window_over(period, now)
    open_count = await objections.count_open(session, period.id)
    if open_count:
        raise Conflict(ngettext("%(open_count)s objection to period %(period_id)s is still open; answer it first",
                                "%(open_count)s objections to period %(period_id)s are still open; answer them first",
                                open_count, open_count=open_count, period_id=period.id),
                       details={"open_objections": open_count})
    await _require_nothing_open_in_evidence(scoring, period.id)
    before = _state(period)
    heads = await audit_heads(session, scoring, _("period %(period_id)s was not finalized (审定)",
                                                  period_id=period.id))
    snapshot = await _snapshot(session, period, principal, now, heads)
    period.status, period.finalized_at, period.finalized_by = "finalized", now, principal.subject
    _tell_listeners(session, period.id, "finalized", snapshot=snapshot)
    _announce(session, "publication.closed", period)
    _announce(session, "period.finalised", period, snapshot=snapshot.sequence)
    audit.record(session, actor=principal, action="period.finalized", entity_type="period", entity_id=period.id,
                 before=before, after=_state(period), details={"sequence": snapshot.sequence,
                                                               "sha256": snapshot.sha256})
    await session.flush()
    return snapshot


async def _require_nothing_open_in_evidence(scoring: ScoringClient, period_id: str) -> None:
    """审定 would strand an open appeal (evidence refuses to answer it once the period is finalized) and a submission
    pending review (the deadline sweep leaves a finalized period alone): both are finished first, as objections are
    (docs/decisions.md, "审定 waits for open appeals and pending reviews")."""
    counts = await open_work(scoring, period_id)
    appeals, pending = counts["open_appeals"], counts["pending_submissions"]
    if appeals or pending:
        raise Conflict(_("period %(period_id)s still has work open in evidence: open appeals (申诉) %(appeals)s, "
                         "submissions pending review %(pending)s; answer the appeals and finish the reviews "
                         "(approve, return or reject each submission) first, then finalize (审定)",
                         period_id=period_id, appeals=appeals, pending=pending),
                       details={"open_appeals": appeals, "pending_submissions": pending})


def _require_window_over(period: RankedPeriod, now: datetime) -> None:
    if period.status != "published" or period.publication_ends_at is None:
        raise Conflict(_("period %(period_id)s must be published (公示) before it is finalized", period_id=period.id))
    if now < period.publication_ends_at:
        raise Conflict(_("the publication of period %(period_id)s runs until %(publication_ends_at)s",
                         period_id=period.id, publication_ends_at=shown_deadline(period.publication_ends_at)),
                       details={"publication_ends_at": instant_json(period.publication_ends_at)})


async def snapshot_document(session: AsyncSession, period: RankedPeriod, sequence: int,
                            chain_heads: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every current result of the period, with where each subject sits (used by roll-ups), and the heads of the
    three audit chains when it was taken."""
    rows = await results.current(session, period.id)
    subjects = [{**row.document, "unit_path": row.unit_path, "attributes": row.attributes} for row in rows]
    document = {"period_id": period.id, "scheme": period.scheme_id, "version": period.scheme_version,
                "period": period.label, "sequence": sequence, "inputs_sha256": period.inputs_sha256,
                "subjects": subjects, "problems": period.problems}
    return document if chain_heads is None else {**document, "chain_heads": chain_heads}


async def _snapshot(session: AsyncSession, period: RankedPeriod, principal: Principal, now: datetime,
                    chain_heads: dict[str, Any]) -> PeriodSnapshot:
    sequence = await repository.next_sequence(session, period.id)
    content = canonical(await snapshot_document(session, period, sequence, chain_heads))
    snapshot = PeriodSnapshot(period_id=period.id, sequence=sequence, sha256=sha256(content), content=content,
                              finalized_by=principal.subject, finalized_at=now, chain_heads=chain_heads)
    await repository.add_snapshot(session, snapshot)
    return snapshot


def _announce(session: AsyncSession, type: str, period: RankedPeriod, **extra: Any) -> None:
    notify.publish(session, type, entity_id=period.id, unit_path=period.scope_path, period_id=period.id, **extra)


def _tell_listeners(session: AsyncSession, period_id: str, status: str, **extra: Any) -> None:
    snapshot = extra.pop("snapshot", None)
    payload: dict[str, Any] = {"period_id": period_id, "status": status, **extra}
    if snapshot is not None:
        payload |= {"snapshot_sequence": snapshot.sequence, "snapshot_sha256": snapshot.sha256}
    for destination in STATUS_LISTENERS:
        enqueue(session, common.outbox, destination=destination, topic="period.status", payload=payload)


async def reopen(
    session: AsyncSession, principal: Principal, period_id: str, *, reason: str, now: datetime
) -> PeriodReopening:
    """Formally reopen a finalized period; results may change and a later 审定 makes a new snapshot."""
    period = await get(session, period_id, lock=True)
    require_office(principal, period.scope_path)
    if period.status != "finalized":
        raise Conflict(_("period %(period_id)s is not finalized; there is nothing to reopen", period_id=period.id))
    before = _state(period)
    last = await repository.latest_snapshot(session, period.id)
    reopening = PeriodReopening(period_id=period.id, reason=reason, snapshot_sequence=last.sequence if last else 0,
                                reopened_by=principal.subject, reopened_at=now)
    await repository.add_reopening(session, reopening)
    period.status, period.reopen_count = "computed", period.reopen_count + 1
    period.published_at = period.publication_ends_at = period.finalized_at = None
    # Scoring and evidence accept writes again (scoring moves the period back to `scoring`; ranking's own status
    # is `computed` until the results are published again).
    _tell_listeners(session, period.id, "reopened", reason=reason)
    _announce(session, "period.reopened", period)
    audit.record(session, actor=principal, action="period.reopened", entity_type="period", entity_id=period.id,
                 before=before, after=_state(period), details={"reason": reason})
    await session.flush()
    return reopening


def require_related(principal: Principal, period: RankedPeriod, *, public_once_published: bool = False) -> None:
    """A read of a period off the branch of the caller's grants (its owner, `scope_path`, neither covers nor lies
    within one of them: `Principal.relates_to`) is told what a period ranking does not know is told, so that the
    answer never confirms it exists. `public_once_published`: what the 公示 shows the whole organisation (the
    period's state, the publication list) is no secret once published. A person (a token with `subject_ids`) may
    hold no grant at all: its period is looked up unscoped, as evidence does for a person's own journal, and the
    reads of results still show it its own subject only."""
    if principal.relates_to(period.scope_path) or principal.subject_ids or (
            public_once_published and period.publication_sequence > 0):
        return
    raise NotFound(_("period %(period_id)s has no results yet", period_id=period.id))


def require_snapshot_reader(principal: Principal, period: RankedPeriod) -> None:
    """A snapshot holds every result of the period: the office over it, or an auditor. A caller off the period's
    branch is told what a period that does not exist tells."""
    require_related(principal, period)
    if not principal.can(("admin", "auditor"), period.scope_path):
        raise Forbidden(_("%(subject)s may not read the snapshots of period %(period_id)s",
                          subject=principal.subject, period_id=period.id))


def read_for(principal: Principal, period: RankedPeriod) -> PeriodRead:
    """The period's state; its problems (which name subjects and facts) only for the office and auditors."""
    read = PeriodRead.model_validate(period)
    if not principal.can(("admin", "auditor"), period.scope_path):
        read.problems = []
    return read
