"""The 公示 as published: which result versions it shows, how long a (re-)publication runs, and whether
the period's results are still those it shows (else the period is stale and 审定 waits for a new 公示)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.engine.scheme.model import PublicationRules
from kaohe.i18n import _
from services.common import audit, clock, notify
from services.common.auth import Principal
from services.common.errors import Conflict, InvalidInput
from services.common.localtime import instant_json, shown_instant
from services.common.settings import get_settings
from services.common.stored_text import english, message
from services.ranking.periods import repository
from services.ranking.periods.models import Publication, RankedPeriod
from services.ranking.results import repository as results

DEFAULT_WORKING_DAYS = 5  # "公示5个工作日", as a 公示 is usually written
LISTED = 100  # subject ids named in an audit record


def window(rules: PublicationRules | None, *, requested: int | None, republication: bool,
           previous: Publication | None) -> int:
    """The working days of a 公示: the request, at least the minimum, else the default.

    A first 公示 (of the period, or after a reopening) runs at least `publication.working_days`; a re-publication
    after the results changed at least `publication.republication_working_days` (the shortened window the scheme
    allows), else `working_days`. A scheme without them has KAOHE_PUBLICATION_MIN_WORKING_DAYS (default 5) as the
    minimum of both; its default is that minimum, a re-publication's as long as the publication before."""
    full = rules.working_days if rules else None
    short = rules.republication_working_days if rules else None
    scheme_minimum = (short or full) if republication else full
    minimum = scheme_minimum or get_settings().publication_min_working_days
    default = scheme_minimum or max(minimum, previous.working_days if republication and previous else minimum)
    if requested is None:
        return default
    if requested < minimum:
        what = _("a re-publication") if republication else _("a publication (公示)")
        if scheme_minimum is None:
            raise InvalidInput(_("%(what)s runs %(minimum)s working days at least (KAOHE_PUBLICATION_MIN_WORKING_DAYS; "
                                 "the scheme sets no publication.working_days); %(requested)s is too short",
                                 what=what, minimum=minimum, requested=requested),
                               details=[{"field": "working_days", "reason": "too short", "minimum": minimum}])
        key = "republication_working_days" if republication and short else "working_days"
        raise InvalidInput(_("the scheme sets %(what)s at %(minimum)s working days at least (publication.%(key)s); "
                             "%(requested)s is too short", what=what, minimum=minimum, key=key, requested=requested),
                           details=[{"field": "working_days", "reason": "too short", "minimum": minimum}])
    return requested


async def compare(session: AsyncSession,
                  period: RankedPeriod) -> tuple[Publication, dict[str, str], dict[str, str]] | None:
    """The latest 公示, the result digest it shows of each subject and each subject's current one (None before the
    first 公示)."""
    shown = await repository.latest_publication(session, period.id)
    if shown is None:
        return None
    published = await repository.published_digests(session, shown.id)
    current = {sid: d.digest for sid, d in (await results.current_digests(session, period.id)).items()}
    return shown, published, current


async def refuse_if_unchanged(session: AsyncSession, period: RankedPeriod) -> None:
    """A re-publication shows results that changed since the 公示: while every current result is the one the latest
    publication shows (the period is not stale), publishing again is refused (409), so that a 公示 in progress is
    not restarted, re-announced and re-sent to integrators for nothing."""
    compared = await compare(session, period)
    if compared is None:
        return
    shown, published, current = compared
    if current == published:
        raise Conflict(_("the results of period %(period_id)s are still those its 公示 (publication %(sequence)s) "
                         "shows; a re-publication is only for results that changed after the 公示",
                         period_id=period.id, sequence=shown.sequence),
                       details={"publication": shown.sequence, "stale": False,
                                "publication_ends_at": shown.ends_at.isoformat()})


def refuse_if_cut_short(previous: Publication | None, ends_at: datetime, now: datetime) -> None:
    """A re-publication never ends before the 公示 it replaces was announced to end (its objection period)."""
    if previous is None or now >= previous.ends_at or ends_at >= previous.ends_at:
        return
    raise InvalidInput(_("the 公示 in progress (publication %(sequence)s) was announced until %(ends_at)s; a "
                         "re-publication may not end before it: give more working days, or leave them out",
                         sequence=previous.sequence, ends_at=previous.ends_at.isoformat()),
                       details=[{"field": "working_days", "reason": "ends before the 公示 in progress",
                                 "publication_ends_at": previous.ends_at.isoformat()}])


async def record(session: AsyncSession, period: RankedPeriod, principal: Principal, *, working_days: int,
                 now: datetime, ends_at: datetime, republication: bool,
                 chain_heads: dict[str, Any] | None = None) -> Publication:
    """Store the publication with the period's current results as what it shows (and the audit chains' heads);
    the period is current again."""
    shown = Publication(period_id=period.id, sequence=period.publication_sequence + 1, working_days=working_days,
                        republication=republication, published_by=principal.subject, published_at=now,
                        ends_at=ends_at, chain_heads=chain_heads)
    await repository.add_publication(session, shown)
    period.publication_sequence = shown.sequence
    _clear(period)
    return shown


