"""Benchmark of the scoring service on one period (docs/performance.md, section "Period").

    python bench/period.py                 # 5,000 staff, 30 facts each (150,000 facts)
    python bench/period.py --staff 500

Builds a throw-away database on the PostgreSQL of KAOHE_BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres) and migrates it. The organisation and the fact copies
are loaded with bulk SQL (setup, not timed); the scheme is published and the period opened through the
API. First the scoring and the ranking apps are served in this process, each by uvicorn on a local port
(real HTTP both ways, real asyncpg pools, scoring's outbox relay delivering `scores.changed` to ranking,
ranking reading scoring's scores), to time the full recomputes:

- service_s: `POST /v1/periods/{id}/recompute` of the full period the first time (engine plus
  loading 150k fact copies plus writing every score version);
- unchanged_s: the same recompute again (nothing changes, nothing is written);
- engine_s: `score_period` alone on the same scheme and facts in the same run;
- warm_s: a full recompute again after one fact changed (the process has seen the period once).

Then both services are started as their own processes, as `kaohe up` and the container image run
them, on the same database, for the change latency:

- change_p95_ms: from `POST /events` with one changed fact until ranking has stored (committed) the
  subject's new result version, read from ranking's table every 5 ms (scoring's background loop
  recomputes, its outbox relay delivers `scores.changed`, ranking re-ranks and stores);
  the p95 of `--changes` changes (100 by default), after three untimed changes that load the fresh
  processes' state (first_change_ms is the first of them); change_cpu_ms is both services' CPU time per
  timed change, which a loaded machine inflates far less than latency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("KAOHE_SERVICE_TOKEN_SECRET", secrets.token_urlsafe(32))
os.environ.setdefault("KAOHE_LOG_LEVEL", "WARNING")

import asyncpg
import httpx
from sqlalchemy import func, insert, select

from kaohe.engine import parse_scheme, score_period
from services.common.auth import Grant, Principal, issue_service_token
from services.common.db import Database, create_engine
from services.common.embedded import free_port
from services.common.settings import SERVICES

ROOT = Path(__file__).resolve().parents[1]
GROUPS = ("科级干部", "中层干部", "一般工作人员")
FACTS_PER_STAFF = 30


def scheme_document() -> dict[str, Any]:
    """Ten leaves (manual, deduction, accrual, ratio, banded, rating, rank_points) under two parents."""
    work = [{"code": f"task_{i}", "name": f"任务{i}", "max": 10, "rule": {"kind": "manual"}} for i in range(4)]
    work.append({"code": "ratio", "name": "完成率", "max": 10, "rule": {"kind": "ratio", "target": "0.9"}})
    conduct = [
        {"code": "attendance", "name": "考勤", "max": 10,
         "rule": {"kind": "deduction", "per_event": {"late": 1, "absent": 5}}},
        {"code": "awards", "name": "奖励", "max": 5, "bonus": True,
         "rule": {"kind": "accrual", "per_event": {"award": 2}}},
        {"code": "monthly", "name": "月度出勤", "max": 10,
         "rule": {"kind": "banded", "bands": [{"min": "0.9", "points": 10}, {"min": "0.8", "points": 6}]}},
        {"code": "peers", "name": "民主测评", "max": 10,
         "rule": {"kind": "rating", "scale": {"优秀": 10, "称职": 7, "不称职": 2}}},
    ]
    return {
        "id": "bench-period", "version": 1, "title": "期间基准", "subject_kind": "person", "period": "quarter",
        "groups": list(GROUPS),
        "indicators": [
            {"code": "work", "name": "工作", "max": 50, "children": work},
            {"code": "conduct", "name": "作风", "max": 30, "children": conduct},
            {"code": "rank", "name": "排名分", "max": 20,
             "rule": {"kind": "rank_points", "of": "work",
                      "bands": [{"top": "0.25", "points": 20}, {"top": "0.6", "points": 15},
                                {"top": 1, "points": 10}]}},
        ],
    }


def staff_facts(pid: str, n: int, rnd: Any) -> list[dict[str, Any]]:
    """30 facts of one person: 8 manual scores, 2 measures, 6 events, 6 bands, 8 ratings."""
    out: list[dict[str, Any]] = []
    for i in range(4):
        for a in ("科室", "分管"):
            out.append({"subject": pid, "indicator": f"task_{i}", "fact": "score",
                        "points": str(rnd.randint(50, 100) / 10), "assessor": a})
    out += [{"subject": pid, "indicator": "ratio", "fact": "measure", "numerator": rnd.randint(60, 100),
             "denominator": 100} for _ in range(2)]
    out += [{"subject": pid, "indicator": "attendance", "fact": "event", "type": rnd.choice(("late", "absent"))}
            for _ in range(3)]
    out += [{"subject": pid, "indicator": "awards", "fact": "event", "type": "award"} for _ in range(3)]
    out += [{"subject": pid, "indicator": "monthly", "fact": "measure", "value": str(rnd.randint(70, 100) / 100)}
            for _ in range(6)]
    out += [{"subject": pid, "indicator": "peers", "fact": "rating", "rater": f"r{k}",
             "grade": rnd.choice(("优秀", "称职", "不称职"))} for k in range(8)]
    for k, fact in enumerate(out):
        fact["id"] = f"{pid}-f{k:02d}"
    return out


async def _admin(base_dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(base_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _headers(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_service_token(principal)}"}


ADMIN = Principal(subject="bench", grants=(Grant("admin", ""),))
SERVICE = Principal(subject="evidence", kind="service")


async def load_setup(db: Database, staff: int, rnd: Any) -> list[dict[str, Any]]:
    """Organisation (one unit per 100 staff) by bulk SQL; returns the generated facts."""
    from services.scoring.organisation.models import Person, Unit

    async with db.sessionmaker() as session:
        await session.execute(insert(Unit).values(id="u-city", name="市", slug="city", parent_id=None, path="city"))
        units = [{"id": f"u{i}", "name": f"单位{i}", "slug": f"u{i}", "parent_id": "u-city", "path": f"city/u{i}"}
                 for i in range((staff + 99) // 100)]
        await session.execute(insert(Unit).values(units))
        people = [{"id": f"p{i:05d}", "name": f"员工{i}", "unit_id": f"u{i // 100}"} for i in range(staff)]
        for start in range(0, len(people), 5000):
            await session.execute(insert(Person).values(people[start:start + 5000]))
        await session.commit()
    return [f for i in range(staff) for f in staff_facts(f"p{i:05d}", i, rnd)]


async def load_facts(db: Database, period_id: str, facts: list[dict[str, Any]]) -> None:
    from datetime import UTC, datetime

    from services.scoring.scores import repository

    now = datetime.now(UTC)
    rows = [{"period_id": period_id, "fact_id": f["id"], "subject_id": f["subject"], "indicator": f.get("indicator"),
             "body": f, "updated_at": now} for f in facts]
    async with db.sessionmaker() as session:
        await repository.upsert_facts(session, rows)
        await session.commit()


async def version_count(db: Database) -> int:
    from services.scoring.scores.models import ScoreVersion

    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(ScoreVersion)) or 0)


def changed_fact(facts: list[dict[str, Any]], r: int, rnd: Any) -> dict[str, Any]:
    """A copy of one manual score fact of the first 100 staff with a value it did not have."""
    fact = dict(rnd.choice([f for f in facts[:3000] if f["fact"] == "score"]))
    points = str(10 - r % 5)
    fact["points"] = points if Decimal(fact["points"]) != Decimal(points) else "4.5"
    return fact


def _plain_dsn(url: str) -> str:
    """The database URL as asyncpg takes it (without SQLAlchemy's driver name)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def stored_version(conn: asyncpg.Connection, subject: str) -> int:
    """The subject's current result version as ranking stored it (0 before ranking has it)."""
    return int(await conn.fetchval(
        "SELECT coalesce(max(version), 0) FROM ranking.subject_result WHERE period_id = 'bench' AND subject_id = $1 "
        "AND is_current", subject))


async def wait_stored(conn: asyncpg.Connection, subject: str, above: int, limit_s: float) -> None:
    """Read ranking's table every 5 ms on the bench's own connection until the subject's stored version passes
    `above`: polling ranking's API would cost the service under test a request per poll, and a coarser step would
    round the latency up."""
    start = time.perf_counter()
    while await stored_version(conn, subject) <= above:
        if time.perf_counter() - start > limit_s:
            raise TimeoutError(f"ranking did not store a new result for {subject} within {limit_s} s")
        await asyncio.sleep(0.005)


async def measure_changes(scoring: httpx.AsyncClient, conn: asyncpg.Connection, facts: list[dict[str, Any]],
                          rounds: int, rnd: Any, first: int = 0) -> list[float]:
    """Latency from a fact.changed event to the subject's new result stored by ranking, for `rounds` changes."""
    out: list[float] = []
    for r in range(first, first + rounds):
        fact = changed_fact(facts, r, rnd)
        before = await stored_version(conn, fact["subject"])
        event = {"id": str(uuid.uuid4()), "source": "evidence", "topic": "fact.changed",
                 "payload": {"period_id": "bench", "action": "upsert", "fact": fact, "revision": 1 + r}}
        start = time.perf_counter()
        response = await scoring.post("/events", json=event, headers=_headers(SERVICE))
        response.raise_for_status()
        await wait_stored(conn, fact["subject"], before, limit_s=120)
        out.append(time.perf_counter() - start)
        facts[facts.index(next(f for f in facts if f["id"] == fact["id"]))] = fact
    return out


WARM_UP_CHANGES = 3  # the first changes of a fresh process load the period's state: timed apart (first_change_ms)


class Services:
    """Scoring and ranking in their own processes, started the way `kaohe up` starts them (uvicorn, the
    services' own start-up), on the bench's database; `cpu_seconds` reads both processes' CPU time."""

    def __init__(self, url: str) -> None:
        self.ports = {"scoring": free_port(), "ranking": free_port()}
        self.env = {**os.environ, "KAOHE_DATABASE_URL": url, "KAOHE_LOG_LEVEL": "WARNING",
                    **{f"KAOHE_{name.upper()}_URL": self.url(name) for name in self.ports}}
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def spawn(self) -> None:
        for name in ("ranking", "scoring"):
            self.children[name] = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", f"services.{name}.app:app", "--host", "127.0.0.1",
                 "--port", str(self.ports[name]), "--no-access-log", "--log-level", "warning"],
                env=self.env, cwd=ROOT)

    async def wait_ready(self) -> None:
        async with httpx.AsyncClient(timeout=2.0) as client:
            for name, child in self.children.items():
                deadline = time.monotonic() + 60
                while True:
                    if child.poll() is not None:
                        raise RuntimeError(f"{name} exited with code {child.returncode} while starting")
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(f"{self.url(name)}/readyz")).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{name} was not ready within 60 s")
                    await asyncio.sleep(0.1)

    def cpu_seconds(self) -> float:
        """User and system CPU time of both service processes so far (/proc/<pid>/stat)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for child in self.children.values():
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / ticks

    def stop(self) -> None:
        for name in ("scoring", "ranking"):  # scoring first: its relay must not post to a stopped ranking
            child = self.children.get(name)
            if child is not None and child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()


async def changes_in_processes(url: str, facts: list[dict[str, Any]], rounds: int,
                               rnd: Any) -> tuple[list[float], list[float], float]:
    """The change rounds against the services in their own processes: (warm-up latencies, timed latencies,
    CPU milliseconds of both services per timed change)."""
    services = Services(url)
    try:
        services.spawn()
        await services.wait_ready()
        conn = await asyncpg.connect(_plain_dsn(url))
        try:
            async with httpx.AsyncClient(base_url=services.url("scoring"), timeout=httpx.Timeout(120.0)) as scoring:
                warm_up = await measure_changes(scoring, conn, facts, WARM_UP_CHANGES, rnd)
                cpu_start = services.cpu_seconds()
                latencies = await measure_changes(scoring, conn, facts, rounds, rnd, first=WARM_UP_CHANGES)
                cpu_ms = (services.cpu_seconds() - cpu_start) * 1000 / rounds
        finally:
            await conn.close()
    finally:
        services.stop()
    return warm_up, latencies, cpu_ms


async def run(staff: int, rounds: int) -> None:
    import random

    from migrations.runner import upgrade_all

    rnd = random.Random(7)
    base = os.environ.get("KAOHE_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"kaohe_bench_{secrets.token_hex(4)}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
    try:
        await asyncio.to_thread(upgrade_all, dict.fromkeys(SERVICES, url))
        figures, facts = await _bench(url, staff, rnd)
        warm_up, latencies, change_cpu_ms = await changes_in_processes(url, facts, rounds, rnd)
    finally:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000 if len(latencies) >= 2 else latencies[0] * 1000
    print(f"detail: versions_first={figures['versions']} first_rank_s={figures['first_rank_s']:.2f} "
          f"unchanged_s={figures['unchanged_s']:.2f} warm_s={figures['warm_s']:.2f} "
          f"warm_ratio={figures['warm_s'] / figures['engine_s']:.2f} first_change_ms={warm_up[0] * 1000:.0f} "
          f"change_rounds={rounds} change_median_ms={statistics.median(latencies) * 1000:.0f} "
          f"change_max_ms={max(latencies) * 1000:.0f} change_cpu_ms={change_cpu_ms:.0f} "
          "(change latency: fact event to the new result in ranking, the services in their own processes; "
          "first_change_ms: the first change after they started, not in the rounds; change_cpu_ms: both "
          "services' CPU per change)")
    print(f"period: staff={staff} facts={len(facts)} service_s={figures['service_s']:.2f} "
          f"engine_s={figures['engine_s']:.2f} ratio={figures['service_s'] / figures['engine_s']:.2f} "
          f"change_p95_ms={p95:.0f}")


async def _serve(app: Any, port: int) -> tuple[Any, asyncio.Task[None]]:
    """Serve an app with uvicorn on 127.0.0.1:port inside this event loop (its lifespan runs too)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on", access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return server, task


