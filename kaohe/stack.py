"""Running the stack: resolving databases (embedded or configured), checking them, migrating,
and supervising the four processes of `kaohe up`."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from kaohe.i18n import _, listed
from services.common.embedded import EmbeddedError, EmbeddedPostgres, port_is_free
from services.common.settings import SERVICES, ServiceName, Settings

PROCESSES: dict[str, str] = {
    "evidence": "services.evidence.app:app",
    "scoring": "services.scoring.app:app",
    "ranking": "services.ranking.app:app",
    "gateway": "gateway.app:app",
}


# glibc's malloc gives a thread that allocates while another holds an arena an arena of its own (up to 8 per
# core) and keeps the pages freed in it; the services' worker threads (asyncio.to_thread, FastAPI's thread pool)
# each ended up with one, ~9 MB of RSS apiece. Two arenas: the main thread's and one the workers share
# (docs/decisions.md, "Soak: what grows"). The image sets the same (docker/Dockerfile); an operator's own
# MALLOC_ARENA_MAX wins.
MALLOC_ARENA_MAX = "2"


class StackError(Exception):
    """Something stops the stack from starting; the message says what and what to do."""


@dataclass
class Databases:
    urls: dict[ServiceName, str]
    embedded: EmbeddedPostgres | None


@contextmanager
def databases(settings: Settings) -> Iterator[Databases]:
    """The configured database URLs, or an embedded server started for the duration."""
    configured = {s: settings.service_database_url(s) for s in SERVICES}
    if all(configured.values()):
        yield Databases({s: u for s, u in configured.items() if u}, None)
        return
    if any(configured.values()):
        missing = [f"KAOHE_{s.upper()}_DATABASE_URL" for s, u in configured.items() if not u]
        raise StackError(_("set KAOHE_DATABASE_URL, or every one of %(names)s", names=listed(missing)))
    server = EmbeddedPostgres(settings.data_dir, settings.embedded_pg_port)
    try:
        server.lock()
        server.start()
    except EmbeddedError as exc:
        server.unlock()
        raise StackError(*exc.args) from None  # a marked message stays one
    try:
        yield Databases(dict.fromkeys(SERVICES, server.url), server)
    finally:
        server.stop()
        server.unlock()


def _describe(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}/{parts.path.lstrip('/')}"


async def probe(url: str) -> str | None:
    """None when the database at `url` answers, else one line saying why not."""
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        conn = await asyncpg.connect(dsn, timeout=5)
    except asyncpg.InvalidPasswordError:
        return _("wrong password for the database user at %(where)s", where=_describe(url))
    except asyncpg.InvalidCatalogNameError:
        return _("the database %(where)s does not exist; create it first", where=_describe(url))
    except asyncpg.InvalidAuthorizationSpecificationError as exc:
        return _("the database refused the user at %(where)s: %(exc)s", where=_describe(url), exc=exc)
    except ConnectionRefusedError:  # in kaohe's words, not the socket library's ("Connect call failed (…)")
        return _("cannot reach the database at %(where)s: connection refused", where=_describe(url))
    except TimeoutError:
        return _("cannot reach the database at %(where)s: no answer within 5 seconds", where=_describe(url))
    except (OSError, asyncpg.PostgresError) as exc:
        return _("cannot reach the database at %(where)s: %(kind)s: %(exc)s", where=_describe(url),
                 kind=type(exc).__name__, exc=exc)
    await conn.close()
    return None


def check_databases(urls: dict[ServiceName, str]) -> None:
    """Connect to each database once; raise with one clear sentence when one cannot be used."""
    for url in dict.fromkeys(urls.values()):
        problem = asyncio.run(probe(url))
        if problem:
            raise StackError(problem)


def migration_lag(urls: dict[ServiceName, str]) -> list[str]:
    """The services whose schema is not at the head of its migrations."""
    from services.common.app import check_ready
    from services.common.db import Database, create_engine

    async def lagging() -> list[str]:
        out: list[str] = []
        for service, url in urls.items():
            db = Database(create_engine(url, pool_size=1), service)
            try:
                reason = await check_ready(db, service)
            finally:
                await db.dispose()
            if reason:
                out.append(_("%(service)s: %(reason)s", service=service, reason=reason))
        return out

    return asyncio.run(lagging())


def migrate(urls: dict[ServiceName, str]) -> None:
    """Apply the three services' migrations (a no-op when they are at head)."""
    from migrations.runner import upgrade

    for service, url in urls.items():
        upgrade(service, url)


