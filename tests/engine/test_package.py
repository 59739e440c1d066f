"""`kaohe.engine` is one pure package: importing it loads nothing of the services, the gateway, FastAPI or
SQLAlchemy, and a source install runs it as Python (only a wheel built with KAOHE_MYPYC=1 compiles it)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

import kaohe.engine
from tests.cli_helpers import clean_env

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_engine_loads_no_service_gateway_web_or_database_module() -> None:
    code = (
        "import kaohe.engine, sys; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('services', 'gateway', 'fastapi', 'sqlalchemy')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_public_api_is_the_four_entry_points() -> None:
    assert set(kaohe.engine.__all__) == {"compiled", "evaluate", "parse_scheme", "rank_period", "score_period"}


def test_a_source_install_compiles_nothing() -> None:
    assert not kaohe.engine.compiled()
    assert not [path for path in (ROOT / "kaohe").rglob("*") if path.suffix in {".so", ".pyd"}]


def test_the_build_takes_a_setuptools_that_reads_the_license_expression() -> None:
    """pyproject.toml's `license` is an SPDX expression (PEP 639): setuptools reads it from 77.0.3 on, and
    69-76 refuse it, so `pip wheel .` failed wherever an older setuptools within the floor was picked."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "Apache-2.0"
    setuptools = next(
        requirement
        for requirement in map(Requirement, pyproject["build-system"]["requires"])
        if requirement.name == "setuptools"
    )
    assert not [version for version in ("69.5.1", "75.8.0", "76.1.0") if setuptools.specifier.contains(version)]
    assert setuptools.specifier.contains("77.0.3")
    assert setuptools.specifier.contains("80.9.0")
