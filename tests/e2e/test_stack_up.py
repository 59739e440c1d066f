"""`kaohe up` on the embedded PostgreSQL: four processes, the gateway's health query over real
HTTP with service tokens, a second instance refused, and a clean shutdown."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from tests.cli_helpers import run_kaohe
from tests.e2e.stack import stack_env, start_stack

pytestmark = pytest.mark.e2e


def test_stack_up_on_embedded_postgres(tmp_path: Path) -> None:
    env, ports = stack_env(tmp_path / "data")
    stack = start_stack(env, ports)
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

        # development sign-in with nothing configured: the line `kaohe up` prints, then the token it names
        assert ("  sign in   kaohe token --role admin --scope ''   (prints an admin token: "
                "Authorization: Bearer <token>)") in stack.output
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
    assert not any(listens(p) for p in ports.values())
    # the embedded server was stopped (nothing listens, no pid file): whether the port can be bound again
    # also depends on the other processes' connections
    assert not listens(int(env["KAOHE_EMBEDDED_PG_PORT"]))
    assert not (tmp_path / "data" / "postgres" / "postmaster.pid").exists()


    restarted = start_stack(env, ports)  # the data folder is reused on the next start
    assert restarted.stop() == 0


def listens(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False
