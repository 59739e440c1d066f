"""The embedded PostgreSQL lets in only who holds the password generated into the data folder, and the data
folder, the server's files and the attachments are the owner's only (issue 21, item 4). A data folder an older
kaohe made (`initdb --auth=trust`) keeps its data and is converted at its next start."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from services.common.embedded import PASSWORD_FILE, EmbeddedPostgres, free_port
from services.evidence.attachments.storage import LocalStorage


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    made = EmbeddedPostgres(tmp_path / "data", free_port())
    made.lock()
    try:
        yield made
    finally:
        made.stop()
        made.unlock()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _fetch(dsn: str, sql: str) -> object:
    async def run() -> object:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(run())


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _without_password(server: EmbeddedPostgres) -> str:
    return f"postgresql://postgres@127.0.0.1:{server.port}/kaohe"


def _refused(dsn: str) -> str:
    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError)) as caught:
        _fetch(dsn, "SELECT 1")
    return str(caught.value)


def test_a_new_data_folder_asks_for_the_generated_password(server: EmbeddedPostgres) -> None:
    server.start()
    password_file = server.data_dir / PASSWORD_FILE
    assert _mode(password_file) == 0o600 and len(password_file.read_text().strip()) >= 43  # 32 random bytes
    # the data folder is the owner's; run as root, the server's group may only pass through to postgres/
    assert _mode(server.data_dir) == (0o710 if os.geteuid() == 0 else 0o700)
    assert _mode(server.pgdata) == 0o700
    others = [p for p in server.pgdata.rglob("*") if _mode(p) & 0o077]
    assert others == []  # every file 0600, every folder 0700 (server.log too)
    hba = (server.pgdata / "pg_hba.conf").read_text()
    assert not [line for line in hba.splitlines() if line.strip() and not line.startswith("#") and "trust" in line]
    assert "password" in _refused(_without_password(server))
    wrong = _without_password(server).replace("postgres@", "postgres:guess@")
    assert "password authentication failed" in _refused(wrong)
    assert _fetch(_dsn(server.url), "SELECT current_user") == "postgres"


def test_a_data_folder_of_an_older_kaohe_is_converted_and_keeps_its_data(server: EmbeddedPostgres) -> None:
    # what kaohe did before: a cluster trusting every local connection, in a 0755 folder, holding data
    server.pgdata.mkdir()
    server._prepare_root()
    server.data_dir.chmod(0o755)
    done = server._run("initdb", "-D", str(server.pgdata), "--auth=trust", "-U", "postgres", "--encoding=UTF8",
                       "--locale=C", "--no-sync")
    assert done.returncode == 0, done.stderr
    options = f"-p {server.port} -h 127.0.0.1 -c unix_socket_directories=''"
    log = str(server.pgdata / "server.log")
    assert server._run("pg_ctl", "-D", str(server.pgdata), "-w", "-l", log, "-o", options, "start").returncode == 0
    _fetch(_without_password(server).replace("/kaohe", "/postgres"), "CREATE TABLE kept AS SELECT 42 AS n")
    assert server._run("pg_ctl", "-D", str(server.pgdata), "-w", "stop").returncode == 0
    assert not (server.data_dir / PASSWORD_FILE).exists()

    server.start()  # converts
    assert _mode(server.data_dir / PASSWORD_FILE) == 0o600
    assert _mode(server.data_dir) == (0o710 if os.geteuid() == 0 else 0o700)
    assert "password" in _refused(_without_password(server))
    with_password = _dsn(server.url).replace("/kaohe", "/postgres")
    assert _fetch(with_password, "SELECT n FROM kept") == 42
    server.stop()
    server.start()  # and it stays converted across restarts
    assert "password" in _refused(_without_password(server))
    assert _fetch(with_password, "SELECT n FROM kept") == 42


async def test_attachments_are_the_owners_only(tmp_path: Path) -> None:
    old = tmp_path / "attachments"
    old.mkdir(mode=0o755)
    old.chmod(0o755)  # as an older kaohe left it
    storage = LocalStorage(old)
    assert _mode(old) == 0o700
    source = tmp_path / "upload"
    source.write_bytes(b"%PDF-1.7 ...")
    key = "ab" * 32
    await storage.put(key, source, 12)
    assert (_mode(storage.path(key).parent), _mode(storage.path(key))) == (0o700, 0o600)
