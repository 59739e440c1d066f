"""What the ranking service keeps in memory between two recomputes: one `ResultsCache` per app, made in
its lifespan (`app.state.results_cache`, services/ranking/app.py) and handed to the recompute by the
`ResultsCacheDep` dependency. Every part is bounded (least recently used out first) and keyed by value,
and says when an entry stops being valid; clearing any part at any time costs only work, never a wrong
result. Several ranking instances each keep their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from kaohe.engine.canonical import canonical_json
from kaohe.engine.ranking.result import RankMemo
from services.common.bounded import Lru
from services.ranking.results.inputs import ParsedInputs, SubjectMeta
from services.ranking.results.repository import CurrentDigest
from services.ranking.results.scores_cache import ScoresBodies

MAX_PERIODS = 8
MAX_DIGESTS = 100_000


@dataclass(frozen=True)
class StoredResults:
    """What this process stored last for a period, valid while the period's `results_token` is `token`
    (a token is never reused): each current result's digest, and the entries and metas of the table in
    position order (a position that holds an equal entry and meta again is unchanged)."""

    token: str | None
    digests: Mapping[str, CurrentDigest]
    entries: tuple[Mapping[str, Any], ...] = ()
    metas: tuple[SubjectMeta, ...] = ()


class EntryDigests:
    """The SHA-256 of each subject's last ranked entry, by (period, subject): valid for an equal entry."""

    def __init__(self, limit: int = MAX_DIGESTS) -> None:
        self._known: Lru[tuple[str, str], tuple[Mapping[str, Any], str]] = Lru(limit)

    def digest(self, period_id: str, entry: Mapping[str, Any]) -> tuple[str, str | None]:
        """The digest of the entry's canonical JSON, and that JSON when it had to be written (None when
        the subject's last ranked entry was equal: its digest is reused, nothing is encoded)."""
        key = (period_id, str(entry["id"]))
        known = self._known.get(key)
        if known is not None and (known[0] is entry or known[0] == entry):
            if known[0] is not entry:  # the newest equal entry is kept: the next look-up is an identity check
                self._known.put(key, (entry, known[1]))
            return known[1], None
        raw = canonical_json(entry)
        digest = hashlib.sha256(raw).hexdigest()
        self._known.put(key, (entry, digest))
        return digest, raw.decode()

    def clear(self) -> None:
        self._known.clear()


@dataclass
class ResultsCache:
    """The parts, each described where it is defined:

    - `bodies`: scoring's scores body per period, brought forward by delta reads (scores_cache.py);
    - `inputs`: the parsed schemes and subjects (inputs.py);
    - `memos`: per period, the last ranking by scope (`rank_period_reusing`), valid for an equal scheme
      and equal scores of the scope;
    - `stored`: per period, what this process stored last (`StoredResults`);
    - `digests`: each subject's last entry digest (`EntryDigests`).
    """

    bodies: ScoresBodies = field(default_factory=ScoresBodies)
    inputs: ParsedInputs = field(default_factory=ParsedInputs)
    memos: Lru[str, RankMemo] = field(default_factory=lambda: Lru(MAX_PERIODS))
    stored: Lru[str, StoredResults] = field(default_factory=lambda: Lru(MAX_PERIODS))
    digests: EntryDigests = field(default_factory=EntryDigests)

    def clear(self) -> None:
        for part in (self.bodies, self.inputs, self.memos, self.stored, self.digests):
            part.clear()


async def install(app: FastAPI) -> None:
    """Start-up hook of the ranking app: its one cache."""
    app.state.results_cache = ResultsCache()


def get_results_cache(request: Request) -> ResultsCache:
    cache: ResultsCache = request.app.state.results_cache
    return cache


ResultsCacheDep = Annotated[ResultsCache, Depends(get_results_cache)]
