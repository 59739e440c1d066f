"""`store` skips a table position that holds the very entry and meta it stored there last, and still
writes a version for everything else: a changed entry, a subject whose unit moved with an equal
entry, a subject that left the table (hand-made entries, real database)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from services.common.auth import SYSTEM
from services.ranking.periods import repository as periods
from services.ranking.results.cache import ResultsCache
from services.ranking.results.inputs import SubjectMeta
from services.ranking.results.models import SubjectResult
from services.ranking.results.service import store
from tests.ranking.conftest import FakeScoring, deliver
from tests.ranking.test_store_copy import ONE_GROUP, ranking_db, unit


def entry(sid: str, total: str, rank: int) -> dict[str, Any]:
    return {"id": sid, "name": sid, "group": "甲组", "total": total, "scores": {"work": total}, "rank": rank,
            "band_grade": None, "grade": None, "grade_reason": None, "labels": [], "rewards": {}, "flags": [],
            "explain": {"work": f"manual {total}"}}


CACHE = ResultsCache()  # what one ranking process keeps across the stores below


async def _store(entries: list[dict[str, Any]], metas: dict[str, SubjectMeta]) -> tuple[int, int, int]:
    async with ranking_db().sessionmaker() as session:
        period = await periods.get(session, "p-place", lock=True)
        assert period is not None
        done = await store(session, CACHE, period, {"subjects": entries}, metas, actor=SYSTEM)
        await ranking_db().commit(session)
    return done.changed, done.unchanged, done.removed


async def _current() -> dict[str, tuple[int, str, int, str]]:
    async with ranking_db().sessionmaker() as session:
        rows = await session.scalars(select(SubjectResult).where(SubjectResult.period_id == "p-place",
                                                                 SubjectResult.is_current))
        return {r.subject_id: (r.version, str(r.total), r.position, r.unit_path) for r in rows}


async def test_positions_holding_the_same_entry_and_meta_are_skipped_and_the_rest_is_written(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    # the period and its first results (s00 … s02, versions 1) through the service as usual
    scoring.add_period("p-place", ONE_GROUP, "2026-Q1", [unit(n, str(60 + n)) for n in range(3)])
    assert (await deliver(ranking, "p-place", scoring))["changed"] == 3

    a, b, c = entry("s02", "62", 1), entry("s01", "61", 2), entry("s00", "60", 3)
    metas = {"s02": SubjectMeta("city/u2"), "s01": SubjectMeta("city/u1"), "s00": SubjectMeta("city/u0")}
    # hand-made entries differ from the service's (no attributes…): all three are new versions
    assert await _store([a, b, c], metas) == (3, 0, 0)
    assert await _store([a, b, c], metas) == (0, 3, 0)  # the same objects in place: nothing written

    # s01's entry changes; s00's entry is the same object but its unit moved (a new meta): both are written
    b2 = {**b, "total": "61.5", "scores": {"work": "61.5"}}
    moved = {**metas, "s00": SubjectMeta("city/elsewhere")}
    assert await _store([a, b2, c], moved) == (2, 1, 0)
    assert await _store([a, b2, c], moved) == (0, 3, 0)
    # an equal entry that is a new object, in its old place, is compared by digest: unchanged
    assert await _store([dict(a), b2, c], moved) == (0, 3, 0)

    # s00 leaves the table; s01 takes first place (a new entry), s02 keeps its entry but moves down
    b3 = {**b2, "rank": 1}
    assert await _store([b3, a], moved) == (1, 1, 1)
    assert await _store([b3, a], moved) == (0, 2, 0)

    assert await _current() == {"s02": (2, "62", 1, "city/u2"), "s01": (4, "61.5", 0, "city/u1")}
