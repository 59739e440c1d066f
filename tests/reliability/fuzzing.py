"""Shared fuzzing machinery: a service app served by uvicorn in a thread of this process (its own event loop,
its own real database), and the schemathesis checks every response must pass."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from services.common.embedded import free_port
from services.common.settings import get_settings

CHECKS = [not_a_server_error, response_schema_conformance]
MAX_EXAMPLES = int(os.environ.get("KAOHE_FUZZ_EXAMPLES", "5"))


@contextmanager
def settings_env(**values: str) -> Iterator[None]:
    """Process settings with `values` in the environment, restored afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        get_settings.cache_clear()


@contextmanager
def served(app: Any, port: int | None = None) -> Iterator[str]:
    """Serve `app` on a loopback port in a background thread; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
