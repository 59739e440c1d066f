"""Benchmark: evidence submissions per second through the real service (docs/performance.md, "Evidence").

    python bench/evidence.py                       # 2,000 submissions, 32 concurrent clients
    python bench/evidence.py --requests 5000 --concurrency 64 --database-url postgresql://postgres@127.0.0.1:5432

Starts, on loopback, three uvicorn processes with the same server settings: a stand-in for scoring
(the two batch reads evidence makes, cached by evidence after the first call), the evidence service
on a fresh migrated database, and a baseline: a bare FastAPI endpoint that inserts one row into the
same database through the same engine settings. Then drives `POST /v1/submissions` (score facts,
with service tokens, so the full path runs: token check, scope check, validation, idempotency-free
insert of submission + version, audit chain seal) and `POST /rows` with the same client settings,
and reports requests per second, the ratio to the baseline and the p99 latency of the submissions.
Ends with one line: `evidence: requests=N rps=X baseline_rps=B ratio=R p99_ms=P errors=E`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from services.common.embedded import free_port

SUBJECTS = 200
PERIOD = "bench-2026-Q1"


def scoring_app() -> Any:
    """Scoring's two batch reads, answered from memory."""
    from fastapi import FastAPI, Query

    app = FastAPI()

    @app.get("/v1/periods/{period_id}")
    async def period(period_id: str) -> dict[str, Any]:
        return {"id": period_id, "scheme_id": "bench", "scheme_version": 1, "label": period_id,
                "status": "collecting",
                "indicators": [{"code": "regular", "name": "平时考核", "max": "50", "rule_kind": "manual",
                                "fact_kind": "score"}]}

    @app.get("/v1/periods/{period_id}/subjects")
    async def subjects(period_id: str, ids: str = Query("")) -> list[dict[str, Any]]:
        return [{"id": i, "name": i, "kind": "person", "group": "g", "unit_path": f"city/u{int(i[1:]) % 10}",
                 "attributes": {}} for i in ids.split(",") if i]

    return app


def baseline_app(database_url: str) -> Any:
    """A bare endpoint inserting one row, with the services' engine settings."""
    from fastapi import FastAPI
    from sqlalchemy import text

    from services.common.db import create_engine

    engine = create_engine(database_url, pool_size=10, application_name="kaohe-bench-baseline")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/rows", status_code=201)
    async def insert_row(body: dict[str, Any]) -> dict[str, int]:
        async with engine.begin() as conn:
            row_id = (await conn.execute(text("INSERT INTO bench_row (payload) VALUES (CAST(:p AS jsonb)) "
                                              "RETURNING id"), {"p": str(body).replace("'", '"')})).scalar_one()
        return {"id": int(row_id)}

    return app


def serve(kind: str, port: int, database_url: str) -> None:
    import uvicorn

    app = scoring_app() if kind == "scoring" else baseline_app(database_url)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def admin_url(url: str) -> str:
    from services.common.settings import normalize_database_url

    return normalize_database_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


async def admin(server_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url(f"{server_url}/postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def prepare_database(server_url: str) -> tuple[str, str]:
    """A fresh database with the evidence schema migrated and the baseline's table."""
    from migrations.runner import upgrade
    from services.common.settings import normalize_database_url

    name = f"kaohe_bench_{secrets.token_hex(4)}"
    asyncio.run(admin(server_url, f'CREATE DATABASE "{name}"'))
    url = normalize_database_url(f"{server_url}/{name}")
    upgrade("evidence", url)

    async def table() -> None:
        import asyncpg

        conn = await asyncpg.connect(admin_url(url))
        await conn.execute("CREATE TABLE bench_row (id bigserial PRIMARY KEY, payload jsonb NOT NULL, "
                           "created_at timestamptz NOT NULL DEFAULT now())")
        await conn.close()

    asyncio.run(table())
    return name, url




def wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"not ready: {url}")


async def drive(url: str, bodies: list[dict[str, Any]], headers: dict[str, str], concurrency: int,
                time_limit: float) -> tuple[float, list[float], int]:
    """Send every body with `concurrency` clients; returns elapsed seconds, latencies, errors."""
    latencies: list[float] = []
    errors = 0
    queue = iter(bodies)
    stop_at = time.perf_counter() + time_limit
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        async def worker() -> None:
            nonlocal errors
            for body in queue:
                if time.perf_counter() > stop_at:
                    return
                started = time.perf_counter()
                try:
                    response = await client.post(url, json=body, headers=headers)
                    errors += response.status_code >= 300
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - began, latencies, errors


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)] if ordered else 0.0


