"""Scoring's scores of a period as this process last read them, brought up to date by delta reads.

A `scores.changed` usually moves a handful of subjects out of thousands. Ranking keeps the last
`GET /v1/periods/{id}/scores` body per period and asks scoring only for what changed since its
score set (`since_score_set` + `period_key`); scoring answers `partial` with the subjects that
have a newer version plus every subject with vetoes or flags, or the whole period when the key no
longer matches (enrolment changed, or another period of the same id). Several ranking instances
each keep their own copy; every copy only ever moves forward with scoring's committed score sets.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from services.ranking.clients import ScoringClient

MAX_PERIODS = 8
_BODIES: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()


async def latest_scores(scoring: ScoringClient, period_id: str) -> tuple[dict[str, Any], bool]:
    """The body of `GET /v1/periods/{id}/scores` as it is now, read as a delta when possible; and
    whether it was read in full (a new body for every subject, not merged from a delta)."""
    slot = (scoring.base_url, period_id)
    cached = _BODIES.get(slot)
    full = True
    if cached is None or not isinstance(cached.get("score_set"), int) or not cached.get("period_key"):
        body = await scoring.period_scores(period_id)
    else:
        body = await scoring.period_scores(period_id, since_score_set=cached["score_set"],
                                           period_key=str(cached["period_key"]))
        if body.get("partial") is True:
            body, full = merge(cached, body), False
    _BODIES[slot] = body
    _BODIES.move_to_end(slot)
    while len(_BODIES) > MAX_PERIODS:
        _BODIES.popitem(last=False)
    return body, full


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


def forget() -> None:
    _BODIES.clear()
