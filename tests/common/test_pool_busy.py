"""Every pooled database connection busy past the pool's timeout (a process under load): the request is answered
503 with Retry-After, like any other overload, not 500 "internal error" — on a real PostgreSQL, through the app."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.db import Database
from tests.conftest import auth, service_client

ADMIN = auth(("admin", ""), subject="office")


async def test_a_request_that_gets_no_connection_in_time_is_503_then_served_once_one_is_free(
        fresh_database: Any) -> None:
    engine = create_async_engine(fresh_database(), pool_size=1, max_overflow=0, pool_timeout=0.5)
    db = Database(engine, "evidence")
    try:
        async with service_client("evidence", db) as client:
            held = await engine.connect()  # the pool's only connection, busy elsewhere
            await held.execute(text("SELECT 1"))
            busy = await client.get("/v1/journals", params={"period_id": "2026-Q1"}, headers=ADMIN)
            await held.close()
            assert (busy.status_code, busy.json()["error"]["code"], busy.headers.get("Retry-After")) == (
                503, "unavailable", "2"), busy.text
            assert busy.json()["error"]["message"] == (
                "the service is busy (no database connection became free in time); retry shortly")
            freed = await client.get("/v1/journals", params={"period_id": "2026-Q1"}, headers=ADMIN)
            assert (freed.status_code, freed.json()) == (200, {"items": [], "total_count": 0})
    finally:
        await engine.dispose()
