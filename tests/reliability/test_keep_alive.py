"""Regression (soak runs): a pooled keep-alive connection closed by the server for idleness just as a client wrote
a request into it ("Server disconnected without sending a response", 503). Reads are resent; a write (the
gateway's mutations, the outbox relay's POSTs) never is, so the race is removed at its source: every server keeps
an idle connection open (`KAOHE_SERVER_KEEP_ALIVE_SECONDS`, 75 s) longer than our clients reuse one
(`KAOHE_CLIENT_KEEP_ALIVE_SECONDS`, 2 s). Both used to be 5 s (uvicorn's and httpx's defaults)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.errors import ServiceUnavailable
from services.common.settings import ConfigError, Settings, get_settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
IDLE_SECONDS = 1.5  # the emulated server's keep-alive timeout


class ClosingServer:
    """An HTTP/1.1 server at its worst: a request arriving on a connection idle for `IDLE_SECONDS` or more meets
    the server's close (read, then the connection dropped with no answer), as when uvicorn's idle timer fires
    while the request is on the wire. Requests on fresher connections get 200 and keep the connection."""

    def __init__(self) -> None:
        self.connections = 0
        self.answered: list[str] = []  # "METHOD path" of each request answered (applied)
        self.dropped: list[str] = []
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        idle_since = time.monotonic()
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if length:
                    await reader.readexactly(int(length.group(1)))
                request = " ".join(head.split(b"\r\n", 1)[0].decode().split(" ")[:2])
                if time.monotonic() - idle_since >= IDLE_SECONDS:
                    self.dropped.append(request)
                    break
                self.answered.append(request)
                body = b'{"ok": true}'
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
                idle_since = time.monotonic()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[ClosingServer]:
    made = ClosingServer()
    await made.start()
    yield made
    await made.stop()


@pytest.fixture
def keep_alive(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set the two keep-alive settings for the clients made afterwards."""

    def configure(*, server: str, client: str) -> None:
        monkeypatch.setenv("KAOHE_SERVER_KEEP_ALIVE_SECONDS", server)
        monkeypatch.setenv("KAOHE_CLIENT_KEEP_ALIVE_SECONDS", client)
        get_settings.cache_clear()

    yield configure
    get_settings.cache_clear()


async def post_after(service: Any, pause: float) -> Any:
    from services.common.auth import Principal

    await asyncio.sleep(pause)
    return await service.request("POST", "/v1/periods/q1/publication", Principal(subject="a"), json={})


async def test_a_client_that_reuses_longer_than_the_server_keeps_meets_the_close(
    server: ClosingServer, keep_alive: Any
) -> None:
    """The old defaults, scaled down (client reuse 5 s ≥ server keep-alive): the race is provoked every time."""
    from gateway.clients import ServiceClient

    keep_alive(server="60", client="5")  # the client's reuse outlasts the emulated server's IDLE_SECONDS
    service = ServiceClient("ranking", server.url)
    try:
        assert await post_after(service, 0) == {"ok": True}
        with pytest.raises(ServiceUnavailable, match="RemoteProtocolError"):
            await post_after(service, IDLE_SECONDS + 0.5)
    finally:
        await service.aclose()
    assert server.answered == ["POST /v1/periods/q1/publication"]  # the write was not applied, and not resent
    assert server.dropped == ["POST /v1/periods/q1/publication"]


async def test_a_client_that_drops_idle_connections_first_never_meets_the_close(
    server: ClosingServer, keep_alive: Any
) -> None:
    """Client reuse (0.5 s) shorter than the server's keep-alive (1.5 s): POSTs after every kind of pause succeed;
    a quick second request still reuses the pooled connection."""
    from gateway.clients import ServiceClient

    keep_alive(server="60", client="0.5")
    service = ServiceClient("ranking", server.url)
    try:
        assert await post_after(service, 0) == {"ok": True}
        assert await post_after(service, 0.02) == {"ok": True}
        assert server.connections == 1  # still pooled
        for pause in (1.0, IDLE_SECONDS + 0.5, 0.02):  # past the client's expiry, past the server's keep-alive
            assert await post_after(service, pause) == {"ok": True}
    finally:
        await service.aclose()
    assert server.dropped == []
    assert len(server.answered) == 5
    assert server.connections == 3  # a new connection after each pause longer than the client's reuse


