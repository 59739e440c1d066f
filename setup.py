"""The optional compiled build of the engine (docs/operations.md, "Compiled engine").

pyproject.toml holds the project's metadata. By default nothing is compiled: `pip install .` and
`pip install -e .` install Python. With KAOHE_MYPYC=1, building a wheel (`pip wheel .`, the Docker
image, a release) also compiles every module of `kaohe/engine` but the packages' `__init__` files to
C extensions with mypyc, which the wheel ships next to the sources; build_backend.py then adds mypy
to the build's requirements. The Python sources stay the definition: the compiled wheel runs the
same code and writes the same bytes. An opted-in build that cannot compile fails, it never falls
back silently. An editable install compiles nothing, opt-in or not: compiled modules beside sources
being edited would run stale code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
OPT_IN = "KAOHE_MYPYC"
# one shared library for the whole engine, inside the `kaohe` package
GROUP = "kaohe.engine_native"


def engine_sources() -> list[str]:
    return sorted(
        source.relative_to(ROOT).as_posix()
        for source in (ROOT / "kaohe" / "engine").rglob("*.py")
        if source.name != "__init__.py"
    )


def extensions() -> list:
    # setuptools also runs this file to list the build's requirements and the metadata (egg_info,
    # dist_info) and for an editable install (editable_wheel): only the wheel itself is compiled
    if os.environ.get(OPT_IN) != "1" or "bdist_wheel" not in sys.argv:
        return []
    from mypyc.build import mypycify  # build_backend.py adds mypy to the build's requirements

    return mypycify(engine_sources(), opt_level="3", group_name=GROUP)


setup(ext_modules=extensions())
