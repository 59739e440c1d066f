"""`kaohe migrate --wait`: the init containers' gate that holds a release's pods until its migration Job
has brought their schema to head (docker/k8s), against a real PostgreSQL."""

from __future__ import annotations

import subprocess
from typing import Any

from tests.cli_helpers import KAOHE, clean_env, run_kaohe


def test_wait_fails_while_behind_and_passes_at_head(tmp_path: Any, fresh_database: Any) -> None:
    url = fresh_database(migrate=False)
    env = clean_env(KAOHE_DATA_DIR=tmp_path, KAOHE_DATABASE_URL=url)
    behind = run_kaohe("migrate", "--wait", "1", "--service", "scoring", env=env)
    assert behind.returncode == 1 and "Traceback" not in behind.stderr
    assert behind.stderr.strip() == (
        "kaohe: migrations still behind after 1 s — scoring: migrations not applied "
        "(no scoring.alembic_version); run `kaohe migrate`"
    )
    applied = run_kaohe("migrate", "--service", "scoring", env=env)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.strip() == "migrations at head: scoring"
    ready = run_kaohe("migrate", "--wait", "0", "--service", "scoring", env=env)
    assert ready.returncode == 0, ready.stderr
    assert ready.stdout.strip() == "migrations at head: scoring"
    # the other two services were not migrated: waiting for all of them names exactly those two
    others = run_kaohe("migrate", "--wait", "0", env=env)
    assert others.returncode == 1
    assert "evidence: migrations not applied" in others.stderr and "ranking: migrations not applied" in others.stderr
    assert "scoring:" not in others.stderr


def test_wait_returns_once_another_process_migrates(tmp_path: Any, fresh_database: Any) -> None:
    url = fresh_database(migrate=False)
    env = clean_env(KAOHE_DATA_DIR=tmp_path, KAOHE_DATABASE_URL=url)
    waiter = subprocess.Popen([*KAOHE, "migrate", "--wait", "120", "--service", "evidence"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        applied = run_kaohe("migrate", env=env)
        assert applied.returncode == 0, applied.stderr
        out, err = waiter.communicate(timeout=60)
    finally:
        waiter.kill()
    assert waiter.returncode == 0, err
    assert out.strip() == "migrations at head: evidence"


def test_wait_refuses_unknown_services_and_the_embedded_database(tmp_path: Any) -> None:
    unknown = run_kaohe("migrate", "--service", "billing", env=clean_env(KAOHE_DATA_DIR=tmp_path))
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "kaohe: unknown service 'billing'; choose from evidence, scoring, ranking"
    embedded = run_kaohe("migrate", "--wait", "5", env=clean_env(KAOHE_DATA_DIR=tmp_path))
    assert embedded.returncode == 2
    assert embedded.stderr.strip().startswith("kaohe: --wait needs a configured database: set KAOHE_DATABASE_URL")
