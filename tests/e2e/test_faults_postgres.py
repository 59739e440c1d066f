"""PostgreSQL restarted under load (a throw-away embedded server, never the machine's): the service process
recovers without being restarted, answers /readyz again, and no write it acknowledged (201) was lost; the audit
chain written across the restart still verifies."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from migrations.runner import upgrade_all
from services.common.embedded import EmbeddedPostgres, free_port
from services.common.settings import SERVICES
from tests.cli_helpers import clean_env, run_kaohe
from tests.reliability.processes import ServiceProcess, call, headers, sql, wait_for

pytestmark = pytest.mark.e2e


class UnitWriter(threading.Thread):
    """Creates units one after another; remembers which ones the service acknowledged."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.acknowledged: list[str] = []
        self.refused = 0
        self.unexpected: list[str] = []  # answers other than 201 or a 5xx while the database is away
        self.stopping = threading.Event()

    def run(self) -> None:
        n = 0
        with httpx.Client(timeout=10) as client:
            while not self.stopping.is_set():
                n += 1
                body = {"id": f"u-{n:05d}", "name": f"单位{n}", "slug": f"u{n}", "parent_id": "u-city"}
                try:
                    response = client.post(f"{self.base_url}/v1/units", json=body, headers=headers())
                except httpx.HTTPError:
                    self.refused += 1
                    time.sleep(0.05)
                    continue
                if response.status_code == 201:
                    self.acknowledged.append(body["id"])
                else:
                    if response.status_code < 500:
                        self.unexpected.append(response.text)
                    self.refused += 1
                    time.sleep(0.05)


def test_postgres_restart_under_load(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "pg", free_port())
    server.lock()
    server.start()
    scoring = ServiceProcess("scoring", server.url, {}, tmp_path)
    writer = UnitWriter(scoring.url)
    try:
        upgrade_all(dict.fromkeys(SERVICES, server.url))
        scoring.start()
        call("POST", f"{scoring.url}/v1/units", status=201, json={"id": "u-city", "name": "市", "slug": "city"})
        writer.start()
        wait_for(lambda: len(writer.acknowledged) >= 20, timeout=30, what="writes before the restart")
        server.stop()
        time.sleep(1.0)
        server.start()
        before = len(writer.acknowledged)
        wait_for(lambda: len(writer.acknowledged) >= before + 20, timeout=60, what="writes after the restart")
        writer.stopping.set()
        writer.join(15)
        assert writer.refused > 0 and writer.unexpected == []  # the outage was felt, and only as 5xx
        assert scoring.process is not None and scoring.process.poll() is None  # never restarted
        assert httpx.get(f"{scoring.url}/readyz", timeout=5).status_code == 200
        stored = {r[0] for r in sql(server.url, "SELECT id FROM scoring.unit")}
        assert set(writer.acknowledged) <= stored, sorted(set(writer.acknowledged) - stored)[:5]
        done = run_kaohe("audit", "verify", "--service", "scoring",
                         env=clean_env(KAOHE_DATABASE_URL=server.url, KAOHE_DATA_DIR=tmp_path / "cli"))
        assert done.returncode == 0 and done.stdout.startswith("scoring: ok"), done.stdout + done.stderr
    finally:
        writer.stopping.set()
        scoring.stop()
        server.stop()
        server.unlock()
