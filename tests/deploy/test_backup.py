"""`kaohe backup` / `kaohe restore`: per-schema dumps restored into another database, row for row."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.common import audit
from services.common.audit import install_audit
from services.common.db import Database, create_engine, session_scope
from tests.cli_helpers import clean_env, run_kaohe
from tests.conftest import in_thread


async def _write_audit(url: str, service: str, entity_ids: list[str]) -> None:
    import importlib

    models = importlib.import_module(f"services.{service}.models")
    db = Database(create_engine(url, pool_size=1), service)
    install_audit(db, models.common.audit)
    try:
        for entity_id in entity_ids:
            async for session in session_scope(db):
                audit.record(session, actor="alice", action="test.create", entity_type="thing",
                             entity_id=entity_id, after={"id": entity_id})
    finally:
        await db.dispose()


async def _rows(url: str, table: str) -> list[str]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        return [r[0] for r in await conn.fetch(f"SELECT row_to_json(t)::text FROM {table} t ORDER BY 1")]
    finally:
        await conn.close()


def rows(url: str, table: str) -> list[str]:
    found: list[str] = in_thread(asyncio.run, _rows(url, table))
    return found


def entity_ids(url: str, table: str) -> list[str]:
    return [json.loads(r)["entity_id"] for r in rows(url, table)]


def kaohe(url: str, tmp_path: Path, *args: str) -> Any:
    return run_kaohe(*args, env=clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR=tmp_path / "data"))


@pytest.fixture
def source(fresh_database: Any) -> str:
    """A migrated database with three evidence and two scoring audit records."""
    url = fresh_database()
    in_thread(asyncio.run, _write_audit(url, "evidence", ["e1", "e2", "e3"]))
    in_thread(asyncio.run, _write_audit(url, "scoring", ["s1", "s2"]))
    return str(url)


def test_backup_restores_every_row_into_a_fresh_database(source: str, fresh_database: Any, tmp_path: Path) -> None:
    done = kaohe(source, tmp_path, "backup", "--out", str(tmp_path / "b"))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert sorted(manifest["services"]) == ["evidence", "ranking", "scoring"]
    assert manifest["services"]["evidence"]["file"] == "evidence.dump"

    target = fresh_database(migrate=False)
    done = kaohe(target, tmp_path, "restore", str(tmp_path / "b"))
    assert done.returncode == 0, done.stderr
    assert entity_ids(target, "evidence.audit_record") == ["e1", "e2", "e3"]
    assert entity_ids(target, "scoring.audit_record") == ["s1", "s2"]
    for table in ("evidence.audit_record", "scoring.audit_record", "evidence.alembic_version",
                  "scoring.alembic_version", "ranking.alembic_version"):
        assert rows(target, table) == rows(source, table)
    verified = kaohe(target, tmp_path, "audit", "verify")
    assert verified.returncode == 0, verified.stdout
    assert verified.stdout.splitlines()[:2] == ["evidence: ok (3 records, 0 rows in 17 tables)",
                                                "scoring: ok (2 records, 0 rows in 9 tables)"]
    migrated = kaohe(target, tmp_path, "doctor")
    assert "fail" not in migrated.stdout, migrated.stdout


def test_restore_refuses_a_non_empty_schema_unless_forced(source: str, fresh_database: Any, tmp_path: Path) -> None:
    assert kaohe(source, tmp_path, "backup", "--out", str(tmp_path / "b"), "-s", "evidence").returncode == 0
    target = fresh_database()
    in_thread(asyncio.run, _write_audit(target, "evidence", ["other"]))

    refused = kaohe(target, tmp_path, "restore", str(tmp_path / "b"))
    assert refused.returncode == 1
    assert "evidence: the schema 'evidence'" in refused.stderr and "is not empty" in refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert entity_ids(target, "evidence.audit_record") == ["other"]

    forced = kaohe(target, tmp_path, "restore", str(tmp_path / "b"), "--force")
    assert forced.returncode == 0, forced.stderr
    assert entity_ids(target, "evidence.audit_record") == ["e1", "e2", "e3"]
    assert rows(target, "evidence.audit_record") == rows(source, "evidence.audit_record")


def test_damaged_or_missing_backups_are_refused(source: str, fresh_database: Any, tmp_path: Path) -> None:
    folder = tmp_path / "b"
    assert kaohe(source, tmp_path, "backup", "--out", str(folder), "-s", "ranking").returncode == 0
    again = kaohe(source, tmp_path, "backup", "--out", str(folder), "-s", "ranking")
    assert again.returncode == 1 and "already holds a backup (ranking.dump)" in again.stderr

    target = fresh_database(migrate=False)
    other = kaohe(target, tmp_path, "restore", str(folder), "-s", "evidence")
    assert other.returncode == 1 and f"the backup in {folder} has no evidence dump" in other.stderr

    dump = folder / "ranking.dump"
    data = dump.read_bytes()
    dump.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    damaged = kaohe(target, tmp_path, "restore", str(folder))
    assert damaged.returncode == 2 and "does not match the SHA-256 in the manifest" in damaged.stderr

    nothing = kaohe(target, tmp_path, "restore", str(tmp_path))
    assert nothing.returncode == 2 and "manifest.json not found" in nothing.stderr


def test_backup_of_a_database_without_the_schema_fails_clearly(fresh_database: Any, tmp_path: Path) -> None:
    empty = fresh_database(migrate=False)
    done = kaohe(empty, tmp_path, "backup", "--out", str(tmp_path / "b"), "-s", "scoring")
    assert done.returncode == 1
    assert "scoring: the schema 'scoring' does not exist in" in done.stderr and "nothing to back up" in done.stderr
