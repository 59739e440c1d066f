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

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
# one shared library for both engines, inside the `services` package (not at the top level, which
# an editable install does not put on sys.path)
GROUP = "services.engine_native"


def _native() -> ModuleType:
    """services/native.py, loaded by its path (stdlib only; not the `services` package, whose import
    would decide the engines' mode): which sources to compile and what to record of them."""
    spec = importlib.util.spec_from_file_location("kaohe_build_native", ROOT / "services" / "native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


native = _native()


def engine_sources() -> list[str]:
    return [source.relative_to(ROOT).as_posix() for source in native.engine_sources(ROOT)]


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
        recorded = {name: native.source_digest(ROOT / name) for name in engine_sources()}
        target = ROOT if self.inplace else Path(self.build_lib)
        manifest = target / native.MANIFEST
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def extensions() -> list:
    if os.environ.get(native.PURE_PYTHON) == "1":
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
