"""`kaohe up` on the embedded PostgreSQL: four processes, the gateway's health query over real
HTTP with service tokens, a second instance refused, and a clean shutdown."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.cli_helpers import KAOHE, run_kaohe
from tests.e2e.stack import stack_env, start_stack

pytestmark = pytest.mark.e2e


def test_stack_up_on_embedded_postgres(tmp_path: Path) -> None:
    env, ports = stack_env(tmp_path / "data")
    stack = start_stack(env, ports, logs=tmp_path / "logs")
    try:
        assert stack.output[0] == "kaohe is up:"
        assert f"  gateway   http://127.0.0.1:{ports['gateway']}/graphql" in stack.output
        assert f"  database  embedded PostgreSQL in {tmp_path / 'data' / 'postgres'}" in stack.output

        response = httpx.post(f"{stack.url('gateway')}/graphql", headers={"X-Request-ID": "e2e-health-1"},
                              json={"query": "{ health { service status version } }"}, timeout=10)
        assert response.status_code == 200
        assert response.headers["X-Request-ID"] == "e2e-health-1"
        assert response.json() == {"data": {"health": [
            {"service": "evidence", "status": "ready", "version": "0.1.0"},
            {"service": "scoring", "status": "ready", "version": "0.1.0"},
            {"service": "ranking", "status": "ready", "version": "0.1.0"},
        ]}}
        for name in ("evidence", "scoring", "ranking"):
            assert httpx.get(f"{stack.url(name)}/v1/status", timeout=5).status_code == 401

        # development sign-in with nothing configured: the line `kaohe up` prints, then the token it names; the
        # data folder is not the default one, so the line names it (a second terminal without it signs with another
        # folder's key: 401 "Signature verification failed")
        assert (f"  sign in   KAOHE_DATA_DIR={tmp_path / 'data'} kaohe token --role admin --scope ''   (prints an "
                "admin token: Authorization: Bearer <token>)") in stack.output
        token = run_kaohe("token", "--role", "admin", "--scope", "", env=env)
        assert token.returncode == 0, token.stderr
        me = httpx.post(f"{stack.url('gateway')}/graphql", json={"query": "{ me { subject grants { role scope } } }"},
                        headers={"Authorization": f"Bearer {token.stdout.strip()}"}, timeout=10)
        assert me.json() == {"data": {"me": {"subject": "dev-user", "grants": [{"role": "admin", "scope": ""}]}}}

        second_env, _ = stack_env(tmp_path / "data")  # same data folder, other ports
        second = run_kaohe("up", env=second_env, timeout=60)
        assert second.returncode == 1
        assert second.stderr.strip() == (
            f"kaohe: another kaohe is already running on {tmp_path / 'data'}; stop it first "
            "or set KAOHE_DATA_DIR to another folder"
        )
    finally:
        code = stack.stop()
    assert code == 0
    assert stack.output[-2:] == ["stopping…", "stopped"]
    # not on a terminal: the processes log JSON, one object a line, the line per request included
    logged = [json.loads(line) for line in (tmp_path / "logs").read_text(encoding="utf-8").splitlines()]
    health = [e for e in logged if e.get("request_id") == "e2e-health-1" and e["service"] == "gateway"
              and e["logger"] == "kaohe.http"]
    assert [(e["method"], e["path"], e["status"]) for e in health] == [("POST", "/graphql", 200)]
    assert not any(listens(p) for p in ports.values())
    # the embedded server was stopped (nothing listens, no pid file): whether the port can be bound again
    # also depends on the other processes' connections
    assert not listens(int(env["KAOHE_EMBEDDED_PG_PORT"]))
    assert not (tmp_path / "data" / "postgres" / "postmaster.pid").exists()


    restarted = start_stack(env, ports)  # the data folder is reused on the next start
    assert restarted.stop() == 0


def test_stack_up_on_a_terminal_prints_for_a_person(tmp_path: Path) -> None:
    """On a terminal (a pseudo-terminal here) `kaohe up` is quiet and coloured: its own lines stand out in colour,
    the processes' logs are short text lines, and no JSON and no line per request bury them."""
    env, ports = stack_env(tmp_path / "data", TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    main, child = pty.openpty()
    process = subprocess.Popen([*KAOHE, "up"], env=env, stdin=child, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    screen = b""

    def read_until(done: bytes | None, seconds: float) -> None:
        nonlocal screen
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and (done is None or done not in screen):
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(main, 65536)
                except OSError:  # the terminal closed: kaohe up has exited
                    return

    try:
        read_until(b"Press Ctrl-C to stop.", 120)
        assert b"Press Ctrl-C to stop." in screen, screen.decode(errors="replace")
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        for _ in range(5):  # five requests: each would be a JSON line per process on the way, off a terminal
            assert httpx.post(f"{gateway}/graphql", json={"query": "{ health { service status } }"},
                              timeout=10).status_code == 200
        read_until(None, 2)
    finally:
        process.send_signal(signal.SIGINT)
        read_until(b"stopped", 60)
        process.wait(timeout=60)
        os.close(main)
    text = screen.decode()
    assert "\x1b[32m\x1b[1mkaohe is up:" in text or "\x1b[1m\x1b[32mkaohe is up:" in text  # green, bold
    assert f"\x1b[36m\x1b[1mhttp://127.0.0.1:{ports['gateway']}/graphql" in text \
        or f"\x1b[1m\x1b[36mhttp://127.0.0.1:{ports['gateway']}/graphql" in text  # the URL to open, in cyan
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\r", "")
    lines = [line for line in plain.splitlines() if line.strip()]
    assert not [line for line in lines if line.lstrip().startswith("{")]  # no JSON on a terminal
    assert not [line for line in lines if "/graphql 200" in line or "/v1/status 200" in line]  # no request lines
    assert lines[-2:] == ["stopping…", "stopped"]
    assert process.returncode == 0


def listens(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False