JWT_SECRET_FILE = "jwt.secret"  # noqa: S105 - a file name, not a secret


def service_token_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept in the data folder (0600)."""
    if settings.service_token_secret is not None:
        return settings.service_token_secret.get_secret_value()
    return _generated_secret(settings.data_dir / "service-token.secret")


def development_jwt_secret(settings: Settings) -> str | None:
    """The HS256 key of user tokens in development: KAOHE_JWT_SECRET when set, else (outside production and
    without an identity provider's JWKS) one generated once into the data folder (`jwt.secret`, 0600), which
    `kaohe up` gives the gateway and `kaohe token` signs with. None in production or with a JWKS URL: user
    tokens then come from the identity provider only (docs/identity.md)."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    if settings.environment == "production" or settings.jwt_jwks_url:
        return None
    return _generated_secret(settings.data_dir / JWT_SECRET_FILE)


def _generated_secret(path: Path) -> str:
    """The secret kept in `path`, generated (48 random bytes, URL-safe) on first use; the file is 0600."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def check_ports(settings: Settings) -> None:
    """Refuse to start when a port of ours is taken."""
    for name in PROCESSES:
        port = settings.service_port(name)
        if not port_is_free(port, settings.host):
            raise StackError(_("port %(port)s (%(name)s) is already in use; stop what uses it or set "
                               "KAOHE_%(upper)s_PORT", port=port, name=name, upper=name.upper()))


class Supervisor:
    """The four child processes: started together, stopped together."""

    def __init__(self, settings: Settings, urls: dict[ServiceName, str], secret: str) -> None:
        self.settings = settings
        self.env = {
            "MALLOC_ARENA_MAX": MALLOC_ARENA_MAX,
            **os.environ,
            "KAOHE_SERVICE_TOKEN_SECRET": secret,
            **({"KAOHE_JWT_SECRET": jwt_secret} if (jwt_secret := development_jwt_secret(settings)) else {}),
            **{f"KAOHE_{s.upper()}_DATABASE_URL": url for s, url in urls.items()},
            **{f"KAOHE_{n.upper()}_PORT": str(settings.service_port(n)) for n in PROCESSES},
            "KAOHE_LOG_FORMAT": settings.log_format,  # decided once, by `kaohe up` (the children share its stderr)
        }
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> None:
        for name, target in PROCESSES.items():
            cmd = [sys.executable, "-m", "uvicorn", target, "--host", self.settings.host,
                   "--port", str(self.settings.service_port(name)), "--no-access-log",
                   "--log-level", "warning", "--timeout-graceful-shutdown", "10",
                   "--timeout-keep-alive", str(self.settings.server_keep_alive_seconds),
                   *self.settings.proxy_arguments()]
            self.children[name] = subprocess.Popen(cmd, env=self.env)

    def url(self, name: str) -> str:
        return f"http://{self.settings.host}:{self.settings.service_port(name)}"

    def wait_ready(self, timeout: float = 90) -> None:
        """Wait until every process answers /readyz; raise naming the one that does not."""
        deadline = time.monotonic() + timeout
        pending = set(PROCESSES)
        last: dict[str, str] = {}
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                self._check_alive(name)
                ok, why = _ready(self.url(name))
                if ok:
                    pending.discard(name)
                else:
                    last[name] = why
            if pending:
                time.sleep(0.2)
        if pending:
            name = sorted(pending)[0]
            raise StackError(_("%(name)s did not become ready in %(seconds)ss: %(why)s", name=name,
                               seconds=format(timeout, ".0f"), why=last.get(name) or _("no answer")))

    def _check_alive(self, name: str) -> None:
        code = self.children[name].poll()
        if code is not None:
            raise StackError(_("%(name)s exited with code %(code)s while starting; see its log above", name=name,
                               code=code))

    def first_exit(self) -> str | None:
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return None

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _ready(base: str) -> tuple[bool, str]:
    try:
        response = httpx.get(f"{base}/readyz", timeout=2)
    except httpx.HTTPError as exc:
        return False, type(exc).__name__
    if response.status_code == 200:
        return True, ""
    try:
        return False, str(response.json().get("reason", response.status_code))
    except ValueError:
        return False, str(response.status_code)
