"""Start the whole stack (`kaohe up`) as real processes on free ports, for end-to-end tests."""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.common.embedded import free_port
from tests.cli_helpers import KAOHE, clean_env

READY_LINE = "Press Ctrl-C to stop."


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    ports: dict[str, int]
    env: dict[str, str]
    output: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            out, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        self.output.extend(out.splitlines())
        return self.process.returncode


def stack_env(data_dir: Path, **extra: Any) -> tuple[dict[str, str], dict[str, int]]:
    ports = {name: free_port() for name in ("gateway", "evidence", "scoring", "ranking")}
    env = clean_env(KAOHE_DATA_DIR=data_dir, KAOHE_EMBEDDED_PG_PORT=free_port(),
                    **{f"KAOHE_{n.upper()}_PORT": p for n, p in ports.items()}, **extra)
    return env, ports


def start_stack(env: dict[str, str], ports: dict[str, int], *args: str, timeout: float = 120,
                logs: Path | None = None) -> RunningStack:
    """Run `kaohe up`, wait for its ready line, and return the running stack; its processes' logs (stderr) go to
    the file `logs` when given."""
    stderr = logs.open("w", encoding="utf-8") if logs is not None else subprocess.DEVNULL
    process = subprocess.Popen([*KAOHE, "up", *args], env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    if logs is not None:
        stderr.close()  # type: ignore[union-attr]  # the child holds its own copy
    stack = RunningStack(process, ports, env)
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"kaohe up exited ({process.wait()}) before it was ready: {stack.output}")
        stack.output.append(line.rstrip("\n"))
        if line.strip() == READY_LINE:
            return stack
    stack.stop()
    raise AssertionError(f"kaohe up was not ready in {timeout}s: {stack.output}")
