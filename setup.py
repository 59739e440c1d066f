"""Build step of the compiled engines (docs/decisions.md, "Compiled engines").

pyproject.toml holds the project's metadata; this file only adds the two pure engines
(services/scoring/engine, services/ranking/engine) compiled to C extensions with mypyc, which runs
them ~1.3x faster (docs/performance.md, "Engine"). The Python sources stay the definition: the
compiled modules are built from them, pass the same tests, and the package works without them.

- KAOHE_PURE_PYTHON=1 at install time skips the compilation.
- No mypyc or no C compiler, or a failed compile: a warning, and the engines run as Python (CI and
  the Docker build check that they did compile).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
ENGINES = ("services/scoring/engine", "services/ranking/engine")
# one shared library for both engines, inside the `services` package (not at the top level, which
# an editable install does not put on sys.path)
GROUP = "services.engine_native"
MANIFEST = "services/engine_native.json"  # what services/native.py reads


def engine_sources() -> list[str]:
    """Every engine module but the packages' __init__ files, which stay Python (they report the mode)."""
    return sorted(
        path.relative_to(ROOT).as_posix()
        for engine in ENGINES
        for path in (ROOT / engine).glob("*.py")
        if path.name != "__init__.py"
    )


class OptionalBuildExt(build_ext):
    """A compile that fails leaves no half-built engine behind: the Python modules are used instead."""

    def run(self) -> None:
        if not self.extensions:
            return
        try:
            super().run()
        except Exception as exc:  # any compiler or linker failure
            for output in self.get_outputs():
                Path(output).unlink(missing_ok=True)
            self.warn(f"kaohe: the engines were not compiled ({exc}); they will run as Python")
            return
        self._record_sources()

    def _record_sources(self) -> None:
        # services/native.py compares each engine source with what was compiled, by content
        recorded = {name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest() for name in engine_sources()}
        target = ROOT if self.inplace else Path(self.build_lib)
        manifest = target / MANIFEST
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def extensions() -> list:
    if os.environ.get("KAOHE_PURE_PYTHON") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("kaohe: mypyc is not installed; the engines will run as Python", file=sys.stderr)
        return []
    try:
        return mypycify(engine_sources(), opt_level="3", group_name=GROUP)
    except (Exception, SystemExit) as exc:  # mypyc type-checks first and exits on an error it finds
        print(f"kaohe: mypyc could not compile the engines ({exc!r}); they will run as Python", file=sys.stderr)
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
