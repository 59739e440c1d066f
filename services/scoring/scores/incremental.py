"""Bringing a process's cached state of a period up to date and scoring only what changed.

`refresh_and_score` runs inside the recompute's transaction, which holds the period's row lock:
no fact copy or score version of the period is written meanwhile, so the delta reads here see
exactly what committed before (docs/decisions.md, "Incremental recompute").
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.engine.scheme.model import Scheme
from kaohe.engine.scoring.subset import Scored, score_changed, score_full
from services.scoring.periods import repository as period_repo
from services.scoring.periods import service as periods
from services.scoring.periods.models import Period
from services.scoring.scores import compute, lookback
from services.scoring.scores import repository as repo
from services.scoring.scores.cache import PeriodState, ScoresCache
from services.scoring.scores.digest import digest_alongside, digest_of, digest_parts, encode_each, subjects_bytes

# Above this share of changed subjects, scoring the whole period is as cheap as the subset path.
SUBSET_SHARE, SUBSET_MIN = 0.25, 64


async def refresh_and_score(session: AsyncSession, cache: ScoresCache, period: Period,
                            ) -> tuple[PeriodState, Scored, set[str] | None]:
    """The period's state in `cache` refreshed, its new engine output, and the subjects whose values may
    have changed since the newest stored versions (None: every subject)."""
    scheme = await periods.scheme_of(session, period)
    # a look-back leaf reads other periods' facts, which this period's delta reads do not see: such a period
    # is loaded afresh each time (annual indicator systems, small)
    state = None if lookback.windows(scheme, period.label) else cache.get(period.id, period.cache_epoch)
    if state is None:
        state = await _load(session, period, scheme)
        cache.put(state)
        cache.begin(session, state)
        state.scored = await asyncio.to_thread(_score_all, state, scheme, period)
        return state, state.scored, None
    cache.begin(session, state)
    dirty: set[str] = set()
    for fact_id, retracted, seq, body in await repo.facts_since(session, period.id, state.fact_seq):
        dirty |= state.apply_fact(fact_id, None if retracted else body)
        state.fact_seq = max(state.fact_seq, seq)
    external: set[str] = set()
    for subject_id, indicator, value, explain, seq in await repo.values_since(session, period.id, state.value_seq):
        state.latest[(subject_id, indicator)] = compute.Newest(value, explain)  # another instance wrote it
        state.value_seq = max(state.value_seq, seq)
        external.add(subject_id)
    previous = state.scored
    state.scored = None  # until scored again below
    if previous is None or _other(previous.result.scheme, scheme) or (
            len(dirty) > SUBSET_MIN and len(dirty) > SUBSET_SHARE * len(state.subjects)):
        state.scored = await asyncio.to_thread(_score_all, state, scheme, period)
        return state, state.scored, None
    if not dirty:
        state.scored = previous
        return state, previous, external
    # A few subjects' worth of work runs here, rather than handing the GIL back and forth with a
    # worker thread; the SHA-256 of the inputs (hashlib lets go of the GIL) runs in a thread
    # meanwhile (digest_alongside: started before, not after, it).
    hashing = digest_alongside(_digest_parts(state, previous.result.scheme, period))
    try:
        scored = score_changed(previous, state.facts_of(dirty), dirty, "")
    finally:
        digest = await asyncio.wrap_future(hashing)
    if scored is not None:
        scored.result.inputs_sha256 = digest
    if scored is None:
        state.scored = await asyncio.to_thread(_score_all, state, scheme, period)
        return state, state.scored, None
    state.scored = scored
    return state, scored, dirty | external | _moved(previous, scored)


async def _load(session: AsyncSession, period: Period, scheme: Scheme) -> PeriodState:
    """Everything about the period from the database (a first recompute, or after cache_epoch moved), with
    the earlier periods' facts its look-back leaves read."""
    state = PeriodState(period.id, period.cache_epoch)
    rows = await period_repo.subjects(session, period.id)
    state.subjects = compute.facts_document(period, rows, [])["subjects"]
    # the fact id is the body's id as text (scores/service.py _fact_row), so the bodies alone will do
    seqs = await repo.fact_seq_range(session, period.id)
    state.fact_seq = seqs[1] if seqs is not None else 0
    state.start_load()
    await repo.load_fact_bodies(session, period.id, seqs, state.add_loaded)
    state.add_loaded(await lookback.earlier_facts(session, period, scheme))
    state.loaded()
    state.latest = await repo.latest_values(session, period.id)
    state.value_seq = await repo.max_value_seq(session, period.id)
    return state


def _digest_parts(state: PeriodState, scheme: Scheme, period: Period) -> list[bytes]:
    if state.encoded is None:
        state.set_encoded(encode_each(state.live_facts()))
    if state.subjects_bytes is None:
        state.subjects_bytes = subjects_bytes(state.subjects)
    header = {"scheme": period.scheme_id, "version": period.scheme_version, "period": period.label}
    # joined chunks instead of 150,000 single facts: the same bytes once joined by "," (digest_parts)
    return digest_parts(scheme.document, header, state.subjects_bytes, state.joined_facts())


def _score_all(state: PeriodState, scheme: Scheme, period: Period) -> Scored:
    digest = digest_of(_digest_parts(state, scheme, period))
    document = {"scheme": period.scheme_id, "version": period.scheme_version, "period": period.label,
                "subjects": state.subjects, "facts": state.live_facts()}
    return score_full(scheme, document, digest=digest)


def _other(old: Scheme, new: Scheme) -> bool:
    return (old.id, old.version) != (new.id, new.version)


def _moved(previous: Scored, scored: Scored) -> set[str]:
    """Subjects any of whose values differ between two engine outputs (cross-subject rules). Subset
    scoring keeps the very SubjectScore of every subject whose values and explanations did not move,
    so only the others are compared."""
    return {new.subject.id for old, new in zip(previous.result.subjects, scored.result.subjects, strict=True)
            if new is not old and (new.total != old.total or new.scores != old.scores)}
