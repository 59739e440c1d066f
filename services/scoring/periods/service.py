"""Period rules: opening for a published scheme version, enrolment, the status lifecycle, reads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session

from kaohe.engine.scheme.model import AccrualParams, DeductionParams, RatioParams
from kaohe.engine.scheme.model import Scheme as EngineScheme
from kaohe.engine.scheme.rule_params import FACT_KIND
from kaohe.i18n import _, ngettext, status_word
from services.common import audit, clock, listing
from services.common.auth import Principal, scope_covers
from services.common.db import advisory_lock
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.patterns import LABEL_FORMS, label_kind
from services.common.tabular import BadRows
from services.scoring.access import may_read_subject, require_known
from services.scoring.periods import repository as repo
from services.scoring.periods.models import Period, PeriodSubject
from services.scoring.periods.schemas import (
    IndicatorRead,
    PeriodCreate,
    PeriodPage,
    PeriodRead,
    PeriodSummary,
    RequiredDocumentRead,
    SubjectIn,
    SubjectRead,
)
from services.scoring.schemes import repository as scheme_repo
from services.scoring.schemes import service as schemes

ORDER = ("open", "collecting", "scoring", "published", "finalized")
ENROLMENT_OPEN = frozenset({"open", "collecting", "scoring"})
# ranking owns 公示 and 审定: its period.status events set these (the status endpoint moves the others)
RANKING_STATUS = {"published": "published", "finalized": "finalized", "reopened": "scoring"}
MAX_CAUSES = 50
DUE_WAKE = "recompute_wake"  # session.info key: this transaction marked a period due


async def get_period(session: AsyncSession, period_id: str, *, lock: bool = False) -> Period:
    period = await repo.get(session, period_id, lock=lock)
    if period is None:
        raise NotFound(_("period %(period_id)s not found", period_id=period_id))
    return period


async def scheme_of(session: AsyncSession, period: Period) -> EngineScheme:
    row = await schemes.published_version(session, period.scheme_id, period.scheme_version)
    return schemes.engine_scheme(row)


def require_writable(period: Period) -> None:
    """A finalized period (审定) is frozen until ranking reopens it."""
    if period.status == "finalized":
        raise Conflict(_("period %(period_id)s is finalized; nothing about it may change until it is reopened",
                         period_id=period.id))


def mark_due(period: Period, cause: str) -> None:
    """Ask for a recompute (the loop starts once the transaction commits), remembering what caused it."""
    period.recompute_due_at = clock.real_now()
    session = object_session(period)
    if session is not None:
        session.info[DUE_WAKE] = True
    causes = [c for c in (period.pending_causes or []) if c != cause]
    period.pending_causes = [*causes, cause][-MAX_CAUSES:]


def indicators(scheme: EngineScheme) -> list[IndicatorRead]:
    """The contract's indicator list: code, name, max, rule kind and the fact kind a leaf reads."""
    return [
        IndicatorRead(code=n.code, name=n.name, max=format(n.max, "f"),
                      rule_kind=n.rule.kind if n.rule else None,
                      fact_kind=FACT_KIND.get(n.rule.kind) if n.rule else None,
                      documents=[d.name for d in n.documents.required] if n.documents else [],
                      required_documents=[RequiredDocumentRead(name=d.name, supplier=d.supplier)
                                          for d in n.documents.required] if n.documents else [],
                      documents_when_missing=n.documents.when_missing if n.documents else None,
                      lookback_periods=n.lookback, event_types=event_types(n.rule.params) if n.rule else [],
                      event_levels=sorted(n.rule.params.levels) if n.rule and isinstance(n.rule.params, AccrualParams)
                      else [],
                      numerator_within_denominator=isinstance(n.rule.params, RatioParams)
                      and n.rule.params.counts_a_share if n.rule else False)
        for n in scheme.nodes()
    ]


def veto_events(scheme: EngineScheme) -> list[str]:
    """The event types of the scheme's vetoes: the only events that may come without an indicator (§5)."""
    return sorted({veto.event for veto in scheme.vetoes})


def event_types(params: object) -> list[str]:
    """The event types a deduction or accrual leaf reads (a deduction's `zero_when` types are in its `per_event`)."""
    if isinstance(params, DeductionParams | AccrualParams):
        return sorted(params.per_event)
    return []


async def read(session: AsyncSession, period: Period) -> PeriodRead:
    scheme = await scheme_of(session, period)
    return PeriodRead(
        id=period.id, scheme_id=period.scheme_id, scheme_version=period.scheme_version, label=period.label,
        status=period.status, owner_path=period.owner_path, score_set=period.score_set,
        inputs_sha256=period.inputs_sha256, subject_count=await repo.subject_count(session, period.id),
        recompute_pending=period.recompute_due_at is not None, created_at=period.created_at,
        indicators=indicators(scheme), veto_events=veto_events(scheme),
    )