def entries_digest(period_id: str, sequence: int, entries: list[tuple[int, str, str]]) -> str:
    """SHA-256 of what a publication shows: the canonical JSON of `{period_id, publication, entries: [[position,
    subject, result digest], …]}`. The audit record of the publication carries it (`entries_sha256`), so the
    audit chain vouches for the list the public 公示 page prints with it."""
    return str(audit.digest({"period_id": period_id, "publication": sequence,
                             "entries": [list(entry) for entry in entries]}))


def refuse_if_stale(period: RankedPeriod) -> None:
    """审定 approves what was published: not while the results differ from the 公示."""
    if period.stale:
        raise Conflict(_("the results of period %(period_id)s changed after they were published (公示): "
                         "%(stale_reason)s; publish them again before 审定",
                         period_id=period.id, stale_reason=period.stale_reason),
                       details={"stale": True, "stale_since": instant_json(period.stale_since)
                                if period.stale_since else None, "publication": period.publication_sequence})


async def after_recompute(session: AsyncSession, period: RankedPeriod, *, actor: Principal | str,
                          cause: dict[str, Any]) -> None:
    """While published, compare the current results with what the 公示 shows: the period is stale while any
    subject's result differs (its rank, grade, total, labels, rewards…: the result's digest), is new or is gone.
    Whenever that set of subjects changes (the first difference, or a later change that moves more or fewer
    results away from the 公示) the stale reason gives the current counts, `publication.stale` is audited with
    the subjects and the cause, and integrators hear `results.changed_after_publication` with the counts; once
    no result differs, the period is current again (audited). Before any 公示 a period is never stale."""
    if period.status != "published":
        _clear(period)
        return
    compared = await compare(session, period)
    if compared is None:
        return
    shown, published, current = compared
    if current == published:
        if period.stale:
            _clear(period)
            audit.record(session, actor=actor, action="publication.current", entity_type="period",
                         entity_id=period.id, details={"publication": shown.sequence, "cause": cause})
        return
    changes = {"changed": sorted(s for s in current.keys() & published.keys() if current[s] != published[s]),
               "added": sorted(current.keys() - published.keys()), "removed": sorted(published.keys() - current.keys())}
    changes_sha256 = str(audit.digest({"publication": shown.sequence, **changes}))
    if period.stale and period.stale_changes_sha256 == changes_sha256:
        return  # the same subjects differ as recorded last; each result's own changes are audited as they happen
    counts = {what: len(ids) for what, ids in changes.items()}
    mark_stale(session, period, actor=actor, reason=_reason(shown, counts), changes_sha256=changes_sha256,
               details={"publication": shown.sequence, **counts_and_lists(changes), "cause": cause},
               notice={"publication": shown.sequence, **counts})


def counts_and_lists(changes: dict[str, list[str]]) -> dict[str, Any]:
    """The audit details of a difference: each list (up to LISTED ids) and, when a list is cut, its count."""
    details: dict[str, Any] = {what: ids[:LISTED] for what, ids in changes.items()}
    details.update({f"{what}_count": len(ids) for what, ids in changes.items() if len(ids) > LISTED})
    return details


def _clear(period: RankedPeriod) -> None:
    period.stale, period.stale_since, period.stale_reason, period.stale_changes_sha256 = False, None, None, None


def mark_stale(session: AsyncSession, period: RankedPeriod, *, actor: Principal | str, reason: str,
               details: dict[str, Any], changes_sha256: str | None = None,
               notice: dict[str, Any] | None = None) -> None:
    """Mark the period stale with its reason, audit why and tell integrators. A difference from the 公示
    (`changes_sha256` given) is recorded each time its set of subjects changes; the scores changing after 审定
    (without it) once, until the period is current again."""
    if period.stale and period.stale_reason and changes_sha256 is None:
        return
    since = period.stale_since if period.stale and period.stale_since else clock.now()  # since the first difference
    period.stale, period.stale_since, period.stale_reason = True, since, reason
    period.stale_changes_sha256 = changes_sha256
    if period.status in ("published", "finalized"):
        notify.publish(session, "results.changed_after_publication", entity_id=period.id,
                       unit_path=period.scope_path, period_id=period.id, status=period.status, **(notice or {}))
    audit.record(session, actor=actor, action="publication.stale", entity_type="period", entity_id=period.id,
                 details={"reason": english(reason), **details})


def _reason(shown: Publication, counts: dict[str, int]) -> str:
    return message("publication.stale", day=shown_instant(shown.published_at), publication=shown.sequence, **counts)
