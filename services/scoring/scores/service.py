"""Scores: applying fact events, recomputing a period into score versions, reads, verification."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.engine.canonical import canonical_json
from kaohe.i18n import _
from services.common import audit, clock, outbox, provenance
from services.common.auth import Principal
from services.common.db import driver_connection
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.explanations import holds_in_earlier_wording, render_problem
from services.scoring.access import may_read_scores, require_service
from services.scoring.db import common
from services.scoring.periods import repository as period_repo
from services.scoring.periods import service as periods
from services.scoring.periods.models import Period
from services.scoring.schemes import service as schemes
from services.scoring.scores import compute, incremental, lookback, rollups
from services.scoring.scores import repository as repo
from services.scoring.scores.cache import ScoresCache
from services.scoring.scores.evidence_client import provenance_pages
from services.scoring.scores.schemas import (
    FactChange,
    PeriodInputs,
    PeriodProblem,
    PeriodProblems,
    RecomputeResult,
    ScoresRead,
    ScoreVersionRead,
    SubjectScoresRead,
    VerifyResult,
)

log = logging.getLogger("kaohe.scoring")
MAX_CAUSE = 2000
MAX_EVENT_CAUSES = 500  # what made the scores change, as ranking records it when a 公示 goes stale


def _fact_row(period_id: str, fact: dict[str, Any], now: datetime, *, revision: int = 0,
              retracted: bool = False) -> dict[str, Any]:
    indicator = fact.get("indicator")
    return {"period_id": period_id, "fact_id": str(fact["id"]), "subject_id": str(fact.get("subject"))[:64],
            "indicator": str(indicator)[:100] if indicator is not None else None, "body": fact,
            "revision": revision, "retracted": retracted, "updated_at": now}


async def apply_fact_change(session: AsyncSession, change: FactChange, *, cause: str,
                            locked: dict[str, Period] | None = None) -> bool:
    """Upsert or retract one fact copy and ask for a recompute; False when the period is unknown or the change is
    older than the stored one. `locked`: the periods this transaction locked already (a batch), not read again (a
    period's row carries its result meta, megabytes for 10,000 subjects)."""
    period = (locked or {}).get(change.period_id) or await period_repo.get(session, change.period_id, lock=True)
    return (await apply_fact_changes(session, [(change, cause)], {period.id: period} if period else {}))[0]


async def apply_fact_changes(session: AsyncSession, changes: Sequence[tuple[FactChange, str]],
                             locked: dict[str, Period]) -> list[bool]:
    """Fact changes (each with its cause) in their order, each as if applied alone after the ones before it, with
    one read of the stored revisions and one upsert (a batch of 500 made 500 upserts): whether each was applied.
    `locked`: their periods, locked by this transaction (the lock keeps every other writer of the periods' fact
    copies out, so the revisions read stay true); a change of another period is ignored, as one of an unknown
    period. A fact changed twice is written once, as its last applied change."""
    facts = [json.loads(canonical_json(change.fact)) for change, _cause in changes]
    keys = {(change.period_id, str(fact["id"])) for (change, _cause), fact in zip(changes, facts, strict=True)}
    stored = await repo.fact_revisions(session, keys)
    now = clock.now()
    written: dict[tuple[str, str], dict[str, Any]] = {}
    noted: list[dict[str, str]] = []  # which subject's facts each applied change changed: its versions' cause
    applied = []
    for (change, cause), fact in zip(changes, facts, strict=True):
        period = locked.get(change.period_id)
        if period is None:
            log.warning("fact.changed for unknown period %s ignored", change.period_id)
            applied.append(False)
            continue
        periods.require_writable(period)
        # A retraction is a tombstone of the same revision order as the upserts (evidence's outbox
        # may deliver a retried older change after a newer one).
        row = _fact_row(period.id, fact, now, revision=change.revision, retracted=change.action == "retract")
        key = (period.id, row["fact_id"])
        if stored.get(key, change.revision) > change.revision:
            log.info("fact %s revision %d is older than the stored one; ignored", fact["id"], change.revision)
            applied.append(False)
            continue
        stored[key] = change.revision
        written.pop(key, None)  # the later change replaces the earlier one, in the order of the last
        written[key] = row
        noted.append({"period_id": period.id, "subject_id": row["subject_id"], "cause": cause[:200]})
        periods.mark_due(period, cause)
        applied.append(True)
    if written:
        await repo.upsert_facts(session, list(written.values()))
        await repo.add_pending_causes(session, noted)
    return applied


BATCH_HOLD = timedelta(seconds=15)  # how long a batch with more behind it holds its periods' recompute at most


def hold_recompute(locked: Iterable[Period], due_before: dict[str, datetime | None]) -> None:
    """After a batch whose sender holds more events right behind it (`more`): the periods it marked due are
    recomputed once the batches stop coming, BATCH_HOLD after the last at most (should the next never come), not
    after each, which would recompute and rank a 10,000-row file 20 times, each batch waiting for the recompute
    before (docs/decisions.md, "Bulk facts reach the ranking in one recompute"). A period that was due already
    before the batch (a change not held) keeps its time; one held by the batch before is held again, and one the
    next batch does not continue is released then (`release_held`)."""
    now = clock.real_now()
    for period in locked:
        before = due_before.get(period.id)
        if period.recompute_due_at != before and (before is None or before > now):
            period.recompute_due_at = now + BATCH_HOLD


async def release_held(session: AsyncSession, continued: Collection[str]) -> int:
    """Make due now the periods an earlier batch held (`hold_recompute`) that this batch does not continue: its
    sender has moved on to other events (another period's file, or a single change that happened to share the
    held batch), so nothing more is coming for them. A period another transaction has locked is left as it is
    (that one continues it, or the hold runs out). How many were released."""
    now = clock.real_now()
    held = (select(Period.id).where(Period.recompute_due_at > now, Period.id.not_in(list(continued)))
            .with_for_update(skip_locked=True))
    released = await session.execute(update(Period).where(Period.id.in_(held.scalar_subquery()))
                                     .values(recompute_due_at=now).execution_options(synchronize_session=False))
    count: int = released.rowcount  # type: ignore[attr-defined]
    if count:
        session.info[periods.DUE_WAKE] = True
    return count


async def lock_periods(session: AsyncSession, period_ids: list[Any]) -> dict[str, Period]:
    """Lock the periods of a batch of fact changes first, once each and in id order, so that two batches (one sent
    again while the first is still applied) wait for each other instead of deadlocking; the periods found."""
    locked = {}
    for period_id in sorted({p for p in period_ids if isinstance(p, str)}):
        period = await period_repo.get(session, period_id, lock=True)
        if period is not None:
            locked[period_id] = period
    return locked


async def apply_period_status(session: AsyncSession, payload: dict[str, Any], *, source: str) -> bool:
    """Ranking's period.status, so that both services tell the same state: published (公示; enrolment
    closes), finalized (审定; the period freezes), reopened (back to scoring: results may change, enrolment
    opens, a new 公示 follows). False when nothing changed."""
    period = await period_repo.get(session, str(payload.get("period_id")), lock=True)
    status = payload.get("status")
    if period is None:
        return False
    target = periods.RANKING_STATUS.get(str(status))
    # a publication never undoes an approval (an event delayed behind the finalization); a republication
    # leaves a published period as it is
    if target is None or target == period.status or (target == "published" and period.status == "finalized"):
        return False
    before = period.status
    periods.set_status(session, period, target, actor=source)
    if rollups.changes_rollups(before, target):
        await rollups.mark_due(session, period)
    return True


async def recompute(session: AsyncSession, cache: ScoresCache, period: Period, *, cause: str) -> RecomputeResult:
    """Score the period with the engine; store a version for every changed value; tell ranking.

    Incremental (docs/decisions.md, "Incremental recompute"): the process's cached state of the
    period is refreshed by delta reads, only the subjects a change can reach are scored again,
    and only their values are compared with the newest stored ones.
    """
    state, scored, candidates = await incremental.refresh_and_score(session, cache, period)
    result = scored.result
    scheme = result.scheme
    if candidates is None:
        computed = compute.each_computed(scheme, result, state.live_facts(), in_id_order=True)
    else:
        computed = compute.each_computed(scheme, result, state.facts_of(candidates), only=candidates)
    meta = json.loads(canonical_json(compute.result_meta(result, candidates)))
    if candidates is not None:  # vetoes and flags only move with a subject's own facts: candidates
        rescored = set(candidates)  # their entries are replaced (or dropped: no vetoes or flags now)
        kept = {sid: m for sid, m in (period.result_meta or {}).get("subjects", {}).items()
                if sid not in rescored and (m.get("vetoes") or m.get("flags"))}  # empty: stored before pruning
        meta["subjects"] = {**kept, **meta["subjects"]}
    now = clock.now()
    causes = await _causes(session, period, cause)
    fresh: list[compute.Computed] = []
    # The rows are made as the COPY consumes them, so PostgreSQL ingests what was sent while the
    # next values are compared and encoded here.
    # The state's newest values are updated as the rows are made (a failed COPY rolls the transaction
    # back, and a state changed by a transaction that did not commit is dropped: cache.py).
    await repo.insert_versions(session, _version_records(
        compute.changed_each(computed, state.latest, fresh), state.latest, period.id,
        causes, period.score_set + 1, result.inputs_sha256, now))
    if fresh:
        state.value_seq = await repo.max_value_seq(session, period.id)
    # a roll-up's results come from its sub-periods' snapshots, which scoring does not hold: ranking rolls it up
    # again on every recompute here (rollups.py)
    moved = bool(fresh) or meta != (period.result_meta or {}) or scheme.rollup is not None
    if result.inputs_sha256 != period.inputs_sha256:  # its facts changed: later look-back periods read them
        await lookback.mark_later_due(session, period, scheme)
    _finish(session, period, result.inputs_sha256, meta, moved=moved, causes=causes)
    return RecomputeResult(period_id=period.id, score_set=period.score_set, changed=moved,
                           versions_created=len(fresh), inputs_sha256=result.inputs_sha256)


@dataclass(frozen=True)
class Causes:
    """What made one recompute: each subject's own cause (the events that changed its facts), the cause of the
    values moved by nothing of their subject's own (another subject's facts through a cross-subject rule, a
    look-back or roll-up, a new subject), every cause taken, and who acted."""

    own: dict[str, str]
    other: str
    taken: list[str]
    user: str | None

    def of(self, subject_id: str) -> str:
        return self.own.get(subject_id, self.other)


def joined(causes: Sequence[str], limit: int) -> str:
    """`causes` joined by commas, each whole: those that fit in `limit` characters, then `more:<n>` saying how
    many were left out (never an event id cut in the middle)."""
    text = ",".join(causes)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = len(",more:") + len(str(len(causes)))
    for cause in causes:
        if size + len(cause) + 1 > limit:
            break
        kept.append(cause)
        size += len(cause) + 1
    return ",".join([*kept, f"more:{len(causes) - len(kept)}"])


async def _causes(session: AsyncSession, period: Period, cause: str) -> Causes:
    """The causes of the recompute about to store score set `period.score_set + 1`: an explicit one (`user:…`)
    for every value, else each subject's own fact changes, and for the others the period's causes that are no
    fact change (`lookback:…`, `rollup:…`, `user:…`) or, without any, `score_set:<n>` (the period's
    scores.recompute record of that score set lists the events)."""
    own = await repo.take_pending_causes(session, period.id)
    events = list(dict.fromkeys(c for causes in own.values() for c in causes))
    others = [c for c in period.pending_causes or [] if not c.startswith("event:")]
    taken = list(dict.fromkeys([*events, *(period.pending_causes or [])]))
    if cause.startswith("user:"):
        return Causes({}, cause[:MAX_CAUSE], taken, cause)
    other = joined(others, MAX_CAUSE) or f"score_set:{period.score_set + 1}"
    return Causes({s: joined(c, MAX_CAUSE) for s, c in own.items()}, other, taken, None)


def _version_records(values: Iterable[compute.Computed], latest: dict[tuple[str, str], compute.Newest], period_id: str,
                     causes: Causes, score_set: int, digest: str, now: datetime) -> Iterator[tuple[Any, ...]]:
    """COPY rows (repository.VERSION_COLUMNS) of new score versions; each value becomes the newest in
    `latest` as its row is made (every (subject, indicator) comes once: compared before it is set)."""
    fact_ids_json, as_text, Newest, cause_of = repo.fact_ids_json, compute.as_text, compute.Newest, causes.of
    for c in values:
        latest[(c.subject_id, c.indicator)] = Newest(as_text(c.value), c.explain)
        yield (period_id, c.subject_id, c.indicator, c.value, fact_ids_json(c.fact_ids), c.explain,
               cause_of(c.subject_id), score_set, digest, now)


RECOMPUTE_ACTOR = "system:recompute"
MAX_AUDIT_CAUSES = 500  # causes listed in a scores.recompute record (a bulk upload may bring 10,000)


def _finish(session: AsyncSession, period: Period, digest: str, meta: dict[str, Any], *, moved: bool,
            causes: Causes) -> None:
    period.inputs_sha256, period.recompute_due_at, period.pending_causes = digest, None, []
    if not moved:
        return
    period.score_set += 1
    period.result_meta = meta
    outbox.enqueue(session, common.outbox, destination="ranking", topic="scores.changed", payload={
        "period_id": period.id, "scheme_id": period.scheme_id, "scheme_version": period.scheme_version,
        "label": period.label, "owner_path": period.owner_path, "inputs_sha256": digest,
        "score_set": period.score_set, "causes": causes.user or joined(causes.taken, MAX_EVENT_CAUSES),
    })
    # the actor is who acted, never a list of events cut to the column: the events are in the details, whole
    actor = causes.user if causes.user is not None and len(causes.user) <= 200 else RECOMPUTE_ACTOR
    audit.record(session, actor=actor, action="scores.recompute", entity_type="period", entity_id=period.id,
                 after={"score_set": period.score_set, "inputs_sha256": digest},
                 details={"score_set": period.score_set, "causes": causes.taken[:MAX_AUDIT_CAUSES],
                          "causes_total": len(causes.taken)})


async def recompute_now(session: AsyncSession, cache: ScoresCache, principal: Principal,
                        period_id: str) -> RecomputeResult:
    """The explicit recompute (admin of the period, or a service)."""
    period = await periods.get_period(session, period_id, lock=True)
    _require_admin(principal, period)
    periods.require_writable(period)
    return await recompute(session, cache, period, cause=f"user:{principal.subject}")


def _require_admin(principal: Principal, period: Period) -> None:
    if principal.kind != "service":
        principal.require("admin", period.owner_path)


async def recompute_precheck(session: AsyncSession, principal: Principal, period_id: str) -> None:
    """Refuse early (before calling evidence) when the caller may not rebuild the period."""
    period = await periods.get_period(session, period_id)
    _require_admin(principal, period)
    periods.require_writable(period)


async def replace_facts(session: AsyncSession, cache: ScoresCache, principal: Principal, period_id: str,
                        facts: list[dict[str, Any]]) -> RecomputeResult:
    """Rebuild: the period's fact copies become exactly `facts` (from evidence), then recompute."""
    period = await periods.get_period(session, period_id, lock=True)
    _require_admin(principal, period)
    periods.require_writable(period)
    await repo.delete_all_facts(session, period.id)
    period.cache_epoch += 1  # deleted fact copies leave no row a delta read could see
    now = clock.now()
    rows = [_fact_row(period.id, json.loads(canonical_json(f)), now) for f in facts]
    if len({r["fact_id"] for r in rows}) != len(rows):
        raise InvalidInput(_("evidence returned the same fact id twice"))
    await repo.upsert_facts(session, rows)
    audit.record(session, actor=principal, action="facts.rebuild", entity_type="period", entity_id=period.id,
                 after={"facts": len(rows)})
    return await recompute(session, cache, period, cause=f"user:{principal.subject}")


async def _visible_subjects(session: AsyncSession, principal: Principal, period: Period,
                            ids: list[str] | None = None) -> list[Any]:
    rows = await period_repo.subjects(session, period.id, ids)
    return [r for r in rows if may_read_scores(principal, unit_path=r.unit_path)]


def period_key(period: Period) -> str:
    """Changes with the period's identity or its subject list, never with its scores."""
    return f"{period.created_at.isoformat()}/{period.cache_epoch}"


async def scores(session: AsyncSession, principal: Principal, period_id: str,
                 subject_ids: list[str] | None = None, *, since_score_set: int | None = None,
                 key: str | None = None) -> ScoresRead:
    """The latest full-precision scores of every subject the caller may read (ranking reads them all).

    With `since_score_set` and the `period_key` of an earlier answer: only what changed since
    that score set (`partial`), unless the key no longer matches (then everything).
    """
    period = await periods.get_period(session, period_id)
    meta = period.result_meta or {}
    current_key = period_key(period)
    partial = since_score_set is not None and key == current_key and 0 <= since_score_set <= period.score_set
    if partial:
        assert since_score_set is not None
        wanted = set(await repo.subjects_changed_since(session, period.id, since_score_set))
        wanted |= {sid for sid, m in meta.get("subjects", {}).items() if m.get("vetoes") or m.get("flags")}
        subject_ids = sorted(wanted if subject_ids is None else wanted & set(subject_ids))
    subjects = await _visible_subjects(session, principal, period, subject_ids)
    latest = await repo.latest_versions(session, period.id, [s.subject_id for s in subjects])
    by_subject: dict[str, dict[str, Any]] = {}
    for v in latest:
        by_subject.setdefault(v.subject_id, {})[v.indicator] = v
    out = [_subject_scores(s, by_subject[s.subject_id], meta.get("subjects", {}).get(s.subject_id, {}))
           for s in subjects if compute.TOTAL in by_subject.get(s.subject_id, {})]
    problems = meta.get("problems", []) if principal.kind == "service" or principal.can(
        ("admin", "auditor"), period.owner_path) else []
    return ScoresRead(period_id=period.id, precision=await schemes.precision(session, period.scheme_id,
                                                                             period.scheme_version),
                      subjects=out, problems=problems, inputs_sha256=period.inputs_sha256,
                      score_set=period.score_set, period_key=current_key, partial=partial)


def _subject_scores(s: Any, versions: dict[str, Any], meta: dict[str, Any]) -> SubjectScoresRead:
    total = versions.pop(compute.TOTAL)
    return SubjectScoresRead(
        id=s.subject_id, name=s.name, group=s.group, unit_path=s.unit_path, attributes=s.attributes,
        scores={code: compute.as_text(v.value) for code, v in sorted(versions.items())},
        total=compute.as_text(total.value),
        explain={**{code: v.explain for code, v in versions.items()}, compute.TOTAL: total.explain},
        vetoes=meta.get("vetoes", []), flags=meta.get("flags", []),
    )


async def history(session: AsyncSession, principal: Principal, period_id: str, subject_id: str, indicator: str,
                  as_of: datetime | None) -> list[ScoreVersionRead]:
    """Every version of one subject's indicator (or the one in force at `as_of`)."""
    period = await periods.get_period(session, period_id)
    rows = await period_repo.subjects(session, period.id, [subject_id])
    if not rows:
        raise NotFound(_("subject %(subject_id)s is not enrolled in period %(period_id)s",
                         subject_id=subject_id, period_id=period_id))
    if not principal.sees(rows[0].unit_path, subject_id):  # as for a subject not enrolled: nothing confirmed
        raise NotFound(_("subject %(subject_id)s is not enrolled in period %(period_id)s",
                         subject_id=subject_id, period_id=period_id))
    if not may_read_scores(principal, unit_path=rows[0].unit_path):
        raise Forbidden(_("%(subject)s may not read the scores of %(subject_id)s",
                          subject=principal.subject, subject_id=subject_id))
    versions = await repo.history(session, period.id, subject_id, indicator, as_of)
    if as_of is not None:
        versions = versions[-1:]
    precision = await schemes.precision(session, period.scheme_id, period.scheme_version)
    return [ScoreVersionRead.from_row(v, precision) for v in versions]


async def verify(session: AsyncSession, principal: Principal, period_id: str,
                 transport: httpx.AsyncBaseTransport | None = None) -> VerifyResult:
    """Recompute from the stored scheme version and fact copies; compare with the stored latest versions; hold the
    fact copies and the score versions' causes to evidence's audited changes (`provenance`; evidence asked over
    HTTP through `transport`, 503 when it does not answer)."""
    period = await _audited_period(session, principal, period_id)
    found = await period_provenance(session, period.id, transport)
    scheme = await periods.scheme_of(session, period)
    facts = await _input_facts(session, period, scheme)
    subjects = await period_repo.subjects(session, period.id)
    result = await asyncio.to_thread(compute.run, scheme, compute.facts_document(period, subjects, facts))
    computed = compute.computed_values(scheme, result, facts)
    latest = await repo.latest_values(session, period.id)
    mismatches: list[dict[str, Any]] = []
    if result.inputs_sha256 != period.inputs_sha256:
        mismatches.append({"field": "inputs_sha256", "stored": period.inputs_sha256, "computed": result.inputs_sha256})
    for c in compute.changed(computed, latest):
        stored = latest.get((c.subject_id, c.indicator))
        if stored is not None and compute.same_value(stored, c) and holds_in_earlier_wording(stored.explain, c.explain):
            continue  # kept before the engine's wording grew (the counts of a ratio, a formula's inputs)
        mismatch = {"subject": c.subject_id, "indicator": c.indicator, "stored": stored.value if stored else None,
                    "computed": compute.as_text(c.value)}
        if stored is not None and stored.explain != c.explain:  # the reason kept is not the one that holds
            mismatch |= {"stored_explain": stored.explain, "computed_explain": c.explain}
        mismatches.append(mismatch)
    return VerifyResult(ok=not mismatches and not found, inputs_sha256=result.inputs_sha256, mismatches=mismatches,
                        recompute_pending=period.recompute_due_at is not None,
                        provenance=[problem.to_json() for problem in found])


async def all_provenance(session: AsyncSession, request: Any) -> list[provenance.ProvenanceProblem]:
    """`period_provenance` of every period with a fact copy or a score version (scoring's `/v1/audit/verify`)."""
    transport = getattr(request.app.state, "evidence_transport", None)
    problems: list[provenance.ProvenanceProblem] = []
    for period_id in await provenance.scoring_periods(await driver_connection(session)):
        problems += await period_provenance(session, period_id, transport)
    return problems


async def period_provenance(session: AsyncSession, period_id: str, transport: httpx.AsyncBaseTransport | None = None
                            ) -> list[provenance.ProvenanceProblem]:
    """The period's fact copies and score versions' causes that no audited change of evidence vouches for
    (services/common/provenance.py), evidence asked over HTTP."""
    conn = await driver_connection(session)
    copies = await provenance.scoring_copies(conn, period_id)
    causes = await provenance.scoring_causes(conn, period_id)
    return await provenance.check_period(period_id, copies, causes, provenance_pages(period_id, transport))


async def _audited_period(session: AsyncSession, principal: Principal, period_id: str, *, export: bool = False,
                          problems: bool = False) -> Period:
    """The period, for an admin or an auditor over its owner (or a service): NOT_FOUND off the caller's branch."""
    period = await periods.get_period(session, period_id)
    if not principal.relates_to(period.owner_path):  # as for a period that does not exist
        raise NotFound(_("period %(period_id)s not found", period_id=period_id))
    if principal.kind != "service" and not principal.can(("admin", "auditor"), period.owner_path):
        if export:
            raise Forbidden(_("%(subject)s may not export the inputs of period %(period_id)s",
                              subject=principal.subject, period_id=period_id))
        if problems:
            raise Forbidden(_("%(subject)s may not read the problems of period %(period_id)s",
                              subject=principal.subject, period_id=period_id))
        raise Forbidden(_("%(subject)s may not verify period %(period_id)s",
                          subject=principal.subject, period_id=period_id))
    return period


async def problems(session: AsyncSession, principal: Principal, period_id: str,
                   subject_id: str | None = None) -> PeriodProblems:
    """What the engine reported in the period's last computation (a fact it left out or could not read, a subject
    it could not score), each with its subject where the problem or the fact's copy names one; with `subject_id`
    only that subject's. Admins and auditors over the period's owner, and services."""
    period = await _audited_period(session, principal, period_id, problems=True)
    stored = [p for p in (period.result_meta or {}).get("problems", []) if isinstance(p, dict)]
    owners = await repo.fact_owners(session, period.id, [str(p["fact"]) for p in stored if p.get("fact")])
    found = []
    for p in stored:
        subject, indicator = owners.get(str(p.get("fact")), (None, None)) if p.get("fact") else (None, None)
        subject = p.get("subject") or subject
        if subject_id is not None and subject != subject_id:
            continue
        found.append(PeriodProblem(fact=p.get("fact"), subject=subject, indicator=indicator, pointer=p.get("pointer"),
                                   message=str(render_problem(p)["message"])))
    return PeriodProblems(period_id=period.id, score_set=period.score_set, problems=found)


async def _input_facts(session: AsyncSession, period: Period, scheme: Any) -> list[dict[str, Any]]:
    """The facts the engine scores the period on: its live fact copies and its look-back leaves' earlier facts."""
    return await repo.fact_bodies(session, period.id) + await lookback.earlier_facts(session, period, scheme)


async def inputs(session: AsyncSession, principal: Principal, period_id: str) -> PeriodInputs:
    """The period's scheme document and facts document exactly as the engine scores them (`kaohe evaluate --scheme
    S --facts F` gives the stored scores and `inputs_sha256`), with the stored hash; admins and auditors over the
    period's owner."""
    period = await _audited_period(session, principal, period_id, export=True)
    row = await schemes.published_version(session, period.scheme_id, period.scheme_version)
    facts = await _input_facts(session, period, schemes.engine_scheme(row))
    subjects = await period_repo.subjects(session, period.id)
    return PeriodInputs(scheme=row.document, facts=compute.facts_document(period, subjects, facts),
                        inputs_sha256=period.inputs_sha256, score_set=period.score_set,
                        recompute_pending=period.recompute_due_at is not None)


def check_event_caller(principal: Principal) -> None:
    require_service(principal)
