"""Two first writes of the same journal week at once, on a real database with commits (the `stack` fixture).

Neither transaction sees the other's uncommitted row, so both decide the week is new; the later one must then
wait for the earlier and answer from the row it committed (409, or nothing left to sweep), never run into the
week's unique constraint (an IntegrityError, answered as 500 "internal error"). Dates as in test_journals.py:
W05 (01-26..02-01) is due Mon 02-02 23:59:59 Shanghai, W06 (02-02..02-08) Mon 02-09 23:59:59.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Grant, Principal
from services.common.db import Database
from services.evidence.app import app as evidence_app
from services.evidence.journals import service
from services.evidence.journals.schemas import ExcuseCreate, JournalCreate
from services.evidence.scoring_client import ScoringClient
from tests.conftest import auth
from tests.evidence.conftest import FakeScoring, Stack

ADMIN = auth(("admin", ""), subject="office")
ALICE = auth(("submitter", "city/a"), subject="alice")
W05_OPEN = datetime.fromisoformat("2026-02-02T10:00:00+08:00")  # W05 still open
W06_DUE = datetime.fromisoformat("2026-02-10T00:00:00+08:00")  # W06's deadline just passed
JOURNAL = {"period_id": "2026-Q1", "subject_id": "p001", "week": "2026-W05", "text": "本周完成……", "points": "45"}


@pytest.fixture
def at() -> Iterator[list[datetime]]:
    """The app's clock, settable: `at[0]`."""
    moment = [W05_OPEN]
    evidence_app.state.clock = lambda: moment[0]
    yield moment
    evidence_app.state.clock = None


def _scoring() -> ScoringClient:
    return ScoringClient("http://scoring", transport=httpx.MockTransport(FakeScoring()))


async def _waiting(db: Database) -> None:
    """Until a transaction on this test's database waits for a lock another holds (the request under test)."""
    async with db.engine.connect() as conn:
        for _ in range(200):
            waiting = await conn.scalar(text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE NOT l.granted AND a.datname = current_database()"))
            if waiting:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the second write never waited for the first")


async def _while_held(stack: Stack, first: Any, second: Any) -> Any:
    """Run `first(session)` without committing, start `second()` (a request), let it reach its wait, commit the
    first, and return what the second answers."""
    async with stack.db.sessionmaker() as session:
        await first(session)
        request = asyncio.create_task(second())
        try:
            await _waiting(stack.db)
        finally:
            await stack.db.commit(session)
        return await request


async def test_two_journals_of_the_same_new_week_at_once_the_later_is_409(stack: Stack, at: list[datetime]) -> None:
    alice = Principal(subject="alice", grants=(Grant("submitter", "city/a"),))
    scoring = _scoring()

    async def first(session: AsyncSession) -> None:
        await service.submit(session, alice, scoring, JournalCreate(**JOURNAL), now=at[0])

    try:
        later = await _while_held(stack, first, lambda: stack.client.post("/v1/journals", json=JOURNAL,
                                                                          headers=ALICE))
    finally:
        await scoring.close()
    assert (later.status_code, later.json()["error"]["message"]) == (
        409, "the journal of 2026-W05 was already submitted"), later.text
    weeks = (await stack.client.get("/v1/journals", params={"period_id": "2026-Q1"}, headers=ADMIN)).json()["items"]
    assert [(w["week"], w["status"], w["points"]) for w in weeks] == [("2026-W05", "submitted", "45")]


async def test_a_sweep_while_the_week_is_being_excused_leaves_it_excused(stack: Stack, at: list[datetime]) -> None:
    roster = {"period_id": "2026-Q1", "subject_ids": ["p001"], "first_week": "2026-W06", "last_week": "2026-W06"}
    assert (await stack.client.post("/v1/journals/rosters", json=roster, headers=ADMIN)).json() == {"people": 1}
    at[0] = W06_DUE
    chief = Principal(subject="chief-a", grants=(Grant("reviewer", "city/a"),))
    excuse = ExcuseCreate.model_validate({"period_id": "2026-Q1", "subject_id": "p001", "week": "2026-W06",
                                          "kind": "trip", "reason": "批准", "ends_on": "2026-02-06"})
    scoring = _scoring()

    async def first(session: AsyncSession) -> None:
        await service.excuse(session, chief, scoring, excuse)

    try:
        sweep = await _while_held(stack, first, lambda: stack.client.post("/v1/journals/sweep", headers=ADMIN))
    finally:
        await scoring.close()
    assert (sweep.status_code, sweep.json()) == (200, {"missing": 0}), sweep.text
    weeks = (await stack.client.get("/v1/journals", params={"period_id": "2026-Q1"}, headers=ADMIN)).json()["items"]
    assert [(w["week"], w["status"]) for w in weeks] == [("2026-W06", "excused")]
