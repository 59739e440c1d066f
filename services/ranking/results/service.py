"""Recomputing a period's results and reading them back."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.engine.canonical import canonical_json
from kaohe.engine.ranking import rollup_period
from kaohe.engine.ranking.result import rank_period_reusing
from kaohe.engine.scheme.model import PeriodScores, Scheme, Subject
from kaohe.i18n import _
from services.common import audit, notify
from services.common.auth import Principal
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.stored_text import message
from services.ranking.access import (
    OFFICE_READERS,
    can_read_current,
    can_read_published,
    require_office,
)
from services.ranking.clients import ScoringClient
from services.ranking.periods import publication
from services.ranking.periods import repository as periods
from services.ranking.periods.models import RankedPeriod
from services.ranking.results import repository
from services.ranking.results.cache import ResultsCache, StoredResults
from services.ranking.results.inputs import ParsedInputs, SubjectMeta, common_scope
from services.ranking.results.models import SubjectResult


@dataclass(frozen=True)
class PeriodRef:
    """Which scheme version and label a period of scoring uses."""

    period_id: str
    scheme_id: str
    scheme_version: int
    label: str
    owner_path: str | None = None  # the office that owns the period in scoring, when it says


@dataclass(frozen=True)
class Recomputed:
    period_id: str
    changed: int
    unchanged: int
    removed: int
    frozen: bool = False
    # the subjects whose own scores (total or an indicator) moved, or that are new, up to LISTED
    scores_moved: tuple[str, ...] = ()


LISTED = 100  # subject ids a result version's cause names


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def period_ref(scoring: ScoringClient, period_id: str) -> PeriodRef:
    """Ask scoring which scheme version and label a period uses."""
    body = await scoring.period(period_id)
    owner = body.get("owner_path")
    return PeriodRef(period_id, str(body["scheme_id"]), int(body["scheme_version"]), str(body.get("label", "")),
                     owner_path=str(owner) if owner is not None else None)


def ref_from_payload(payload: Mapping[str, Any]) -> PeriodRef | None:
    """The PeriodRef a `scores.changed` payload carries in full, else None."""
    fields = (payload.get("period_id"), payload.get("scheme_id"), payload.get("scheme_version"),
              payload.get("label"), payload.get("owner_path"))
    period_id, scheme_id, version, label, owner = fields
    if not (isinstance(period_id, str) and isinstance(scheme_id, str) and isinstance(label, str)
            and isinstance(owner, str) and isinstance(version, int) and not isinstance(version, bool)):
        return None
    return PeriodRef(period_id, scheme_id, version, label, owner_path=owner)


async def scheme_of(scoring: ScoringClient, inputs: ParsedInputs, ref: PeriodRef) -> Scheme:
    return inputs.scheme(ref.scheme_id, ref.scheme_version) or inputs.remember_scheme(
        await scoring.scheme_document(ref.scheme_id, ref.scheme_version)
    )


async def recompute(
    session: AsyncSession, scoring: ScoringClient, cache: ResultsCache, ref: PeriodRef, *, actor: Principal,
    cause: dict[str, Any] | None = None,
) -> Recomputed:
    """Rank the period again from scoring's latest scores (or roll it up) and store what changed; `cause`
    (what made scoring's scores change) goes into the audit record of a publication gone stale."""
    scheme = await scheme_of(scoring, cache.inputs, ref)
    period = await periods.get(session, ref.period_id, lock=True)
    if period is not None and period.status == "finalized":
        # A frozen period keeps its results; the change is picked up after a formal reopening.
        publication.mark_stale(session, period, actor=actor, reason=message("publication.stale_after_finalization"),
                               details={"cause": cause or {}})
        return Recomputed(ref.period_id, 0, 0, 0, frozen=True)
    if scheme.rollup is not None:
        document, meta = await _rollup_document(session, scheme, ref)
    else:
        body = await cache.bodies.latest(scoring, ref.period_id)
        scores, meta = cache.inputs.period_scores(scheme, ref.label, body)
        document = _rank(cache, ref.period_id, scores)
    period = await _upsert_period(session, period, ref, scheme, document, meta)
    outcome = await store(session, cache, period, document, meta, actor=actor, cause=cause or {})
    await publication.after_recompute(session, period, actor=actor,
                                      cause={**(cause or {}), "scores_moved": list(outcome.scores_moved)})
    if outcome.changed or outcome.removed:
        notify.publish(session, "results.computed", entity_id=period.id, unit_path=period.scope_path,
                       period_id=period.id, changed=outcome.changed, removed=outcome.removed)
    return outcome


async def _upsert_period(
    session: AsyncSession, period: RankedPeriod | None, ref: PeriodRef, scheme: Scheme,
    document: Mapping[str, Any], meta: Mapping[str, SubjectMeta],
) -> RankedPeriod:
    if period is None:
        period = await periods.add(session, RankedPeriod(
            id=ref.period_id, scheme_id=ref.scheme_id, scheme_version=ref.scheme_version, label=ref.label,
            status="computed", reopen_count=0, stale=False, publication_sequence=0,
        ))
    period.scheme_id, period.scheme_version, period.label = ref.scheme_id, ref.scheme_version, ref.label
    period.precision = scheme.precision
    period.indicators = [{"code": node.code, "name": node.name} for node in scheme.indicators]
    # Scoring's owner_path names the office; without it, the deepest unit covering every subject.
    period.scope_path = ref.owner_path if ref.owner_path is not None else common_scope(
        [m.unit_path for m in meta.values()])
    period.inputs_sha256 = str(document.get("inputs_sha256", ""))
    period.problems = list(document.get("problems") or [])
    return period


def _rank(cache: ResultsCache, period_id: str, scores: PeriodScores) -> dict[str, Any]:
    """The result document; a change re-ranks only the scopes whose scores moved (cache.memos)."""
    document, memo = rank_period_reusing(scores, cache.memos.pop(period_id))
    if memo is not None:
        cache.memos.put(period_id, memo)
    return document


_NO_META = SubjectMeta("")


async def store(
    session: AsyncSession, cache: ResultsCache, period: RankedPeriod, document: Mapping[str, Any],
    meta: Mapping[str, SubjectMeta], *, actor: Principal, cause: Mapping[str, Any] | None = None,
) -> Recomputed:
    """Write a new result version for each subject whose result changed; keep the others.

    Each new version carries its cause: `cause` (what made scoring's scores change), the subjects whose own
    scores moved in this recomputation (`scores_moved`) and whether this subject is one of them
    (`own_scores_moved`; false: only ranked again, its rank, grade, labels or rewards moved with the others').

    The current rows are read as (id, digest, unit path, position, version) only; the full rows
    are loaded for the subjects that change (the audit keeps their previous document). A position
    that holds the very entry and meta this process stored there last is unchanged without a look
    at its digest (`cache.stored`, valid while the period's results token is the one stored)."""
    period_id = period.id
    known = cache.stored.get(period_id)
    if known is None or not period.results_token or known.token != period.results_token:
        known = StoredResults(None, await repository.current_digests(session, period_id))
    before = known.digests
    current = dict(before)
    entries: tuple[Mapping[str, Any], ...] = tuple(document.get("subjects") or ())
    metas: list[SubjectMeta] = []
    last_entries, last_metas = known.entries, known.metas
    changed: list[tuple[int, Mapping[str, Any], SubjectMeta, repository.CurrentDigest | None, str, str | None]] = []
    moved: list[dict[str, int]] = []
    unchanged = same_place = 0
    for position, entry in enumerate(entries):
        subject_meta = meta.get(entry["id"], _NO_META)
        metas.append(subject_meta)
        if position < len(last_entries) and _equal(last_entries[position], entry) \
                and _equal(last_metas[position], subject_meta):
            same_place += 1  # stays in `current`: counted below
            continue
        previous = current.pop(entry["id"], None)
        digest, text = cache.digests.digest(period_id, entry)
        if previous is not None and previous.digest == digest and previous.unit_path == subject_meta.unit_path:
            if previous.position != position:  # the table order may move without the result changing
                moved.append({"id": previous.id, "position": position})
            unchanged += 1
            continue
        changed.append((position, entry, subject_meta, previous, digest, text))
    unchanged += same_place
    # `current` now holds the unchanged-in-place subjects and those no longer in the table (gone)
    gone = _gone(current, entries) if len(current) > same_place else {}
    await repository.set_positions(session, moved)
    fresh = [str(c[1]["id"]) for c in changed if c[3] is None]
    versions = await repository.latest_versions(session, period_id, fresh) if fresh else {}
    gone_rows = await repository.by_ids(session, [row.id for row in gone.values()])
    await repository.retire(session, [c[3].id for c in changed if c[3] is not None] + list(gone_rows))
    own = await _own_scores_moved(session, changed, last_entries)
    moved_scores = tuple(sorted(sid for sid, moved_own in own.items() if moved_own))
    new_rows = []
    for position, entry, subject_meta, previous, digest, text in changed:
        version = previous.version + 1 if previous is not None else versions.get(entry["id"], 0) + 1
        row_cause = {**(cause or {}), "scores_moved": list(moved_scores[:LISTED]),
                     "own_scores_moved": own[str(entry["id"])]}
        new_rows.append(_new_row(period, entry, subject_meta, version=version, position=position, digest=digest,
                                 document_json=text, cause=row_cause))
        # the previous document's digest is the one stored with it (same canonical JSON as audit's)
        audit.record(session, actor=actor, action="result.changed" if previous else "result.created",
                     entity_type="subject_result", entity_id=f"{period_id}/{entry['id']}",
                     before_digest=previous.digest if previous else None, after_digest=digest,
                     details={"version": version})
    new_ids = await repository.insert_rows(session, new_rows)
    for row in gone_rows.values():
        audit.record(session, actor=actor, action="result.removed", entity_type="subject_result",
                     entity_id=f"{period_id}/{row.subject_id}", before=row.document)
    written = bool(changed or moved or gone)
    after = before
    if written:
        period.results_token = secrets.token_hex(16)
        after = _after(before, gone, moved, new_rows, new_ids)
    cache.stored.put(period_id, StoredResults(period.results_token, after, entries, tuple(metas)))
    await session.flush()
    if written or period.current_sha256 is None:
        await repository.vouch_current(session, period)
    return Recomputed(period_id, len(changed), unchanged, len(gone), scores_moved=moved_scores[:LISTED])


async def _own_scores_moved(
    session: AsyncSession,
    changed: Sequence[tuple[int, Mapping[str, Any], SubjectMeta, repository.CurrentDigest | None, str, str | None]],
    stored: Sequence[Mapping[str, Any]],
) -> dict[str, bool]:
    """subject → whether its total or an indicator score differs from its previous version's (a new subject:
    true); the others among `changed` were only ranked again. `stored`: the entries this process stored last for
    the period, when they are still its current results (cache.stored), which hold the previous versions' total and
    scores as the engine made them; a version not among them is read from the database."""
    last = {entry["id"]: entry for entry in stored}
    unknown = [c[3].id for c in changed if c[3] is not None and c[1]["id"] not in last]
    before = await repository.scores_of(session, unknown) if unknown else {}
    own: dict[str, bool] = {}
    for _position, entry, _meta, previous, _digest, _text in changed:
        if previous is None:
            own[str(entry["id"])] = True
        elif (kept := last.get(entry["id"])) is not None:
            own[str(entry["id"])] = (kept.get("total"), kept.get("scores")) != (entry.get("total"), entry.get("scores"))
        else:
            now = json.loads(canonical_json([entry.get("total"), entry.get("scores")]))
            own[str(entry["id"])] = list(before.get(previous.id, (None, None))) != now
    return own


def _equal(before: object, now: object) -> bool:
    """Equal values; the same object is the common case (a reused scope keeps its entries), checked first."""
    return before is now or before == now


def _gone(current: Mapping[str, repository.CurrentDigest],
          entries: Sequence[Mapping[str, Any]]) -> dict[str, repository.CurrentDigest]:
    """The current results of subjects that are not in the table any more."""
    ids = {entry["id"] for entry in entries}
    return {sid: digest for sid, digest in current.items() if sid not in ids}


def _after(before: Mapping[str, repository.CurrentDigest], gone: Mapping[str, Any], moved: list[dict[str, int]],
           new_rows: list[dict[str, Any]], new_ids: Mapping[str, int]) -> dict[str, repository.CurrentDigest]:
    """The current digests once this store's writes commit (a copy of `before` with the changes made:
    a change usually touches a few of thousands)."""
    after = dict(before)
    for sid in gone:
        del after[sid]
    if moved:
        position_of = {m["id"]: m["position"] for m in moved}
        for sid, d in before.items():
            if d.id in position_of:
                after[sid] = replace(d, position=position_of[d.id])
    for row in new_rows:
        sid = str(row["subject_id"])
        after[sid] = repository.CurrentDigest(new_ids[sid], row["document_sha256"], row["unit_path"], row["position"],
                                              row["version"])
    return after


def _new_row(period: RankedPeriod, entry: Mapping[str, Any], meta: SubjectMeta, *, version: int, position: int,
             digest: str, document_json: str | None = None, cause: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A new result version; `document_json`, when given, is the document's canonical JSON (written as is)."""
    return {
        "period_id": period.id, "subject_id": entry["id"], "version": version, "is_current": True,
        "name": entry.get("name"), "group": entry.get("group", ""), "unit_path": meta.unit_path,
        "attributes": dict(meta.attributes), "position": position, "rank": entry.get("rank"),
        "total": Decimal(entry["total"]), "grade": entry.get("grade"),
        "document": dict(entry) if document_json is None else None,  # written as document_json when given
        "document_sha256": digest, "inputs_sha256": period.inputs_sha256, "document_json": document_json,
        "cause": dict(cause) if cause else None,
    }


async def _rollup_document(
    session: AsyncSession, scheme: Scheme, ref: PeriodRef
) -> tuple[dict[str, Any], dict[str, SubjectMeta]]:
    """§10: the annual result from the finalized sub-periods' snapshots (003 篇十五)."""
    assert scheme.rollup is not None
    sources, hashes = [], []
    for source in await periods.finalized_of_scheme(session, scheme.rollup.source):
        snapshot = await periods.latest_snapshot(session, source.id)
        if snapshot is not None:
            sources.append(json.loads(snapshot.content))
            hashes.append(snapshot.sha256)
    subjects, meta = _rollup_subjects(sources)
    # The roll-up's inputs are the scheme version and the exact snapshots it was built from.
    inputs = sha256(canonical({"scheme": [scheme.id, scheme.version], "snapshots": sorted(hashes)}))
    document = rollup_period(scheme, ref.label, subjects, sources, inputs_sha256=inputs)
    return document, meta


def _rollup_subjects(sources: Sequence[Mapping[str, Any]]) -> tuple[list[Subject], dict[str, SubjectMeta]]:
    """Subjects of the sub-periods; the latest sub-period's group, unit and attributes win."""
    found: dict[str, tuple[Subject, SubjectMeta]] = {}
    for source in sorted(sources, key=lambda s: str(s.get("period", ""))):
        for entry in source.get("subjects") or []:
            attributes = dict(entry.get("attributes") or {})
            subject = Subject(entry["id"], str(entry.get("group", "")), entry.get("name") or None, attributes)
            found[entry["id"]] = (subject, SubjectMeta(str(entry.get("unit_path", "")), attributes))
    ordered = sorted(found)
    return [found[key][0] for key in ordered], {key: found[key][1] for key in ordered}


async def readable_results(session: AsyncSession, principal: Principal, period_id: str,
                           subject_ids: Sequence[str]) -> list[tuple[SubjectResult, bool]]:
    """The results of the named subjects the caller may see: (row, full). The office roles see the current
    result in full; from the 公示 on, a unit's head and the subject see the published version as the 公示
    shows it (full False); before it, they see nothing."""
    current = await repository.current_of(session, period_id, subject_ids)
    return await _readable(session, principal, period_id, subject_ids, current)


async def _readable(session: AsyncSession, principal: Principal, period_id: str, subject_ids: Sequence[str],
                    current: Sequence[SubjectResult]) -> list[tuple[SubjectResult, bool]]:
    """`readable_results` given the current rows already read."""
    found = [(row, True) for row in current if can_read_current(principal, row.unit_path)]
    rest = [sid for sid in subject_ids if sid not in {row.subject_id for row, _ in found}]
    period = await periods.get(session, period_id) if rest else None
    if period is not None and period.publication_sequence:  # published, finalized, or reopened (its last 公示)
        shown = await periods.latest_publication(session, period_id)
        published = await repository.published_of(session, shown.id, rest) if shown is not None else []
        found += [(row, False) for row in published if can_read_published(principal, row.subject_id, row.unit_path)]
    return found


async def table_page(session: AsyncSession, principal: Principal, period_id: str, *, group: str | None,
                     offset: int, limit: int) -> tuple[int, list[SubjectResult], bool]:
    """A page of the ranking table: the current rows for a caller with an office role (of its subtrees);
    for anyone else, once published, the rows of the 公示 they may see, as it shows them; before, nothing."""
    if principal.scopes_for(*OFFICE_READERS):
        total, rows = await repository.page(session, period_id, principal, group=group, offset=offset, limit=limit)
        return total, rows, True
    period = await periods.get(session, period_id)
    shown = await periods.latest_publication(session, period_id) \
        if period is not None and period.publication_sequence else None
    if shown is None:
        return 0, [], False
    total, rows = await repository.published_page(session, shown.id, principal, group=group, offset=offset,
                                                  limit=limit)
    return total, rows, False


async def get_current(session: AsyncSession, principal: Principal, period_id: str,
                      subject_id: str) -> tuple[SubjectResult, bool]:
    """One subject's result as the caller may see it (see `readable_results`). The current row is read once:
    the answer and the reason for a refusal come from the same read, even while a recomputation commits."""
    rows = await repository.current_of(session, period_id, [subject_id])
    found = await _readable(session, principal, period_id, [subject_id], rows)
    if found:
        return found[0]
    if not rows or not principal.sees(rows[0].unit_path, subject_id):  # outside: as for no result at all
        raise NotFound(_("no result for subject %(subject_id)s in period %(period_id)s",
                         subject_id=subject_id, period_id=period_id))
    if can_read_published(principal, subject_id, rows[0].unit_path):
        raise Forbidden(_("the results of period %(period_id)s are not published (公示) yet", period_id=period_id))
    raise Forbidden(_("%(subject)s may not read the result of %(subject_id)s",
                      subject=principal.subject, subject_id=subject_id))


async def get_history(
    session: AsyncSession, principal: Principal, period_id: str, subject_id: str
) -> list[SubjectResult]:
    """Every version of one subject's result, for the office roles over it."""
    rows = await repository.history(session, period_id, subject_id)
    if not rows or not principal.sees(rows[-1].unit_path, subject_id):  # outside: as for no result at all
        raise NotFound(_("no result for subject %(subject_id)s in period %(period_id)s",
                         subject_id=subject_id, period_id=period_id))
    if not can_read_current(principal, rows[-1].unit_path):
        raise Forbidden(_("%(subject)s may not read the result history of %(subject_id)s",
                          subject=principal.subject, subject_id=subject_id))
    return rows


async def recompute_by_office(
    session: AsyncSession, scoring: ScoringClient, cache: ResultsCache, principal: Principal, period_id: str
) -> Recomputed:
    """An office-triggered recomputation (or roll-up): refused on a frozen period."""
    existing = await periods.get(session, period_id)
    if existing is not None:
        require_office(principal, existing.scope_path)
        if existing.status == "finalized":
            raise Conflict(_("period %(period_id)s is finalized (审定); reopen it with a reason first",
                             period_id=period_id))
    ref = await period_ref(scoring, period_id)
    if existing is None and ref.owner_path is not None:  # a first computation: scoring's owner decides first
        require_office(principal, ref.owner_path)
    outcome = await recompute(session, scoring, cache, ref, actor=principal, cause={"recompute": principal.subject})
    stored = await periods.get(session, period_id)
    # A first computation learns the period's scope only now; refusing rolls everything back.
    require_office(principal, stored.scope_path if stored else "")
    return outcome
