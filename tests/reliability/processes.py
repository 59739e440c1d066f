"""Real service processes (`kaohe serve`) on one database, for the fault and scaling tests, and the small
synchronous helpers those tests share (organisation, scheme, period, outbox events written as evidence does)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from services.common.auth import Grant, Principal, issue_service_token
from services.common.embedded import free_port
from tests.cli_helpers import KAOHE, clean_env

ADMIN = Principal(subject="office", grants=(Grant("admin", ""),))
SERVICE = Principal(subject="test", kind="service")


def headers(principal: Principal = ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_service_token(principal)}"}


@dataclass
class ServiceProcess:
    """One `kaohe serve <name>` process on its own port."""

    name: str
    database_url: str
    peers: dict[str, str]  # KAOHE_<SERVICE>_URL values: where this process reaches the others
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ServiceProcess:
        env = clean_env(KAOHE_DATABASE_URL=self.database_url, KAOHE_LOG_LEVEL="WARNING",
                        KAOHE_SERVICE_TOKEN_SECRET=os.environ["KAOHE_SERVICE_TOKEN_SECRET"],
                        KAOHE_DATA_DIR=self.log_dir / "data", KAOHE_DB_POOL_SIZE=5,
                        **{f"KAOHE_{self.name.upper()}_PORT": self.port},
                        **{f"KAOHE_{n.upper()}_URL": u for n, u in self.peers.items()})
        log = (self.log_dir / f"{self.name}-{self.port}.log").open("ab")
        self.process = subprocess.Popen([*KAOHE, "serve", self.name], env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.process.returncode}: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready in {timeout}s: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, in-flight work is cut off."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        text = (self.log_dir / f"{self.name}-{self.port}.log").read_text(errors="replace")
        return "".join(text.splitlines(True)[-30:])


def call(method: str, url: str, *, status: int = 200, principal: Principal = ADMIN, **kwargs: Any) -> Any:
    response = httpx.request(method, url, headers=headers(principal), timeout=30, **kwargs)
    assert response.status_code == status, f"{method} {url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


TINY = """
id: tiny
version: 1
title: 小方案
subject_kind: person
period: quarter
groups: [A]
indicators:
  - code: work
    name: 工作
    max: 60
    rule: {kind: manual}
  - code: attend
    name: 考勤
    max: 10
    rule: {kind: deduction, per_event: {late: 1}}
  - code: rankp
    name: 排名分
    max: 30
    rule: {kind: rank_points, of: work, peer_scope: all, bands: [{top: 0.5, points: 30}, {top: 1, points: 20}]}
"""


def set_up_period(scoring_url: str) -> None:
    """Units city/a, people p1 and p2, the tiny scheme published, period q1 open with both."""
    call("POST", f"{scoring_url}/v1/units", status=201, json={"id": "u-city", "name": "市", "slug": "city"})
    call("POST", f"{scoring_url}/v1/units", status=201, json={"id": "u-a", "name": "a", "slug": "a",
                                                             "parent_id": "u-city"})
    for pid in ("p1", "p2"):
        call("POST", f"{scoring_url}/v1/people", status=201, json={"id": pid, "name": f"人{pid}", "unit_id": "u-a"})
    draft = call("POST", f"{scoring_url}/v1/schemes", status=201, json={"text": TINY, "owner_path": "city"})
    call("POST", f"{scoring_url}/v1/schemes/tiny/versions/1/publish", json={"revision": draft["revision"]})
    call("POST", f"{scoring_url}/v1/periods", status=201, json={
        "id": "q1", "scheme_id": "tiny", "scheme_version": 1, "label": "2026-Q1",
        "subjects": [{"id": "p1", "group": "A"}, {"id": "p2", "group": "A"}]})


def dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def sql(database_url: str, query: str, *args: Any) -> list[Any]:
    """Run one statement on the database (a fresh connection) and return its rows."""

    async def run() -> list[Any]:
        conn = await asyncpg.connect(dsn(database_url))
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


def enqueue_facts(database_url: str, facts: list[dict[str, Any]], *, period_id: str = "q1") -> list[str]:
    """Write `fact.changed` events into evidence's outbox, as evidence's fact service does in its transaction."""
    ids = [str(uuid.uuid4()) for _ in facts]
    rows = [(uuid.UUID(i), "scoring", "fact.changed",
             {"period_id": period_id, "action": "upsert", "fact": fact, "revision": 1})
            for i, fact in zip(ids, facts, strict=True)]

    async def run() -> None:
        conn = await asyncpg.connect(dsn(database_url))
        await conn.set_type_codec("jsonb", encoder=__import__("json").dumps, decoder=__import__("json").loads,
                                  schema="pg_catalog")
        try:
            await conn.executemany(
                "INSERT INTO evidence.outbox_event (id, destination, topic, payload, attempts, created_at, "
                "available_at) VALUES ($1, $2, $3, $4, 0, now(), now())", rows)
        finally:
            await conn.close()

    asyncio.run(run())
    return ids


def wait_for(predicate: Any, *, timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
