"""Shared fixtures: a real PostgreSQL (embedded by default, or `KAOHE_TEST_DATABASE_URL`), a test
database built by the Alembic migrations, and per-test transactions that are rolled back.

Pure tests (the engines) use none of these and need no database.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("KAOHE_SERVICE_TOKEN_SECRET", secrets.token_urlsafe(32))
os.environ.setdefault("KAOHE_LOG_LEVEL", "WARNING")
os.environ.setdefault("KAOHE_DEFAULT_LOCALE", "en")  # tests read English messages (tests/common/test_i18n.py: zh-CN)
# Test modules mint tokens when they are collected; a full run takes minutes, so they live an hour.
os.environ.setdefault("KAOHE_SERVICE_TOKEN_TTL_SECONDS", "3600")

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.common.auth import Grant, Principal, issue_service_token
from services.common.db import Database, create_engine
from services.common.embedded import EmbeddedPostgres, free_port
from services.common.settings import SERVICES, get_settings, normalize_database_url


@dataclass(frozen=True)
class PgServer:
    """A PostgreSQL server the tests may create databases on."""

    base_url: str  # postgresql+asyncpg://user@host:port (no database)

    def url(self, database: str) -> str:
        return f"{self.base_url}/{database}"

    def admin_dsn(self) -> str:
        return self.url("postgres").replace("postgresql+asyncpg://", "postgresql://", 1)


def _server_from_env(url: str) -> PgServer:
    parts = urlsplit(normalize_database_url(url))
    return PgServer(urlunsplit((parts.scheme, parts.netloc, "", "", "")))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The server under test: `KAOHE_TEST_DATABASE_URL`'s, else an embedded one for this run."""
    configured = os.environ.get("KAOHE_TEST_DATABASE_URL")
    if configured:
        shared = _server_from_env(configured)
        yield shared
        template = _templates.pop(shared.base_url, None)  # the session's migrated template leaves with it
        if template is not None:
            _admin(shared, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        return
    folder = Path(tempfile.mkdtemp(prefix="kaohe-test-pg-"))
    server = EmbeddedPostgres(folder, free_port())
    server.lock()
    server.start()
    try:
        yield PgServer(server.url.rsplit("/", 1)[0])  # with the server's generated password
    finally:
        server.stop()
        server.unlock()



def in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run blocking code that uses `asyncio.run` (Alembic, admin SQL) even from an async test."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def _admin(server: PgServer, sql: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(server.admin_dsn())
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    in_thread(asyncio.run, run())


_templates: dict[str, str] = {}  # server → the database this session migrated once, which migrated ones copy


def _migrated_template(server: PgServer) -> str:
    """A database built by running every service's Alembic migrations, once a session: `CREATE DATABASE … TEMPLATE`
    copies it in a fraction of a second where migrating takes seconds, and the copy is the same database."""
    from migrations.runner import upgrade_all

    if server.base_url not in _templates:
        name = f"kaohe_test_template_{secrets.token_hex(6)}"
        _admin(server, f'CREATE DATABASE "{name}"')
        in_thread(upgrade_all, dict.fromkeys(SERVICES, server.url(name)))
        _templates[server.base_url] = name
    return _templates[server.base_url]


def create_database(server: PgServer, *, migrate: bool = True) -> str:
    """A fresh database (migrated unless told otherwise: a copy of the session's migrated template); its URL."""
    name = f"kaohe_test_{secrets.token_hex(6)}"
    template = f' TEMPLATE "{_migrated_template(server)}"' if migrate else ""
    _admin(server, f'CREATE DATABASE "{name}"{template}')
    return server.url(name)


def drop_database(server: PgServer, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(pg_server: PgServer) -> Iterator[str]:
    """The session's test database, built by running the Alembic migrations."""
    url = create_database(pg_server)
    yield url
    drop_database(pg_server, url)


@pytest.fixture
def fresh_database(pg_server: PgServer) -> Iterator[Any]:
    """A factory of throw-away databases (migrated or empty), dropped after the test."""
    made: list[str] = []

    def make(*, migrate: bool = True) -> str:
        made.append(create_database(pg_server, migrate=migrate))
        return made[-1]

    yield make
    for url in made:
        drop_database(pg_server, url)


@asynccontextmanager
async def rolled_back_database(url: str, schema: str) -> AsyncIterator[Database]:
    """A `Database` whose every session joins one outer transaction that is rolled back."""
    engine = create_engine(url, pool_size=2)
    conn = await engine.connect()
    outer = await conn.begin()
    db = Database(engine, schema)
    db.sessionmaker = async_sessionmaker(bind=conn, expire_on_commit=False,
                                         join_transaction_mode="create_savepoint")
    try:
        yield db
    finally:
        await outer.rollback()
        await conn.close()
        await engine.dispose()


@pytest.fixture
async def service_db(database_url: str) -> AsyncIterator[Any]:
    """Factory: `await service_db("scoring")` gives that schema's rolled-back Database."""
    async with _DatabaseStack(database_url) as stack:
        yield stack.open


class _DatabaseStack:
    def __init__(self, url: str) -> None:
        self.url = url
        self.opened: list[Any] = []

    async def open(self, schema: str) -> Database:
        cm = rolled_back_database(self.url, schema)
        self.opened.append(cm)
        return await cm.__aenter__()

    async def __aenter__(self) -> _DatabaseStack:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for cm in reversed(self.opened):
            await cm.__aexit__(None, None, None)


def token_for(*grants: tuple[str, str], subject: str = "tester", subject_ids: tuple[str, ...] = ()) -> str:
    """A valid service token for a principal holding `(role, scope)` grants."""
    principal = Principal(subject=subject, grants=tuple(Grant(r, s) for r, s in grants),  # type: ignore[arg-type]
                          subject_ids=subject_ids)
    return issue_service_token(principal)


def auth(*grants: tuple[str, str], subject: str = "tester") -> dict[str, str]:
    """Headers carrying a service token for `grants`."""
    return {"Authorization": f"Bearer {token_for(*grants, subject=subject)}"}


@asynccontextmanager
async def service_client(service: str, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on a service's app, its database the test's rolled-back one, no relay."""
    import importlib

    app = importlib.import_module(f"services.{service}.app").app
    app.state.db = db
    app.state.run_relay = False
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            yield client
    del app.state.db


@pytest.fixture
async def api(service_db: Any) -> AsyncIterator[Any]:
    """Factory: `await api("evidence")` gives an httpx client on that service (rolled back)."""
    stack: list[Any] = []

    async def open_client(service: str) -> httpx.AsyncClient:
        db = await service_db(service)
        cm = service_client(service, db)
        stack.append(cm)
        return await cm.__aenter__()

    yield open_client
    for cm in reversed(stack):
        await cm.__aexit__(None, None, None)


@pytest.fixture
def clock_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """KAOHE_CLOCK_FILE set to a file of the test's folder (not written yet: no offset)."""
    path = tmp_path / "clock"
    monkeypatch.setenv("KAOHE_CLOCK_FILE", str(path))
    get_settings.cache_clear()
    yield path
    monkeypatch.delenv("KAOHE_CLOCK_FILE")
    get_settings.cache_clear()