async def _resolve(
    session: AsyncSession, period: Period, scheme: EngineScheme, items: Sequence[SubjectIn]
) -> list[dict[str, Any]]:
    """Enrolment rows: each subject found in the organisation, under the period's owner, in a scheme group."""
    ids = [s.id for s in items]
    if len(set(ids)) != len(ids):
        raise InvalidInput(_("a subject is listed twice"), details={"field": "subjects"})
    lookup = repo.organisation_units if scheme.subject_kind == "unit" else repo.organisation_people
    found = await lookup(session, ids)
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise InvalidInput(ngettext("%(count)s subject is not a unit of the organisation",
                                    "%(count)s subjects are not units of the organisation", len(unknown),
                                    count=len(unknown))
                           if scheme.subject_kind == "unit" else
                           ngettext("%(count)s subject is not a person of the organisation",
                                    "%(count)s subjects are not persons of the organisation", len(unknown),
                                    count=len(unknown)),
                           details={"field": "subjects", "unknown": unknown[:100]})
    outside = [i for i in ids if not scope_covers(period.owner_path, found[i][1])]
    bad_group = [s.id for s in items if s.group not in scheme.groups]
    if outside or bad_group:
        raise InvalidInput(_("subjects outside the period's organisation or in an unknown group"),
                           details={"field": "subjects", "outside_owner": outside[:100],
                                    "unknown_group": bad_group[:100], "groups": list(scheme.groups)})
    return [{"period_id": period.id, "subject_id": s.id, "name": found[s.id][0], "kind": scheme.subject_kind,
             "group": s.group, "unit_path": found[s.id][1], "attributes": s.attributes} for s in items]


async def open_period(session: AsyncSession, principal: Principal, payload: PeriodCreate) -> PeriodRead:
    """Open a period of a published scheme version with its subjects."""
    row = await schemes.published_version(session, payload.scheme_id, payload.scheme_version)
    owner = payload.owner_path
    if owner is None:
        scheme_row = await scheme_repo.get_scheme(session, payload.scheme_id)
        owner = scheme_row.owner_path if scheme_row else ""
    principal.require("admin", owner)
    if payload.id and await repo.get(session, payload.id) is not None:
        raise Conflict(_("period %(payload_id)s exists", payload_id=payload.id))
    scheme = schemes.engine_scheme(row)
    _check_label(payload.label, row.scheme_id, scheme.period)
    # one period per scheme, label and owner (docs/decisions.md, "Facts held to the scheme, period labels"): two
    # concurrent opens of the same one wait for each other here
    await advisory_lock(session, f"period-label:{row.scheme_id}:{payload.label}:{owner}")
    same = await repo.with_label(session, row.scheme_id, payload.label, owner)
    if same is not None:
        raise Conflict(_("scheme %(scheme)s already has period %(period)s labelled %(label)s for %(owner)r; a period "
                         "is assessed once", scheme=row.scheme_id, period=same.id, label=payload.label, owner=owner),
                       details={"field": "label", "period_id": same.id})
    now = clock.now()
    period = Period(id=payload.id or uuid.uuid4().hex, scheme_id=row.scheme_id, scheme_version=row.version,
                    label=payload.label, owner_path=owner, status="open", score_set=0, result_meta={}, cache_epoch=0,
                    pending_causes=[], created_by=principal.subject, created_at=now, updated_at=now)
    await repo.add(session, period)
    await repo.upsert_subjects(session, await _resolve(session, period, scheme, payload.subjects))
    if payload.subjects:
        mark_due(period, f"user:{principal.subject}")
    audit.record(session, actor=principal, action="period.open", entity_type="period", entity_id=period.id,
                 after={"scheme": row.scheme_id, "version": row.version, "label": period.label, "owner": owner,
                        "subjects": [s.id for s in payload.subjects]})
    return await read(session, period)