async def _bench(url: str, staff: int, rnd: Any) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The full recomputes, with the services served in this process; (figures, the facts)."""
    from services.ranking.app import app as ranking_app
    from services.scoring.app import app

    scoring_port, ranking_port = free_port(), free_port()
    os.environ["KAOHE_SCORING_URL"] = f"http://127.0.0.1:{scoring_port}"
    os.environ["KAOHE_RANKING_URL"] = f"http://127.0.0.1:{ranking_port}"
    from services.common.settings import get_settings

    get_settings.cache_clear()
    db = Database(create_engine(url, pool_size=5), "scoring")
    app.state.db, app.state.run_relay, app.state.run_recomputer = db, True, True
    ranking_app.state.db = Database(create_engine(url, pool_size=5), "ranking")
    facts = await load_setup(db, staff, rnd)
    # The bench's own 150,000 generated facts live in this process only because the services are served
    # in it: out of the cycle collector's sight, as they would be in a separate process (the services'
    # own objects, their caches included, stay in it).
    gc.collect()
    gc.freeze()
    ranking_server, ranking_task = await _serve(ranking_app, ranking_port)
    scoring_server, scoring_task = await _serve(app, scoring_port)
    try:
        app.state.recomputer.hold = True  # the full recomputes below are timed alone
        timeout = httpx.Timeout(600.0)
        conn = await asyncpg.connect(_plain_dsn(url))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{scoring_port}", timeout=timeout) as client:
            document = scheme_document()
            draft = (await client.post("/v1/schemes", json={"document": document}, headers=_headers(ADMIN))).json()
            (await client.post("/v1/schemes/bench-period/versions/1/publish", json={"revision": draft["revision"]},
                               headers=_headers(ADMIN))).raise_for_status()
            subjects = [{"id": f"p{i:05d}", "group": GROUPS[i % 3]} for i in range(staff)]
            (await client.post("/v1/periods", json={"id": "bench", "scheme_id": "bench-period", "scheme_version": 1,
                                                    "label": "2026-Q1", "subjects": subjects},
                               headers=_headers(ADMIN))).raise_for_status()
            await load_facts(db, "bench", facts)
            start = time.perf_counter()
            (await client.post("/v1/periods/bench/recompute", headers=_headers(ADMIN))).raise_for_status()
            service_s = time.perf_counter() - start
            versions = await version_count(db)
            start = time.perf_counter()
            await wait_stored(conn, "p00000", 0, limit_s=600)  # ranking's first full computation
            first_rank_s = time.perf_counter() - start
            start = time.perf_counter()
            (await client.post("/v1/periods/bench/recompute", headers=_headers(ADMIN))).raise_for_status()
            unchanged_s = time.perf_counter() - start
            engine_s = time_engine(document, subjects, facts)
            fact = changed_fact(facts, -1, rnd)
            await load_facts(db, "bench", [fact])  # one change, then a full recompute
            facts[facts.index(next(f for f in facts if f["id"] == fact["id"]))] = fact
            start = time.perf_counter()
            (await client.post("/v1/periods/bench/recompute", headers=_headers(ADMIN))).raise_for_status()
            warm_s = time.perf_counter() - start
        await conn.close()
    finally:
        for server, task in ((scoring_server, scoring_task), (ranking_server, ranking_task)):
            server.should_exit = True  # scoring first: its relay must not post to a stopped ranking
            await task
    figures = {"service_s": service_s, "versions": versions, "first_rank_s": first_rank_s,
               "unchanged_s": unchanged_s, "engine_s": engine_s, "warm_s": warm_s}
    return figures, facts


def time_engine(document: dict[str, Any], subjects: list[dict[str, Any]], facts: list[dict[str, Any]]) -> float:
    """parse_scheme + score_period on the same data, no database."""
    doc = {"scheme": "bench-period", "version": 1, "period": "2026-Q1",
           "subjects": [{"id": s["id"], "group": s["group"], "attributes": {}} for s in subjects], "facts": facts}
    start = time.perf_counter()
    score_period(parse_scheme(document), doc)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--staff", type=int, default=5000)
    # 100 by default: the p95 of 20 changes is their second-slowest, close to the maximum
    parser.add_argument("--changes", type=int, default=100, help="fact changes timed for change_p95_ms")
    args = parser.parse_args()
    asyncio.run(run(args.staff, args.changes))


if __name__ == "__main__":
    main()
