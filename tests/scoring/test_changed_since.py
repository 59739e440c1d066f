"""Ranking's partial read: the subjects with a version in a score set after N, found by seq (no index on
score_set; within a period seq grows with score_set). On real Postgres."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from services.scoring.scores import repository as repo


def _version(subject: str, score_set: int, now: datetime) -> tuple[Any, ...]:
    return ("q1", subject, "total", Decimal(score_set), "[]", "x", "user:t", score_set, "ab" * 32, now)


async def test_subjects_changed_since_each_score_set(period: httpx.AsyncClient) -> None:
    from tests.scoring.conftest import app_db

    now = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    async with app_db().sessionmaker() as session:
        # score set 1: p1 and p2; 2: nothing stored (a set that moved only vetoes or flags); 3: p2; 4: p1
        await repo.insert_versions(session, [_version("p1", 1, now), _version("p2", 1, now)])
        await repo.insert_versions(session, [_version("p2", 3, now)])
        await repo.insert_versions(session, [_version("p1", 4, now), _version("p1", 4, now)])
        found = {n: sorted(await repo.subjects_changed_since(session, "q1", n)) for n in range(6)}
    assert found == {0: ["p1", "p2"], 1: ["p1", "p2"], 2: ["p1", "p2"], 3: ["p1"], 4: [], 5: []}