def _check_label(label: str, scheme_id: str, kind: str) -> None:
    """422 on `label` unless it names a period of the scheme's kind (scheme-reference §1: 2026-03 for a monthly
    scheme, 2026-Q1 quarterly, 2026-H1 half-yearly, 2026 yearly, 2026-W05 weekly)."""
    if label_kind(label) == kind:
        return
    refusals = {
        "month": _("label %(label)s does not fit scheme %(scheme)s, which is assessed monthly: give a month such as "
                   "2026-03", label=label, scheme=scheme_id),
        "quarter": _("label %(label)s does not fit scheme %(scheme)s, which is assessed quarterly: give a quarter "
                     "such as 2026-Q1", label=label, scheme=scheme_id),
        "half": _("label %(label)s does not fit scheme %(scheme)s, which is assessed half-yearly: give a half-year "
                  "such as 2026-H1", label=label, scheme=scheme_id),
        "year": _("label %(label)s does not fit scheme %(scheme)s, which is assessed yearly: give a year such as "
                  "2026", label=label, scheme=scheme_id),
        "week": _("label %(label)s does not fit scheme %(scheme)s, which is assessed weekly: give an ISO week such "
                  "as 2026-W05", label=label, scheme=scheme_id),
    }
    reason = refusals[kind]
    raise InvalidInput(reason, details={"field": "label", "reason": reason, "expected": LABEL_FORMS[kind]})


async def _period_for_admin(session: AsyncSession, principal: Principal, period_id: str) -> Period:
    period = await get_period(session, period_id, lock=True)
    principal.require("admin", period.owner_path)
    return period


async def enrol_file(session: AsyncSession, principal: Principal, period_id: str,
                     lined: Sequence[tuple[int, SubjectIn]], problems: list[dict[str, Any]]) -> list[str]:
    """Enrol the rows of a file, all or nothing: every bad row (unreadable, a subject listed twice, not of the
    organisation, outside the period's owner, in a group the scheme lacks) is reported with its row, column and
    reason (tabular.BadRows), and then nothing is written."""
    period = await _period_for_admin(session, principal, period_id)
    if period.status not in ENROLMENT_OPEN:
        raise Conflict(_("period %(period_id)s is %(status)s; enrolment closes when it is published",
                         period_id=period_id, status=status_word("period", period.status)))
    scheme = await scheme_of(session, period)
    items = [item for _, item in lined]
    lookup = repo.organisation_units if scheme.subject_kind == "unit" else repo.organisation_people
    found = await lookup(session, list({s.id for s in items}))
    seen: dict[str, int] = {}
    found_problems = list(problems)
    for line, item in lined:
        reason = None
        if item.id in seen:
            reason = ("id", _("subject %(id)s is listed twice (first on line %(line)s)", id=item.id,
                                line=seen[item.id]))
        elif item.id not in found:
            reason = ("id", _("%(id)s is not a unit of the organisation", id=item.id) if scheme.subject_kind == "unit"
                      else _("%(id)s is not a person of the organisation", id=item.id))
        elif not scope_covers(period.owner_path, found[item.id][1]):
            reason = ("id", _("%(id)s (%(path)s) is outside the period's owner %(owner)r", id=item.id,
                              path=found[item.id][1], owner=period.owner_path))
        elif item.group not in scheme.groups:
            reason = ("group", _("group %(group)r is not one of the scheme's (%(groups)s)", group=item.group,
                                 groups=", ".join(scheme.groups)))
        seen.setdefault(item.id, line)
        if reason is not None:
            found_problems.append({"row": line, "column": reason[0], "reason": reason[1]})
    if found_problems:
        raise BadRows(sorted(found_problems, key=lambda p: p["row"]))
    return await enrol(session, principal, period_id, items)


async def enrol(session: AsyncSession, principal: Principal, period_id: str, items: Sequence[SubjectIn]) -> list[str]:
    """Add or update subjects (group, attributes) until the period is published."""
    period = await _period_for_admin(session, principal, period_id)
    if period.status not in ENROLMENT_OPEN:
        raise Conflict(_("period %(period_id)s is %(status)s; enrolment closes when it is published",
                         period_id=period_id, status=status_word("period", period.status)))
    scheme = await scheme_of(session, period)
    rows = await _resolve(session, period, scheme, items)
    await repo.upsert_subjects(session, rows)
    period.cache_epoch += 1  # the subject list changed: every process reloads the period
    mark_due(period, f"user:{principal.subject}")
    audit.record(session, actor=principal, action="period.enrol", entity_type="period", entity_id=period.id,
                 after={"subjects": [{k: r[k] for k in ("subject_id", "group", "attributes")} for r in rows]})
    return [r["subject_id"] for r in rows]


async def withdraw(session: AsyncSession, principal: Principal, period_id: str, subject_id: str) -> None:
    """Remove a subject from a period that is not yet published."""
    period = await _period_for_admin(session, principal, period_id)
    if period.status not in ENROLMENT_OPEN:
        raise Conflict(_("period %(period_id)s is %(status)s; enrolment closes when it is published",
                         period_id=period_id, status=status_word("period", period.status)))
    if not await repo.remove_subject(session, period.id, subject_id):
        raise NotFound(_("subject %(subject_id)s is not enrolled in period %(period_id)s",
                         subject_id=subject_id, period_id=period_id))
    period.cache_epoch += 1
    mark_due(period, f"user:{principal.subject}")
    audit.record(session, actor=principal, action="period.withdraw", entity_type="period", entity_id=period.id,
                 before={"subject": subject_id})


