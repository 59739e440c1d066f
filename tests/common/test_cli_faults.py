"""`kaohe up` / `kaohe migrate` faults: one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import socket
from typing import Any

from services.common.embedded import free_port
from tests.cli_helpers import clean_env, run_kaohe


def _ports() -> dict[str, int]:
    return {f"KAOHE_{n}_PORT": free_port() for n in ("GATEWAY", "EVIDENCE", "SCORING", "RANKING")}


def _assert_one_clear_line(done: Any, code: int, expected: str) -> None:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == f"kaohe: {expected}"


def test_malformed_setting_names_the_variable(tmp_path: Any) -> None:
    done = run_kaohe("up", env=clean_env(KAOHE_GATEWAY_PORT="eighty", KAOHE_DATA_DIR=tmp_path))
    _assert_one_clear_line(
        done, 2, "KAOHE_GATEWAY_PORT is invalid: Input should be a valid integer, unable to parse string as an integer"
    )


def test_non_postgres_url_is_refused(tmp_path: Any) -> None:
    done = run_kaohe("migrate", env=clean_env(KAOHE_DATABASE_URL="mysql://x@y/z", KAOHE_DATA_DIR=tmp_path))
    _assert_one_clear_line(
        done, 2,
        "KAOHE_DATABASE_URL is invalid: must be a PostgreSQL URL such as "
        "postgresql://user:pass@host:5432/kaohe",
    )


def test_port_already_taken(tmp_path: Any) -> None:
    ports = _ports()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", ports["KAOHE_SCORING_PORT"]))
        busy.listen()
        done = run_kaohe("up", env=clean_env(KAOHE_DATA_DIR=tmp_path, **ports))
    _assert_one_clear_line(
        done, 1,
        f"port {ports['KAOHE_SCORING_PORT']} (scoring) is already in use; stop what uses it or set KAOHE_SCORING_PORT",
    )


def test_database_unreachable(tmp_path: Any) -> None:
    port = free_port()
    env = clean_env(KAOHE_DATA_DIR=tmp_path, KAOHE_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/kaohe",
                    **_ports())
    done = run_kaohe("up", env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"kaohe: cannot reach the database at 127.0.0.1:{port}/kaohe: ")


def test_database_missing_and_unknown_user(tmp_path: Any, pg_server: Any) -> None:
    missing = pg_server.url("kaohe_no_such_db")
    done = run_kaohe("migrate", env=clean_env(KAOHE_DATA_DIR=tmp_path, KAOHE_DATABASE_URL=missing))
    host = missing.split("@", 1)[1]
    _assert_one_clear_line(done, 1, f"the database {host} does not exist; create it first")
    # the embedded test server's URL carries its generated password: swap the whole user part
    scheme, rest = pg_server.url("postgres").split("://", 1)
    stranger = f"{scheme}://kaohe_nobody@{rest.split('@', 1)[1]}"
    done = run_kaohe("migrate", env=clean_env(KAOHE_DATA_DIR=tmp_path, KAOHE_DATABASE_URL=stranger))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    # a trust server names the missing role; a password server (the embedded one) cannot tell a missing
    # role from a wrong password, and says so without revealing which
    assert ("refused the user" in done.stderr and 'role "kaohe_nobody" does not exist' in done.stderr) or (
        done.stderr.startswith("kaohe: wrong password for the database user at ") and ":" in rest.split("@", 1)[0]
    )


def test_migrations_behind_then_migrate_twice(tmp_path: Any, fresh_database: Any) -> None:
    url = fresh_database(migrate=False)
    env = clean_env(KAOHE_DATA_DIR=tmp_path, KAOHE_DATABASE_URL=url, **_ports())
    behind = run_kaohe("up", "--no-migrate", env=env)
    assert behind.returncode == 1 and "Traceback" not in behind.stderr
    assert behind.stderr.startswith(
        "kaohe: migrations behind — evidence: migrations not applied (no evidence.alembic_version); run `kaohe migrate`"
    )
    for _ in range(2):
        done = run_kaohe("migrate", env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "migrations at head: evidence, scoring, ranking"
    verified = run_kaohe("audit", "verify", env=env)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.splitlines() == ["evidence: ok (0 records, 0 rows in 17 tables)",
                                            "scoring: ok (0 records, 0 rows in 9 tables)",
                                            "ranking: ok (0 records, 0 rows in 7 tables)"]


def test_audit_verify_beside_a_running_stack_uses_its_port_and_fails_in_one_line(tmp_path: Any) -> None:
    """`kaohe audit verify` beside a running `kaohe up` reads the embedded server's port from the server itself (its
    postmaster.pid), not from KAOHE_EMBEDDED_PG_PORT, which the stack may have been started with and the command
    not; a server that does not answer is one line, never a traceback (attacker probe)."""
    import fcntl

    port = free_port()  # where "the running stack's" server listens: here, nothing does
    (tmp_path / "postgres").mkdir()
    (tmp_path / "postgres" / "postmaster.pid").write_text(f"4242\n{tmp_path / 'postgres'}\n1765000000\n{port}\n\n",
                                                          encoding="ascii")
    with (tmp_path / "kaohe.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as `kaohe up` holds it
        done = run_kaohe("audit", "verify", env=clean_env(KAOHE_DATA_DIR=tmp_path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(
        f"kaohe: cannot read the databases (embedded PostgreSQL of the running kaohe in {tmp_path}): ")
    assert str(port) in line
