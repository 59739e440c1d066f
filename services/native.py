"""Whether the two engines run compiled (mypyc) or as Python, and never a stale compiled copy.

`pip install .` compiles the engines' modules (setup.py) next to their sources. Python imports
such a compiled module in preference to its `.py`, so after a source edit, a `git pull` or a
branch switch the compiled copy would run old code. `install()`, called by `services/__init__.py`
before any engine module is imported, prevents that: when any engine source differs from the text
that was compiled (setup.py records each source's SHA-256; file times mean nothing after a wheel
install), or when KAOHE_PURE_PYTHON=1, every engine module is imported from its `.py` (all of them:
the compiled modules call each other directly, so a mix would still run old code).

`MODE` says which: "compiled", or "python" with the reason in `REASON`.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

ENGINE_PACKAGES = ("services.scoring.engine", "services.ranking.engine")
MANIFEST = "services/engine_native.json"
# read here and by setup.py, before any settings exist: not a Settings field (docs/operations.md)
PURE_PYTHON = "KAOHE_PURE_PYTHON"
_ROOT = Path(__file__).resolve().parent.parent

MODE = "python"
REASON = "not compiled"


def _package_dir(package: str, root: Path = _ROOT) -> Path:
    return root.joinpath(*package.split("."))


def compiled_path(source: Path) -> Path | None:
    """The compiled module built from `source` (x.py → x.cpython-311-….so), if there is one."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_name(source.stem + suffix)
        if candidate.exists():
            return candidate
    return None


def engine_sources(root: Path = _ROOT) -> list[Path]:
    """The modules setup.py compiles: every engine module but the packages' __init__ files, which stay
    Python (they are imported before anything is decided)."""
    return [
        source
        for package in ENGINE_PACKAGES
        for source in sorted(_package_dir(package, root).glob("*.py"))
        if source.name != "__init__.py"
    ]


def source_digest(source: Path) -> str:
    """What setup.py records of each source it compiles."""
    return hashlib.sha256(source.read_bytes()).hexdigest()


def engine_state(root: Path = _ROOT) -> tuple[int, list[str]]:
    """(compiled modules found, sources that differ from what was compiled) under `root`.

    setup.py writes `services/engine_native.json` ({relative source path: SHA-256}) beside the
    compiled modules; a source whose text is not the one recorded is stale.
    """
    try:
        recorded = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {}
    compiled, stale = 0, []
    for source in engine_sources(root):
        if compiled_path(source) is None:
            continue
        compiled += 1
        name = source.relative_to(root).as_posix()
        if not isinstance(recorded, dict) or recorded.get(name) != source_digest(source):
            stale.append(name)
    return compiled, stale


class _SourceFinder:
    """A meta-path finder that loads the engines' modules from their `.py` files."""

    def __init__(self, packages: Sequence[str]) -> None:
        self.packages = tuple(packages)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package not in self.packages:
            return None
        source = _package_dir(package) / f"{name}.py"
        if not source.exists():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def install() -> None:
    """Decide the engines' mode once per process; see the module docstring."""
    global MODE, REASON
    compiled, stale = engine_state()
    if os.environ.get(PURE_PYTHON) == "1":
        MODE, REASON = "python", f"{PURE_PYTHON}=1"
    elif compiled == 0:
        MODE, REASON = "python", "not compiled"
        return
    elif stale:
        MODE, REASON = "python", "sources changed since they were compiled: " + ", ".join(stale)
        warnings.warn(
            f"kaohe: {len(stale)} engine source(s) changed since they were compiled ({', '.join(stale[:3])}); "
            "the engines run as Python until `pip install -e .` compiles them again",
            RuntimeWarning,
            stacklevel=2,
        )
    else:
        MODE, REASON = "compiled", "mypyc"
        return
    if not any(isinstance(finder, _SourceFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourceFinder(ENGINE_PACKAGES))
