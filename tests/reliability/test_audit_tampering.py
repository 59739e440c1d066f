"""`kaohe audit verify` after real API writes: an altered, a deleted and an inserted audit record are each
detected and the first broken link is named; the untouched chain verifies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import delete, insert, update

from services.common.audit import link_hash
from services.common.db import Database, create_engine
from services.scoring.models import Unit, common
from tests.cli_helpers import clean_env, run_kaohe
from tests.conftest import auth, in_thread
from tests.reliability.conftest import audit_records, execute, service_app

Audit = common.audit
ADMIN = auth(("admin", ""), subject="office")
OK = "scoring: ok (8 records, 4 rows in 9 tables)"
HASHED = ("recorded_at", "actor", "action", "entity_type", "entity_id", "before_digest", "after_digest", "details",
          "request_id")


@asynccontextmanager
async def committed_scoring(url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    """The scoring app on a real (committed) database, relay off."""
    app = service_app("scoring")
    db = Database(create_engine(url, pool_size=2), "scoring")
    app.state.db, app.state.run_relay = db, False
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scoring") as client:
                yield client, Database(create_engine(url, pool_size=2), "scoring")
    finally:
        del app.state.db


def verify(url: str) -> tuple[int, str]:
    done = in_thread(run_kaohe, "audit", "verify", "--service", "scoring",
                     env=clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR="/nonexistent-kaohe"))
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout.strip()


async def test_tampering_is_detected_at_the_first_broken_link(fresh_database: Any) -> None:
    url = fresh_database()
    async with committed_scoring(url) as (client, db):
        created = await client.post("/v1/units", json={"id": "u-city", "name": "市", "slug": "city"}, headers=ADMIN)
        assert created.status_code == 201, created.text
        for slug in ("a", "b", "c"):
            response = await client.post("/v1/units", json={"id": f"u-{slug}", "name": slug, "slug": slug,
                                                            "parent_id": "u-city"}, headers=ADMIN)
            assert response.status_code == 201, response.text
        # each write: the action's record, then the record of the row it wrote (its digest)
        rows = await audit_records(db)
        assert [(r.action, r.entity_type, r.entity_id) for r in rows] == [
            (action, entity, unit) for unit in ("u-city", "u-a", "u-b", "u-c")
            for action, entity in (("unit.create", "unit"), ("row.write", "unit"))]
        ids = [r.id for r in rows]
        assert verify(url) == (0, OK)

        # altered: someone rewrites who did it
        await execute(db, update(Audit).where(Audit.id == ids[1]).values(actor="mallory"))
        assert verify(url) == (1, f"scoring: BROKEN at record {ids[1]}: content does not match its hash "
                                  "(the record was altered)")
        await execute(db, update(Audit).where(Audit.id == ids[1]).values(actor=rows[1].actor))
        assert verify(url) == (0, OK)

        # deleted: the successor's link no longer holds
        kept = {c: getattr(rows[2], c) for c in (*HASHED, "id", "prev_hash", "hash")}
        await execute(db, delete(Audit).where(Audit.id == ids[2]))
        assert verify(url) == (1, f"scoring: BROKEN at record {ids[3]}: link to the previous record is broken "
                                  "(a record before it was deleted, inserted or altered)")
        await execute(db, insert(Audit).values(**kept))
        assert verify(url) == (0, OK)

        # inserted: a well-formed record linked to the first one, slipped in before the second
        forged = {c: getattr(rows[0], c) for c in HASHED}
        forged.update(entity_id="u-forged", prev_hash=rows[0].hash)
        forged["hash"] = link_hash(rows[0].hash, forged)
        await execute(db, update(Audit).values(id=Audit.id * 10),
                       insert(Audit).values(id=ids[0] * 10 + 5, **forged))
        # the second record (u-city's row) follows the forged one now
        assert verify(url) == (1, f"scoring: BROKEN at record {ids[1] * 10}: link to the previous record is broken "
                                  "(a record before it was deleted, inserted or altered)")
        await db.dispose()


async def test_row_writes_outside_the_service_are_named_by_table_and_key(fresh_database: Any) -> None:
    """An insider changes a unit's name with the triggers on, then puts it back: the row matches its record again,
    only the triggers' notes remain. `kaohe audit verify` named no row ("2 row writes were made outside the
    service"); it must say which: the table and key of each row written, once per row, in the order written."""
    url = fresh_database()
    async with committed_scoring(url) as (client, db):
        for unit, parent in (("u-city", None), ("u-a", "u-city"), ("u-b", "u-city")):
            body = {"id": unit, "name": unit, "slug": unit[2:], "parent_id": parent}
            response = await client.post("/v1/units", json=body, headers=ADMIN)
            assert response.status_code == 201, response.text
        assert verify(url) == (0, "scoring: ok (6 records, 3 rows in 9 tables)")
        await execute(db, update(Unit).where(Unit.id == "u-b").values(name="伪造"))
        await execute(db, update(Unit).where(Unit.id == "u-b").values(name="u-b"))
        await execute(db, update(Unit).where(Unit.id == "u-a").values(name="伪造"))
        await execute(db, update(Unit).where(Unit.id == "u-a").values(name="u-a"))
        assert verify(url) == (1, "scoring: BROKEN: 4 row writes were made outside the service (noted by the "
                                  "audited tables' triggers, never sealed into the chain): unit u-b, unit u-a")
        await db.dispose()
