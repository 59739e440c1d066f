"""The incremental recompute (docs/decisions.md, "Incremental recompute"), through HTTP on real Postgres.

Hand-worked on the tiny scheme (tests/scoring/conftest.py): work = manual, attend = 10 − lates,
rankp = rank_points of work over both subjects (rank 1 → 30, rank 2 → 20), total = sum.
Start: p1 work 50, 2 lates → attend 8, rank 1 → 30: 88; p2 work 40, attend 10, rank 2 → 20: 70.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.common.db import Database, create_engine
from services.common.settings import normalize_database_url
from services.scoring.scores import incremental
from services.scoring.scores.models import ScoreVersion
from tests.scoring.conftest import (
    FACTS,
    admin,
    empty_evidence,
    fact_event,
    make_org,
    ok,
    open_period,
    publish,
    service_headers,
    unbacked,
    verify,
)


async def _recompute(client: httpx.AsyncClient) -> dict[str, Any]:
    result: dict[str, Any] = await ok(await client.post("/v1/periods/q1/recompute", headers=admin()))
    return result


async def _send(client: httpx.AsyncClient, fact: dict[str, Any], revision: int) -> None:
    await ok(await client.post("/events", json=fact_event("upsert", fact, revision=revision),
                               headers=service_headers()))


async def _totals(client: httpx.AsyncClient) -> dict[str, str]:
    body = await ok(await client.get("/v1/periods/q1/scores", headers=service_headers()))
    return {s["id"]: s["total"] for s in body["subjects"]}


async def _versions(db: Database, score_set: int) -> list[tuple[str, str, str]]:
    async with db.sessionmaker() as session:
        rows = (await session.execute(
            select(ScoreVersion.subject_id, ScoreVersion.indicator, ScoreVersion.value)
            .where(ScoreVersion.period_id == "q1", ScoreVersion.score_set == score_set)
            .order_by(ScoreVersion.subject_id, ScoreVersion.indicator))).all()
    return [(s, i, str(v)) for s, i, v in rows]


def _count_full_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = incremental.score_full

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(incremental, "score_full", counting)
    return calls


async def test_one_subjects_change_moves_another_through_the_subset_path(
        period: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.scoring.conftest import app_db

    full_runs = _count_full_runs(monkeypatch)
    await _recompute(period)
    assert len(full_runs) == 1  # the first recompute of the process loads and scores everything
    await _send(period, {**FACTS[1], "points": "55"}, 1)  # p2 overtakes p1
    result = await _recompute(period)
    assert len(full_runs) == 1  # only p2's facts changed: scored through engine/subset.py
    # p1: rank 2 → 20, total 50 + 8 + 20 = 78; p2: work 55, rank 1 → 30, total 55 + 10 + 30 = 95
    assert result["versions_created"] == 5
    assert await _versions(app_db(), result["score_set"]) == [
        ("p1", "rankp", "20"), ("p1", "total", "78"),
        ("p2", "rankp", "30"), ("p2", "total", "95"), ("p2", "work", "55"),
    ]
    history = await ok(await period.get("/v1/periods/q1/subjects/p1/history?indicator=rankp", headers=admin()))
    assert [h["explain"] for h in history] == ["rank_points by work 50: rank 1 of 2 → 30",
                                               "rank_points by work 50: rank 2 of 2 → 20"]
    verified = await verify(period)  # the recompute holds; the facts were sent with no evidence behind them
    assert (verified["mismatches"], verified["inputs_sha256"]) == ([], result["inputs_sha256"])
    assert unbacked(verified) == [("unbacked", "f1"), ("unbacked", "f2"), ("unbacked", "f3")]
    again = await _recompute(period)  # nothing changed since: no version, no engine run at all
    assert (again["changed"], again["versions_created"], len(full_runs)) == (False, 0, 1)


async def test_an_enrolment_change_reloads_the_period(period: httpx.AsyncClient,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    full_runs = _count_full_runs(monkeypatch)
    await _recompute(period)
    await ok(await period.post("/v1/periods/q1/subjects", json={"subjects": [{"id": "p3", "group": "B"}]},
                          headers=admin()))
    result = await _recompute(period)
    assert len(full_runs) == 2  # cache_epoch moved: the process scored the whole period again
    # p3 has no facts: work 0, attend 10, rank 3 of 3 → 20 (top 0.5 × 3 = 1.5 < 3): 30; p2 rank 2 > 1.5 → 20
    assert await _totals(period) == {"p1": "88", "p2": "70", "p3": "30"}
    # p3's work, attend, rankp and total, and p1's and p2's rankp: same points, but "of 3" now
    assert result["versions_created"] == 6


@asynccontextmanager
async def _instance(url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    """A scoring app of its own (its own pool and cache) on a committed database, no background loops."""
    from services.common.app import create_service_app
    from services.scoring.app import spec

    app = create_service_app(spec)
    db = Database(create_engine(normalize_database_url(url), pool_size=2), "scoring")
    app.state.db, app.state.run_relay, app.state.run_recomputer = db, False, False
    app.state.evidence_transport = empty_evidence()
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scoring") as client:
            yield client, db


async def test_a_second_instance_catches_up_with_what_the_first_wrote(fresh_database: Any) -> None:
    url = fresh_database()
    async with _instance(url) as (one, db), _instance(url) as (two, _):
        await make_org(one)
        await publish(one)
        await open_period(one)
        for fact in FACTS:
            await _send(one, fact, 1)
        first = await _recompute(one)
        assert first["versions_created"] == 8
        loaded = await _recompute(two)  # two loads the period: nothing to write
        assert (loaded["changed"], loaded["versions_created"]) == (False, 0)
        await _send(one, {**FACTS[1], "points": "55"}, 2)  # p2 overtakes p1, through instance one
        assert (await _recompute(one))["versions_created"] == 5
        await _send(two, {**FACTS[0], "points": "60"}, 2)  # p1 back on top, through instance two
        result = await _recompute(two)
        # two must read p2's new fact and one's versions: p1 work 60, rank 1 → 30: 98; p2 55, rank 2 → 20: 85
        assert await _versions(db, result["score_set"]) == [
            ("p1", "rankp", "30"), ("p1", "total", "98"), ("p1", "work", "60"),
            ("p2", "rankp", "20"), ("p2", "total", "85"),
        ]
        assert (await _recompute(one))["versions_created"] == 0  # one catches up in turn: nothing new
        for client in (one, two):
            assert await _totals(client) == {"p1": "98", "p2": "85"}
            verified = await ok(await client.post("/v1/periods/q1/verify", headers=admin()))
            assert verified["mismatches"] == [] and unbacked(verified)[0] == ("unbacked", "f1")


async def test_changes_that_add_no_data_add_no_memory(period: httpx.AsyncClient) -> None:
    """The per-process cache mirrors the period's facts, so it grows with them; changes that only revise a
    fact must not grow it (nothing kept per change: no chain of old engine states, no history)."""
    import gc
    import tracemalloc

    await _recompute(period)
    tracemalloc.start()
    try:
        marks = []
        for revision in range(1, 181):  # p2's work swings between 55 and 40: p1 and p2 swap ranks each time
            await _send(period, {**FACTS[1], "points": "55" if revision % 2 else "40"}, revision)
            await _recompute(period)
            if revision % 60 == 0:
                gc.collect()
                marks.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    # measured: flat within ±50 kB over 180 changes; a leak of even 1 kB per change would add 120 kB
    assert marks[-1] - marks[0] < 100_000, marks


async def test_a_score_whose_reason_changed_gets_a_version_with_the_reason_that_holds(
        period: httpx.AsyncClient) -> None:
    """Regression (newcomer probe): p1's work goes 50 → 60 and p1 stays first, so rankp stays 30, but its reason
    names work 60 now. Only changed values used to get a version, so the score kept saying "by work 50"; the
    version is written when the value or the explanation moves."""
    from tests.scoring.conftest import app_db

    await _recompute(period)
    await _send(period, {**FACTS[0], "points": "60"}, 1)
    result = await _recompute(period)
    # p1: work 60, rank 1 → 30 (same value, new reason), total 60 + 8 + 30 = 98; p2 untouched
    assert await _versions(app_db(), result["score_set"]) == [
        ("p1", "rankp", "30"), ("p1", "total", "98"), ("p1", "work", "60")]
    history = await ok(await period.get("/v1/periods/q1/subjects/p1/history?indicator=rankp", headers=admin()))
    assert [h["explain"] for h in history] == ["rank_points by work 50: rank 1 of 2 → 30",
                                               "rank_points by work 60: rank 1 of 2 → 30"]
    verified = await verify(period)
    assert (verified["mismatches"], unbacked(verified)) == ([], [("unbacked", "f1"), ("unbacked", "f2"),
                                                                 ("unbacked", "f3")])
