"""setuptools' build backend, plus mypy (for mypyc) in a wheel build's requirements when KAOHE_MYPYC=1
(setup.py). Without the opt-in it is setuptools' backend unchanged."""

from __future__ import annotations

import os

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403

# mypyc type-checks the engine before compiling it: the stubs of what the engine imports
MYPYC_REQUIRES = ["mypy==2.4.1", "orjson>=3.10", "pyyaml>=6.0", "types-PyYAML"]


def get_requires_for_build_wheel(config_settings: dict[str, str | list[str]] | None = None) -> list[str]:
    extra = MYPYC_REQUIRES if os.environ.get("KAOHE_MYPYC") == "1" else []
    return [*_setuptools.get_requires_for_build_wheel(config_settings), *extra]
