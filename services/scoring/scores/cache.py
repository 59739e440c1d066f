"""A process's memory of the periods it recomputed: fact copies, their canonical bytes, the engine's
state for them, and the newest stored values, refreshed by delta reads (docs/decisions.md,
"Incremental recompute").

Correct with several instances on one database: every refresh reads the fact copies and score
versions whose `seq` is above the highest this process has seen (writes to a period hold its row
lock, so `seq` grows in commit order within a period), and `period.cache_epoch` moving (enrolment,
rebuild) makes the process load the period again. A state changed inside a transaction is only
trusted once that transaction committed (after-commit hook); one left unconfirmed is dropped.
"""

from __future__ import annotations

import bisect
import itertools
import sys
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.engine.canonical import canonical_json_kept
from kaohe.engine.scoring.subset import Scored
from services.common.bounded import Lru
from services.scoring.scores.compute import Newest

MAX_PERIODS = 8
JOIN_CHUNK = 1024  # facts per joined chunk of PeriodState.joined (150,000 facts: 147 chunks)
_CONFIRM = "scores_cache_confirm"


@dataclass
class PeriodState:
    """What one process knows of one period; valid for `epoch` up to `fact_seq` / `value_seq`."""

    period_id: str
    epoch: int
    fact_seq: int = 0
    value_seq: int = 0
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)  # live (not retracted) facts by id
    order: list[str] = field(default_factory=list)  # live fact ids, sorted (the hash's order)
    encoded: list[bytes] | None = None  # canonical bytes of every live fact, aligned with `order`
    # `encoded[k*JOIN_CHUNK:(k+1)*JOIN_CHUNK]` joined by "," for the chunks k no change has touched since
    joined: dict[int, bytes] = field(default_factory=dict)
    by_subject: dict[str, set[str]] = field(default_factory=dict)  # str(fact.subject) → fact ids
    subjects: list[dict[str, Any]] = field(default_factory=list)  # the facts document's subject list
    subjects_bytes: bytes | None = None
    scored: Scored | None = None  # the engine's output and state for exactly `bodies`
    latest: dict[tuple[str, str], Newest] = field(default_factory=dict)  # newest stored value and explanation
    in_flight: int = 0  # a transaction changed this state and has not committed yet
    live: list[dict[str, Any]] | None = None  # live_facts() until a fact is applied (built once per load)

    def apply_fact(self, fact_id: str, body: dict[str, Any] | None) -> set[str]:
        """Put (or, with None, remove) one fact; returns the subjects whose facts changed."""
        touched: set[str] = set()
        self.live = None
        old = self.bodies.pop(fact_id, None)
        if old is not None:
            touched.add(str(old.get("subject")))
            self.by_subject.get(str(old.get("subject")), set()).discard(fact_id)
        at = bisect.bisect_left(self.order, fact_id)
        present = at < len(self.order) and self.order[at] == fact_id
        self._touch(at, shifts=body is None or not present)
        if body is None:
            if present:
                del self.order[at]
                if self.encoded is not None:
                    del self.encoded[at]
            return touched
        body = _shared(body, fact_id)
        self.bodies[fact_id] = body
        encoded = canonical_json_kept(body) if self.encoded is not None else b""
        if not present:
            self.order.insert(at, fact_id)
            if self.encoded is not None:
                self.encoded.insert(at, encoded)
        elif self.encoded is not None:
            self.encoded[at] = encoded
        sid = str(body.get("subject"))
        touched.add(sid)
        self.by_subject.setdefault(sid, set()).add(fact_id)
        return touched

    def _touch(self, at: int, *, shifts: bool) -> None:
        """Forget the joined chunk holding position `at` (and every later one when facts move up or down)."""
        first = at // JOIN_CHUNK
        if shifts:
            for k in [k for k in self.joined if k >= first]:
                del self.joined[k]
        else:
            self.joined.pop(first, None)

    def set_encoded(self, encoded: list[bytes]) -> None:
        self.encoded, self.joined = encoded, {}

    def joined_facts(self) -> list[bytes]:
        """The live facts' canonical bytes in id order, as comma-joined chunks: `b",".join` of them is
        `b",".join(encoded)` (the chunks are never empty), while a change re-joins one chunk only."""
        assert self.encoded is not None
        out = []
        for k in range((len(self.encoded) + JOIN_CHUNK - 1) // JOIN_CHUNK):
            chunk = self.joined.get(k)
            if chunk is None:
                chunk = self.joined[k] = b",".join(self.encoded[k * JOIN_CHUNK:(k + 1) * JOIN_CHUNK])
            out.append(chunk)
        return out

    def load(self, bodies: list[dict[str, Any]]) -> None:
        """Every live fact at once (a first load): one sort instead of one insertion per fact."""
        self.start_load()
        self.add_loaded(bodies)
        self.loaded()

    def start_load(self) -> None:
        """A first load in parts: start_load(), add_loaded(part) for each part, loaded()."""
        self.bodies, self.by_subject = {}, {}

    def add_loaded(self, bodies: list[dict[str, Any]]) -> None:
        """A part of a first load (live facts, each fact in one part only)."""
        known = self.bodies
        for body in bodies:
            fact_id = str(body.get("id"))
            if fact_id in known:  # the same id as text twice (as before: the last one is kept)
                self.by_subject[str(known[fact_id].get("subject"))].discard(fact_id)
            known[fact_id] = body
            self.by_subject.setdefault(str(body.get("subject")), set()).add(fact_id)

    def loaded(self) -> None:
        """A first load is complete: the id order, once."""
        self.order = sorted(self.bodies)
        self.encoded, self.joined = None, {}
        self.live = None

    def facts_of(self, subject_ids: set[str]) -> list[dict[str, Any]]:
        return [self.bodies[fid] for sid in subject_ids for fid in self.by_subject.get(sid, ())]

    def live_facts(self) -> list[dict[str, Any]]:
        """Every live fact in id order (the same list until a fact is applied: do not change it)."""
        if self.live is None:
            self.live = [self.bodies[fid] for fid in self.order]
        return self.live


def _shared(body: dict[str, Any], fact_id: str) -> dict[str, Any]:
    """The same fact with its keys and short texts shared with every other fact's (sys.intern), and its id
    the very string the cache files it under. A fact parsed from its own change event has private copies of
    "subject", "indicator", the subject's id, the assessor…, which the cache would keep for every fact for as
    long as the period is in memory (tests/scoring/test_digest.py)."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if type(value) is str:
            value = fact_id if key == "id" and value == fact_id else sys.intern(value) if len(value) <= 64 else value
        out[sys.intern(key) if type(key) is str else key] = value
    return out


class ScoresCache:
    """The period states of one scoring app (made in its lifespan: `install`), keyed by period id.

    Bounded: the `MAX_PERIODS` most recently used periods. A state is handed out only for the period's
    current `cache_epoch` (enrolment and rebuild move it) and only when no transaction that changed it is
    still unconfirmed; otherwise it is dropped and the period is loaded again. `after_commit` (the
    database's after-commit hook) confirms the states a committed transaction changed."""

    def __init__(self, limit: int = MAX_PERIODS) -> None:
        self._states: Lru[str, PeriodState] = Lru(limit)
        self._tokens = itertools.count(1)

    def get(self, period_id: str, epoch: int) -> PeriodState | None:
        state = self._states.get(period_id)
        if state is None or state.epoch != epoch or state.in_flight:
            self._states.pop(period_id)
            return None
        return state

    def put(self, state: PeriodState) -> None:
        self._states.put(state.period_id, state)

    def begin(self, session: AsyncSession, state: PeriodState) -> None:
        """The state is being changed by this transaction: trusted again only after its commit."""
        token = next(self._tokens)
        state.in_flight = token
        session.info.setdefault(_CONFIRM, []).append((state, token))

    def after_commit(self, session: AsyncSession | None = None) -> None:
        """Database after-commit hook: the states this transaction changed are the committed truth."""
        if session is None:
            return
        for state, token in session.info.pop(_CONFIRM, []):
            if state.in_flight == token:
                state.in_flight = 0

    def clear(self) -> None:
        self._states.clear()


async def install(app: FastAPI) -> None:
    """Start-up hook of the scoring app: its one cache, confirmed after each commit of its database."""
    cache = ScoresCache()
    app.state.scores_cache = cache
    app.state.db.after_commit.append(cache.after_commit)


async def uninstall(app: FastAPI) -> None:
    """Shut-down hook: the database stops confirming into the cache."""
    cache: ScoresCache = app.state.scores_cache
    if cache.after_commit in app.state.db.after_commit:
        app.state.db.after_commit.remove(cache.after_commit)


def get_scores_cache(request: Request) -> ScoresCache:
    cache: ScoresCache = request.app.state.scores_cache
    return cache


ScoresCacheDep = Annotated[ScoresCache, Depends(get_scores_cache)]
