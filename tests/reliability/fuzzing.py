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
# app.state attributes through which in-process tests replace a peer, the clock or the file store
INJECTED = ("scoring_transport", "scoring_client", "scoring_http", "evidence_transport", "clock", "attachment_storage")
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
    # proxy headers as the processes `kaohe serve` and `kaohe up` start (KAOHE_TRUSTED_PROXIES)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           **get_settings().proxy_options()))
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


@contextmanager
def served_stack(database_url: str, *, gateway: bool = False, relay: bool = False,
                 **env: str) -> Iterator[dict[str, str]]:
    """The three services (and the gateway) in this process on one database; yields name → base URL.
    With `relay`, their outbox relays, scoring's recompute loop and evidence's sweeper run as in production."""
    from tests.reliability.conftest import service_app

    names = ["evidence", "scoring", "ranking"]
    apps: dict[str, Any] = {name: service_app(name) for name in names}
    ports = {name: free_port() for name in names}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    saved = {name: dict(app.state._state) for name, app in apps.items()}
    for app in apps.values():  # what other in-process tests plug in (fake peers, clocks) is unplugged here
        for attr in INJECTED:
            if attr in app.state._state:
                setattr(app.state, attr, None)
    try:
        with settings_env(KAOHE_DATABASE_URL=database_url, **{f"KAOHE_{n.upper()}_URL": u for n, u in urls.items()},
                          **env):
            for app in apps.values():
                app.state.run_relay = relay
            with served(apps["evidence"], ports["evidence"]), served(apps["scoring"], ports["scoring"]), \
                    served(apps["ranking"], ports["ranking"]):
                if not gateway:
                    yield urls
                    return
                from gateway.app import create_app

                with served(create_app()) as gateway_url:
                    yield {**urls, "gateway": gateway_url}
    finally:
        # leave the module-level apps as found: clients made here are bound to the server threads' loops
        for name, app in apps.items():
            app.state._state.clear()
            app.state._state.update(saved[name])