def submission(i: int) -> dict[str, Any]:
    subject = f"p{i % SUBJECTS:04d}"
    return {"period_id": PERIOD, "subject_id": subject, "indicator": "regular", "fact": "score",
            "content": {"points": f"{40 + i % 10}.5", "assessor": "科室负责人"}, "justification": f"bench {i}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per target at most")
    parser.add_argument("--database-url", default=os.environ.get("KAOHE_TEST_DATABASE_URL",
                                                                   "postgresql://postgres@127.0.0.1:5432"),
                        help="a PostgreSQL server (no database name) the benchmark may create a database on")
    parser.add_argument("--serve", choices=["scoring", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.db or "")
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    server = args.database_url.rstrip("/")
    if server.count("/") > 2:
        server = server.rsplit("/", 1)[0]
    name, url = prepare_database(server)
    secret = secrets.token_urlsafe(32)
    ports = {"scoring": free_port(), "evidence": free_port(), "baseline": free_port()}
    env = {**os.environ, "KAOHE_SERVICE_TOKEN_SECRET": secret, "KAOHE_EVIDENCE_DATABASE_URL": url,
           "KAOHE_SCORING_URL": f"http://127.0.0.1:{ports['scoring']}", "KAOHE_LOG_LEVEL": "WARNING",
           "KAOHE_EVIDENCE_SWEEP_INTERVAL_SECONDS": "3600", "KAOHE_EVIDENCE_SCORING_CACHE_SECONDS": "3600"}
    me = str(Path(__file__).resolve())
    procs = [
        subprocess.Popen([sys.executable, me, "--serve", "scoring", "--port", str(ports["scoring"])], env=env),
        subprocess.Popen([sys.executable, "-m", "uvicorn", "services.evidence.app:app", "--host", "127.0.0.1",
                          "--port", str(ports["evidence"]), "--log-level", "warning", "--no-access-log"],
                         env=env, cwd=str(Path(me).parents[1])),
        subprocess.Popen([sys.executable, me, "--serve", "baseline", "--port", str(ports["baseline"]),
                          "--db", url], env=env),
    ]
    try:
        for service in ("scoring", "baseline"):
            wait_ready(f"http://127.0.0.1:{ports[service]}/docs")
        wait_ready(f"http://127.0.0.1:{ports['evidence']}/readyz")
        os.environ["KAOHE_SERVICE_TOKEN_SECRET"] = secret
        measure(args, ports)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
        asyncio.run(admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def measure(args: argparse.Namespace, ports: dict[str, int]) -> None:
    from services.common.auth import Grant, Principal, issue_service_token

    token = issue_service_token(Principal("bench-assessor", (Grant("assessor", "city"),)), ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}"}
    evidence_url = f"http://127.0.0.1:{ports['evidence']}/v1/submissions"
    baseline_url = f"http://127.0.0.1:{ports['baseline']}/rows"
    warm = [submission(i) for i in range(args.warmup)]
    asyncio.run(drive(evidence_url, warm, headers, args.concurrency, args.time_limit))
    asyncio.run(drive(baseline_url, warm, {}, args.concurrency, args.time_limit))
    bodies = [submission(i) for i in range(args.requests)]
    base_s, base_lat, base_err = asyncio.run(drive(baseline_url, bodies, {}, args.concurrency, args.time_limit))
    ev_s, ev_lat, ev_err = asyncio.run(drive(evidence_url, bodies, headers, args.concurrency, args.time_limit))
    rps, base_rps = len(ev_lat) / ev_s, len(base_lat) / base_s
    print(f"baseline: requests={len(base_lat)} rps={base_rps:.1f} p99_ms={p99(base_lat) * 1000:.1f} errors={base_err}")
    print(f"evidence: requests={len(ev_lat)} rps={rps:.1f} baseline_rps={base_rps:.1f} ratio={rps / base_rps:.2f} "
          f"p99_ms={p99(ev_lat) * 1000:.1f} errors={ev_err}")


if __name__ == "__main__":
    main()
