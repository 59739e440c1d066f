"""Scoring's scores of a period as this process last read them, brought up to date by delta reads.

A `scores.changed` usually moves a handful of subjects out of thousands. Ranking keeps the last
`GET /v1/periods/{id}/scores` body per period and asks scoring only for what changed since its
score set (`since_score_set` + `period_key`); scoring answers `partial` with the subjects that
have a newer version plus every subject with vetoes or flags, or the whole period when the key no
longer matches (enrolment changed, or another period of the same id). Several ranking instances
each keep their own copy; every copy only ever moves forward with scoring's committed score sets.
"""

from __future__ import annotations

from typing import Any

from services.common.bounded import Lru
from services.ranking.clients import ScoringClient

MAX_PERIODS = 8


class ScoresBodies:
    """The last scores body per (scoring's address, period), for the MAX_PERIODS periods used last. A
    body stays valid for as long as scoring says so: each read names the body's score set and period
    key, and scoring answers with what changed since (`partial`) or, when the key no longer matches,
    the whole period."""

    def __init__(self, limit: int = MAX_PERIODS) -> None:
        self._bodies: Lru[tuple[str, str], dict[str, Any]] = Lru(limit)

    async def latest(self, scoring: ScoringClient, period_id: str) -> dict[str, Any]:
        """The body of `GET /v1/periods/{id}/scores` as it is now, read as a delta when possible."""
        slot = (scoring.base_url, period_id)
        cached = self._bodies.get(slot)
        if cached is None or not isinstance(cached.get("score_set"), int) or not cached.get("period_key"):
            body = await scoring.period_scores(period_id)
        else:
            body = await scoring.period_scores(period_id, since_score_set=cached["score_set"],
                                               period_key=str(cached["period_key"]))
            if body.get("partial") is True:
                body = merge(cached, body)
        self._bodies.put(slot, body)
        return body

    def clear(self) -> None:
        self._bodies.clear()


def merge(cached: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """The full body: the delta's subjects replace the cached ones; the others keep their values and
    lose any vetoes or flags (a subject that has some is always in the delta)."""
    fresh = {str(entry["id"]): entry for entry in delta.get("subjects") or []}
    subjects = []
    for entry in cached.get("subjects") or []:
        sid = str(entry["id"])
        if sid in fresh:
            subjects.append(fresh.pop(sid))
        elif entry.get("vetoes") or entry.get("flags"):
            subjects.append({**entry, "vetoes": [], "flags": []})
        else:
            subjects.append(entry)
    subjects.extend(fresh[sid] for sid in sorted(fresh))  # not in the cached body: appended
    return {**delta, "subjects": subjects, "partial": False}

