"""Running the real `kaohe` command in a subprocess with a controlled environment."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

KAOHE = [sys.executable, "-m", "kaohe"]


def clean_env(**overrides: Any) -> dict[str, str]:
    """The current environment without any KAOHE_ setting but English messages, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAOHE_")}
    env["KAOHE_DEFAULT_LOCALE"] = "en"  # the tests read English lines, whatever the machine's LANG
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def run_kaohe(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KAOHE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)