async def test_the_outbox_relay_posts_over_the_same_kind_of_pool(server: ClosingServer, keep_alive: Any) -> None:
    """Service-to-service writes (events) use the same client settings."""
    from services.common.peers import peer_client

    keep_alive(server="60", client="0.5")
    import httpx

    async with peer_client(timeout=httpx.Timeout(5.0)) as http:
        for pause in (0, IDLE_SECONDS + 0.5):
            await asyncio.sleep(pause)
            assert (await http.post(f"{server.url}/events", json={})).status_code == 200
    assert server.dropped == [] and server.connections == 2


# --- the settings, and that every server and client uses them ------------------------------------


def test_defaults_leave_a_wide_margin() -> None:
    settings = Settings()
    assert settings.server_keep_alive_seconds == 75  # above a proxy's usual 60 s idle reuse too
    assert settings.client_keep_alive_seconds == 2


def test_a_client_reuse_as_long_as_the_servers_keep_alive_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAOHE_SERVER_KEEP_ALIVE_SECONDS", "5")
    monkeypatch.setenv("KAOHE_CLIENT_KEEP_ALIVE_SECONDS", "5")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value) == ("KAOHE_CLIENT_KEEP_ALIVE_SECONDS is invalid: must be shorter than "
                                  "KAOHE_SERVER_KEEP_ALIVE_SECONDS (5 s)")
    monkeypatch.setenv("KAOHE_CLIENT_KEEP_ALIVE_SECONDS", "4.5")
    assert load_settings().client_keep_alive_seconds == 4.5


def test_kaohe_serve_passes_the_keep_alive_to_uvicorn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    from kaohe.ops_cli import serve

    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.append({"app": app, **options}))
    monkeypatch.setenv("KAOHE_DATABASE_URL", "postgresql://u@127.0.0.1:5/x")
    monkeypatch.setenv("KAOHE_DATA_DIR", str(tmp_path))
    serve("ranking")
    monkeypatch.setenv("KAOHE_SERVER_KEEP_ALIVE_SECONDS", "40")
    serve("gateway")
    assert [(s["app"], s["timeout_keep_alive"]) for s in seen] == [("services.ranking.app:app", 75),
                                                                  ("gateway.app:app", 40)]


def test_kaohe_up_starts_every_process_with_the_keep_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    import kaohe.stack

    started: list[list[str]] = []
    monkeypatch.setattr(kaohe.stack.subprocess, "Popen", lambda cmd, env: started.append(cmd))
    monkeypatch.setenv("KAOHE_SERVER_KEEP_ALIVE_SECONDS", "30")
    supervisor = kaohe.stack.Supervisor(load_settings(), {}, "secret")
    supervisor.start()
    assert len(started) == 4
    for cmd in started:
        assert cmd[cmd.index("--timeout-keep-alive") + 1] == "30", cmd


def test_every_client_of_another_kaohe_process_is_a_peer_client() -> None:
    """A bare `httpx.AsyncClient` would reuse idle connections for httpx's 5 s: only peers.py makes them, apart
    from the clients of servers that are not ours (the attachment store, the identity provider's JWKS, webhook
    receivers)."""
    not_ours = {"services/evidence/attachments/storage.py", "gateway/app.py",
                "services/evidence/webhooks/dispatcher.py"}
    makers = {str(path.relative_to(ROOT)) for folder in ("services", "gateway", "kaohe")
              for path in (ROOT / folder).rglob("*.py") if "httpx.AsyncClient(" in path.read_text(encoding="utf-8")}
    assert makers - not_ours == {"services/common/peers.py"}


def test_the_deployments_set_a_server_keep_alive_longer_than_the_clients_reuse() -> None:
    compose = yaml.safe_load((ROOT / "docker/compose.yaml").read_text(encoding="utf-8"))
    configmap = yaml.safe_load((ROOT / "docker/k8s/configmap.yaml").read_text(encoding="utf-8"))
    for env in (compose["x-kaohe-env"], configmap["data"]):
        assert float(env["KAOHE_SERVER_KEEP_ALIVE_SECONDS"]) == 75
        assert float(env["KAOHE_CLIENT_KEEP_ALIVE_SECONDS"]) == 2
