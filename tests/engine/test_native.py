"""The compiled engines (setup.py, services/native.py): the same bytes as the Python ones, and never stale."""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import services.native as native
from tests.cli_helpers import clean_env

ROOT = Path(__file__).resolve().parents[2]
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _digests(**env: str) -> tuple[str, str]:
    """(mode line, digest lines) of bench/engine_digest.py in a fresh interpreter."""
    code = (
        "import runpy, sys, services.native as n; print('mode', n.MODE); "
        "sys.argv = ['engine_digest', '--subjects', '120']; "
        "runpy.run_path('bench/engine_digest.py', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    mode, _, digests = done.stdout.partition("\n")
    return mode, digests


def test_compiled_and_python_engines_write_the_same_bytes() -> None:
    # bench/engine_digest.py hashes whole result documents: the bench period, a copy with every 7th fact
    # damaged (so every problem message counts) and every example scheme with its facts
    default_mode, default = _digests()
    python_mode, python = _digests(KAOHE_PURE_PYTHON="1")
    assert python_mode == "mode python"
    compiled, stale = native.engine_state(ROOT)
    assert default_mode == ("mode compiled" if compiled and not stale else "mode python")
    assert len(default.splitlines()) >= 17  # bench period, damaged copy, 15 example schemes
    assert default == python


def _package(root: Path, recorded: dict[str, str]) -> Path:
    """A fake install under root: services/scoring/engine with three modules, and the manifest."""
    engine = root / "services/scoring/engine"
    engine.mkdir(parents=True)
    (root / "services/ranking/engine").mkdir(parents=True)
    for name in ("rules", "score", "__init__"):
        (engine / f"{name}.py").write_text(f"name = {name!r}\n")
    (root / native.MANIFEST).write_text(json.dumps(recorded))
    return engine


def test_a_source_that_differs_from_what_was_compiled_is_stale(tmp_path: Path) -> None:
    score_text = "name = 'score'\n"
    engine = _package(
        tmp_path,
        {
            "services/scoring/engine/rules.py": hashlib.sha256(b"name = 'old rules'\n").hexdigest(),
            "services/scoring/engine/score.py": hashlib.sha256(score_text.encode()).hexdigest(),
        },
    )
    for name in ("rules", "score", "__init__"):  # __init__ stays Python: never counted
        (engine / f"{name}{SUFFIX}").write_bytes(b"")
    past = time.time() - 3600
    os.utime(engine / "rules.py", (past, past))  # file times do not matter, only the text
    assert native.engine_state(tmp_path) == (2, ["services/scoring/engine/rules.py"])


def test_compiled_modules_without_a_record_are_stale(tmp_path: Path) -> None:
    engine = _package(tmp_path, {})
    (engine / f"score{SUFFIX}").write_bytes(b"")
    (tmp_path / native.MANIFEST).write_text("not json")
    assert native.engine_state(tmp_path) == (1, ["services/scoring/engine/score.py"])


def test_a_module_without_compiled_copy_is_neither_compiled_nor_stale(tmp_path: Path) -> None:
    _package(tmp_path, {})
    assert native.engine_state(tmp_path) == (0, [])


def test_the_source_finder_serves_only_the_engines_from_their_py_files() -> None:
    finder = native._SourceFinder(native.ENGINE_PACKAGES)
    spec = finder.find_spec("services.scoring.engine.rules")
    assert spec is not None and spec.origin == str(ROOT / "services/scoring/engine/rules.py")
    spec = finder.find_spec("services.ranking.engine.result")
    assert spec is not None and spec.origin == str(ROOT / "services/ranking/engine/result.py")
    assert finder.find_spec("services.scoring.app") is None  # not an engine module
    assert finder.find_spec("services.scoring.engine.nope") is None  # no such source
    assert finder.find_spec("json") is None


def test_an_edited_engine_source_runs_as_python_with_a_warning(tmp_path: Path) -> None:
    # a copy of the package whose rules.py was edited after it was compiled: a fresh interpreter must
    # import every engine module from its .py and warn; without compiled modules there is nothing to do
    shutil.copytree(ROOT / "services", tmp_path / "services", ignore=shutil.ignore_patterns("__pycache__"))
    compiled, _ = native.engine_state(tmp_path)
    with (tmp_path / "services/scoring/engine/rules.py").open("a") as rules:
        rules.write("# edited\n")
    code = "import services.native as n, services.scoring.engine.score as s; print(n.MODE); print(s.__file__)"
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    mode, origin = done.stdout.split()
    assert mode == "python"
    assert origin == str(tmp_path / "services/scoring/engine/score.py")
    if compiled:
        assert "changed since they were compiled" in done.stderr and "rules.py" in done.stderr
