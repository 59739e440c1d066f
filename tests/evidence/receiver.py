"""A real HTTP receiver for webhook tests: uvicorn on a free loopback port, recording every request."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from services.common.embedded import free_port


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


Behaviour = Callable[[Call], Awaitable[int]]


async def accept(_call: Call) -> int:
    return 200


class Receiver:
    """`behaviour(call)` decides the status (it may sleep, to play a slow receiver)."""

    def __init__(self, behaviour: Behaviour = accept) -> None:
        self.behaviour = behaviour
        self.calls: list[Call] = []
        self.port = free_port()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        call = Call(scope["path"], {k.decode().lower(): v.decode() for k, v in scope["headers"]}, b"".join(chunks))
        self.calls.append(call)
        status = await self.behaviour(call)
        headers = [(b"content-type", b"text/plain")]
        if 300 <= status < 400:
            headers.append((b"location", f"http://127.0.0.1:{self.port}/elsewhere".encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    async def start(self) -> Receiver:
        config = uvicorn.Config(self, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning",
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(1000):  # uvicorn offers no event to wait on
            if self._server.started:
                break
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            self._server.force_exit = True
            await asyncio.gather(self._task, return_exceptions=True)

    def ids(self) -> list[str]:
        return [c.headers["webhook-id"] for c in self.calls if c.path == "/hook"]
