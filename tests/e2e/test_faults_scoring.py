"""Faults around scoring, with real processes (`kaohe serve`):

1. scoring is killed while evidence's outbox keeps producing facts, then restarted: every fact is applied exactly
   once and the stored scores equal a clean recompute (`/verify`) and the hand-worked values;
2. scoring is killed in the middle of a recompute (held at its score-version insert by a table lock): the period
   is left consistent (nothing half-written, still due) and the restarted process finishes the work.

Hand-worked (tiny scheme): p1 work 50, 8 lates → attend 2, rank 1 → 30: 82; p2 work 40, 4 lates → 6, rank 2 → 20: 66.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.common.embedded import free_port
from tests.reliability.processes import SERVICE, ServiceProcess, call, dsn, enqueue_facts, set_up_period, sql, wait_for

pytestmark = pytest.mark.e2e

WORK = [{"id": "w1", "subject": "p1", "indicator": "work", "fact": "score", "points": "50"},
        {"id": "w2", "subject": "p2", "indicator": "work", "fact": "score", "points": "40"}]


def lates(first: int, last: int) -> list[dict[str, Any]]:
    """Late events L<first>..L<last>; odd numbers and 2, 4 go to p1 (8 in all), the rest to p2."""
    p1 = {1, 2, 3, 4, 5, 7, 9, 11}
    return [{"id": f"L{n}", "subject": "p1" if n in p1 else "p2", "indicator": "attend", "fact": "event",
             "type": "late", "count": 1} for n in range(first, last + 1)]


def _settled(url: str, scoring: ServiceProcess, expected: int) -> bool:
    pending = sql(url, "SELECT count(*) FROM evidence.outbox_event WHERE delivered_at IS NULL")[0][0]
    due = sql(url, "SELECT count(*) FROM scoring.period WHERE recompute_due_at IS NOT NULL")[0][0]
    applied = sql(url, "SELECT count(*) FROM scoring.inbox_event")[0][0]
    return bool(pending == 0 and due == 0 and applied == expected)


def _totals(scoring: ServiceProcess) -> dict[str, str]:
    body = call("GET", f"{scoring.url}/v1/periods/q1/scores", principal=SERVICE)
    return {s["id"]: s["total"] for s in body["subjects"]}


def _processes(url: str, tmp_path: Path) -> tuple[ServiceProcess, ServiceProcess]:
    nowhere = f"http://127.0.0.1:{free_port()}"  # ranking is not part of these faults
    scoring = ServiceProcess("scoring", url, {"ranking": nowhere}, tmp_path)
    evidence = ServiceProcess("evidence", url, {"scoring": scoring.url}, tmp_path)
    scoring.peers["evidence"] = evidence.url  # scoring's verification asks evidence
    return scoring, evidence


def test_scoring_down_while_facts_arrive(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database()
    scoring, evidence = _processes(url, tmp_path)
    try:
        scoring.start()
        evidence.start()
        set_up_period(scoring.url)
        enqueue_facts(url, [*WORK, *lates(1, 4)])
        wait_for(lambda: _settled(url, scoring, 6), timeout=30, what="the first facts")
        scoring.kill()
        for n in range(5, 13):  # facts keep arriving while scoring is down
            enqueue_facts(url, lates(n, n))
            time.sleep(0.3)
        wait_for(lambda: sql(url, "SELECT count(*) FROM evidence.outbox_event WHERE attempts > 1")[0][0] > 0,
                 timeout=20, what="the relay retrying against the dead scoring")
        scoring.start()
        wait_for(lambda: _settled(url, scoring, 14), timeout=60, what="catch-up after the restart")
        assert sql(url, "SELECT count(*) FROM evidence.outbox_event WHERE delivered_at IS NULL")[0][0] == 0
        assert sql(url, "SELECT count(*) FROM scoring.fact_copy")[0][0] == 14
        assert _totals(scoring) == {"p1": "82", "p2": "66"}
        verified = call("POST", f"{scoring.url}/v1/periods/q1/verify")
        assert verified["mismatches"] == [], verified  # (the facts, written into evidence's outbox, are `unbacked`)
    finally:
        evidence.stop()
        scoring.stop()


async def _hold_score_versions(url: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn(url))
    await conn.execute("BEGIN; LOCK TABLE scoring.score_version IN ACCESS EXCLUSIVE MODE")
    return conn


def test_scoring_killed_in_the_middle_of_a_recompute(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database()
    scoring, evidence = _processes(url, tmp_path)
    loop = asyncio.new_event_loop()
    try:
        scoring.start()
        evidence.start()
        set_up_period(scoring.url)
        lock = loop.run_until_complete(_hold_score_versions(url))
        # what is stored before the facts arrive (opening the period may already have been scored: the
        # recompute starts as soon as a change commits), read through the lock's own connection
        stored = loop.run_until_complete(lock.fetchval("SELECT count(*) FROM scoring.score_version"))
        score_set = loop.run_until_complete(lock.fetchval("SELECT score_set FROM scoring.period"))
        enqueue_facts(url, [*WORK, *lates(1, 12)])
        waiting = ("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kaohe-scoring' "
                   "AND wait_event_type = 'Lock' AND query ILIKE '%score_version%'")
        wait_for(lambda: sql(url, waiting)[0][0] > 0, timeout=30, what="a recompute blocked at its insert")
        scoring.kill()
        loop.run_until_complete(lock.execute("ROLLBACK"))
        loop.run_until_complete(lock.close())
        # the killed transaction left nothing behind: no versions, the period still due
        assert sql(url, "SELECT count(*) FROM scoring.score_version")[0][0] == stored
        assert tuple(sql(url, "SELECT score_set, recompute_due_at IS NOT NULL FROM scoring.period")[0]) == (
            score_set, True)
        scoring.start()
        wait_for(lambda: _settled(url, scoring, 14), timeout=60, what="the restarted recompute")
        # the period's score set is the newest one stored (facts that were still in flight may add a second)
        assert sql(url, "SELECT p.score_set = (SELECT max(score_set) FROM scoring.score_version) "
                        "FROM scoring.period p")[0][0] is True
        assert _totals(scoring) == {"p1": "82", "p2": "66"}
        assert call("POST", f"{scoring.url}/v1/periods/q1/verify")["mismatches"] == []
    finally:
        loop.close()
        evidence.stop()
        scoring.stop()
