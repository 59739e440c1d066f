"""ScoresCache, the scoring app's one cache of period states, through its interface: keyed by period id,
handed out only for the period's current cache_epoch and once the transaction that changed a state has
committed, bounded to its most recently used periods."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.scores.cache import PeriodState, ScoresCache


def test_a_state_is_handed_out_for_its_epoch_only() -> None:
    cache = ScoresCache()
    cache.put(PeriodState("q1", epoch=3))
    assert cache.get("q1", 3) is not None
    assert cache.get("q2", 3) is None
    assert cache.get("q1", 4) is None  # enrolment or a rebuild moved the epoch: load again
    assert cache.get("q1", 3) is None  # and the stale state is gone for good


def test_a_changed_state_waits_for_its_transactions_commit() -> None:
    cache = ScoresCache()
    state = PeriodState("q1", epoch=1)
    cache.put(state)
    changing, other = AsyncSession(), AsyncSession()
    cache.begin(changing, state)
    cache.after_commit(other)  # another transaction's commit confirms nothing of this one
    cache.after_commit(None)
    assert state.in_flight
    cache.after_commit(changing)
    assert cache.get("q1", 1) is state


def test_a_state_whose_transaction_never_committed_is_dropped() -> None:
    cache = ScoresCache()
    state = PeriodState("q1", epoch=1)
    cache.put(state)
    cache.begin(AsyncSession(), state)  # rolled back: no after_commit
    assert cache.get("q1", 1) is None
    cache.put(PeriodState("q1", epoch=1))  # the next recompute loads it again
    assert cache.get("q1", 1) is not None


def test_the_least_recently_used_period_goes_first() -> None:
    cache = ScoresCache(limit=2)
    for period_id in ("a", "b"):
        cache.put(PeriodState(period_id, epoch=1))
    assert cache.get("a", 1) is not None  # a is now the most recently used
    cache.put(PeriodState("c", epoch=1))
    assert (cache.get("b", 1), cache.get("a", 1) is not None, cache.get("c", 1) is not None) == (None, True, True)