async def change_status(session: AsyncSession, principal: Principal, period_id: str, status: str) -> PeriodRead:
    """Move one step along open → collecting → scoring → published → finalized; anything else is 409."""
    period = await _period_for_admin(session, principal, period_id)
    if status in ("published", "finalized"):
        action = "publishResults" if status == "published" else "finalizePeriod"
        raise Conflict(_("period %(period_id)s becomes %(status)s when its results are %(status)s (%(action)s), so "
                         "that scoring and ranking tell the same state",
                         period_id=period_id, status=status_word("period", status), action=action),
                       details={"from": period.status, "to": status})
    current = ORDER.index(period.status)
    if ORDER.index(status) != current + 1:
        raise Conflict(_("period %(period_id)s cannot go from %(status)s to %(status2)s",
                         period_id=period_id, status=status_word("period", period.status),
                         status2=status_word("period", status)),
                       details={"from": period.status, "to": status, "allowed": list(ORDER[current + 1:current + 2])})
    set_status(session, period, status, actor=principal.subject)
    return await read(session, period)


def set_status(session: AsyncSession, period: Period, status: str, *, actor: str) -> None:
    """Record a status change (by an admin, or by ranking's period.status event)."""
    before = period.status
    period.status, period.updated_at = status, clock.now()
    audit.record(session, actor=actor, action="period.status", entity_type="period", entity_id=period.id,
                 before={"status": before}, after={"status": status})


async def list_periods(session: AsyncSession, principal: Principal, *, limit: int, after: str | None,
                       status: str | None, scheme_id: str | None = None, owner_path: str | None = None) -> PeriodPage:
    """The periods the caller is related to (owned over or within its grants), newest first; optionally of one
    scheme and one owner (the unit path exactly)."""
    require_known(principal)
    key = listing.decode_cursor(after, 2)
    try:
        position = (datetime.fromisoformat(key[0]), key[1]) if key else None
    except ValueError:
        raise InvalidInput(_("the cursor is not one this list gave out"), details={"field": "after"}) from None
    visible = and_(listing.related_paths(Period.owner_path, principal),
                   *([Period.scheme_id == scheme_id] if scheme_id is not None else []),
                   *([Period.owner_path == owner_path.strip("/")] if owner_path is not None else []))
    rows, total = await repo.page(session, visible, limit=limit + 1, after=position, status=status)
    more = len(rows) > limit
    rows = rows[:limit]
    return PeriodPage(items=await _summaries(session, rows), total_count=total,
                      next=listing.encode_cursor(rows[-1].created_at.isoformat(), rows[-1].id) if more else None)


async def _summaries(session: AsyncSession, rows: Sequence[Period]) -> list[PeriodSummary]:
    """List rows with the subject count and indicators a single read shows (one count query, one parse
    per scheme version of the page)."""
    counts = await repo.subject_counts(session, [r.id for r in rows])
    trees: dict[tuple[str, int], tuple[list[IndicatorRead], list[str]]] = {}
    for row in rows:
        if (row.scheme_id, row.scheme_version) not in trees:
            scheme = await scheme_of(session, row)
            trees[(row.scheme_id, row.scheme_version)] = indicators(scheme), veto_events(scheme)
    return [PeriodSummary(id=r.id, scheme_id=r.scheme_id, scheme_version=r.scheme_version, label=r.label,
                          status=r.status, owner_path=r.owner_path, inputs_sha256=r.inputs_sha256,
                          created_at=r.created_at, subject_count=counts.get(r.id, 0),
                          indicators=trees[(r.scheme_id, r.scheme_version)][0],
                          veto_events=trees[(r.scheme_id, r.scheme_version)][1]) for r in rows]


async def get(session: AsyncSession, principal: Principal, period_id: str) -> PeriodRead:
    require_known(principal)
    return await read(session, await get_period(session, period_id))


def subject_read(row: PeriodSubject) -> SubjectRead:
    return SubjectRead(id=row.subject_id, name=row.name, kind=row.kind, group=row.group, unit_path=row.unit_path,
                       attributes=row.attributes)


async def list_subjects(
    session: AsyncSession, principal: Principal, period_id: str, ids: list[str] | None
) -> list[SubjectRead]:
    """Batch read; subjects the caller may not read are left out."""
    await get_period(session, period_id)
    rows = await repo.subjects(session, period_id, ids)
    return [subject_read(r) for r in rows
            if may_read_subject(principal, subject_id=r.subject_id, unit_path=r.unit_path)]
