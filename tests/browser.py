"""A real headless Chromium (Debian's `chromium` package), driven over the DevTools protocol through its
websocket: no driver, no download. Every host name but 127.0.0.1 fails to resolve, so a page that needs the
internet (a CDN) fails as it would on an intranet, and every request the page makes is recorded so that a test
can show none left this machine."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

CHROMIUM = ("chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1")


def chromium_or_skip() -> str:
    for name in CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium on this machine (`apt-get install -y chromium`; .ci/run installs it as root)")


class Page:
    """One tab, attached in flat mode: `call` sends a command and returns its result; events are kept."""

    def __init__(self, socket: ClientConnection, session: str) -> None:
        self.socket, self.session = socket, session
        self.next_id = 1_000
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params, "sessionId": self.session}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == ident:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        found = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in found:
            raise AssertionError(f"{expression}: {found['exceptionDetails']}")
        return found["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """The first truthy value of `expression`, asked every 100 ms; fails with what the page said."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"{expression} stayed false for {timeout}s; the page said: {self.problems()}")

    def requested(self) -> list[str]:
        """Every URL the page asked for, in order (data: and blob: URLs included)."""
        return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]

    def problems(self) -> list[str]:
        """What the page reported as wrong: uncaught exceptions, console errors (a CSP refusal is one),
        failed loads."""
        found = []
        for event in self.events:
            params = event["params"]
            if event["method"] == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("exception", {}).get("description")
                             or params["exceptionDetails"].get("text", ""))
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"] + " " + params["entry"].get("url", ""))
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] == "error":
                found.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
            elif event["method"] == "Network.loadingFailed" and not params.get("canceled"):
                found.append(f"load failed: {params.get('errorText')} ({params.get('blockedReason', '')})")
        return found


@contextmanager
def chromium_page(binary: str, timeout: float = 30) -> Iterator[Page]:
    """A fresh headless Chromium (its own profile folder) with one blank tab, closed afterwards."""
    with tempfile.TemporaryDirectory(prefix="kaohe-chromium-", ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + timeout
            while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
                if process.poll() is not None or time.monotonic() > deadline:
                    _, err = process.communicate(timeout=5) if process.poll() is not None else ("", "")
                    raise AssertionError(f"chromium did not open its DevTools port: {err[-2000:]}")
                time.sleep(0.05)
            port, path = port_file.read_text().splitlines()[:2]
            with connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=timeout) as socket:
                target = _browser_call(socket, "Target.createTarget", url="about:blank")["targetId"]
                session = _browser_call(socket, "Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
                page = Page(socket, session)
                for domain in ("Page", "Runtime", "Network", "Log"):
                    page.call(f"{domain}.enable")
                yield page
                socket.send(json.dumps({"id": 2, "method": "Browser.close"}))  # the whole browser, children too
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _browser_call(socket: ClientConnection, method: str, **params: Any) -> dict[str, Any]:
    socket.send(json.dumps({"id": 1, "method": method, "params": params}))
    while True:
        message = json.loads(socket.recv(timeout=30))
        if message.get("id") == 1:
            if "error" in message:
                raise AssertionError(f"{method}: {message['error']}")
            result: dict[str, Any] = message["result"]
            return result
