"""Live events for GraphQL subscriptions (issue 18): one stream per gateway instance from evidence's event log.

The hub opens `GET /v1/events/stream` on evidence when the first subscriber arrives and keeps it open,
reconnecting with the last `seq` it saw (nothing is missed across a reconnect: the log's seq is gap-free in
commit order). Evidence LISTENs on PostgreSQL, so an event logged by any process reaches every gateway
instance. Each subscriber has its own bounded queue: one that cannot keep up is cut off (its connection is
told so), never the hub or the others.

Connections over graphql-transport-ws are authenticated at `connection_init` with the same credentials as
HTTP (`Authorization: Bearer …` or `X-API-Key` in the payload, or the handshake's headers), limited per
identity, and closed when the token expires (4401) or when no subscription has run for a while (4408).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import jwt

from kaohe.i18n import _, localize
from services.common.auth import SYSTEM, Principal, issue_service_token
from services.common.notify import Notice
from services.common.peers import peer_client

log = logging.getLogger("kaohe.gateway.events")
QUEUE_SIZE = 1000
# who sees an event about a unit: staff over it (ids only; fetching the entity is checked as usual), the assessed
# subject itself, and raters for rating tasks
SEE_ALL = ("admin", "assessor", "reviewer", "submitter", "auditor")
OFFICE_ONLY = {"webhook.disabled": ("admin", "assessor", "auditor")}


def may_see(user: Principal, notice: Notice) -> bool:
    roles = OFFICE_ONLY.get(notice.type, SEE_ALL)
    if user.can(roles, notice.unit_path):  # type: ignore[arg-type]
        return True
    if notice.type.startswith("rating_task.") and user.can("rater", notice.unit_path):
        return True
    return (notice.subject_id is not None and notice.subject_id in user.subject_ids and user.has_role("subject")
            and notice.type not in OFFICE_ONLY)


class Overflow(Exception):
    """A subscriber fell QUEUE_SIZE events behind."""


class EventHub:
    def __init__(self, evidence_url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = f"{evidence_url}/v1/events/stream"
        self.cursor = -1
        self._queues: set[asyncio.Queue[Notice | None]] = set()
        self._client = peer_client(timeout=httpx.Timeout(30.0, connect=2.0), transport=transport)
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    @contextlib.asynccontextmanager
    async def listen(self) -> AsyncIterator[asyncio.Queue[Notice | None]]:
        queue: asyncio.Queue[Notice | None] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="gateway-events")
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    async def _run(self) -> None:
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # evidence restarting, a network blip: reconnect where we were
                log.warning("event stream from evidence lost (%s); reconnecting after seq %s", exc, self.cursor)
            self.connected.clear()
            await asyncio.sleep(0.5)

    async def _follow(self) -> None:
        headers = {"Authorization": f"Bearer {issue_service_token(SYSTEM)}"}
        async with self._client.stream("GET", self.url, params={"after": self.cursor}, headers=headers) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if not line.strip():
                    continue
                item = json.loads(line)
                if "notice" not in item:  # the stream's first line: where it starts
                    self.cursor = int(item["seq"])
                    self.connected.set()
                    continue
                self.cursor = int(item["seq"])
                notice = Notice.from_json(item["notice"])
                for queue in list(self._queues):
                    try:
                        queue.put_nowait(notice)
                    except asyncio.QueueFull:
                        self._queues.discard(queue)
                        with contextlib.suppress(asyncio.QueueFull):
                            queue.get_nowait()
                            queue.put_nowait(None)  # tells the subscriber it was cut off

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._client.aclose()


class Connections:
    """Open subscription connections per identity (this gateway instance)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: dict[str, int] = {}

    def acquire(self, identity: str) -> bool:
        if self.open.get(identity, 0) >= self.limit:
            return False
        self.open[identity] = self.open.get(identity, 0) + 1
        return True

    def release(self, identity: str) -> None:
        left = self.open.get(identity, 0) - 1
        if left > 0:
            self.open[identity] = left
        else:
            self.open.pop(identity, None)


def token_expiry(headers: Any) -> float | None:
    """The `exp` of the bearer token in `headers` (already verified by the authenticator), None for API keys."""
    scheme, _, token = str(headers.get("Authorization", "")).partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        exp = jwt.decode(token.strip(), options={"verify_signature": False}).get("exp")
    except jwt.PyJWTError:
        return None
    return float(exp) if isinstance(exp, int | float) else None


MAX_CLOSE_REASON = 123  # bytes of a WebSocket close reason: a control frame holds 125, the code takes 2 (RFC 6455)


def close_reason(reason: str | None) -> str | None:
    """`reason` cut to what a close frame can carry, at a character boundary, with "…" where it was cut: a parse
    error's message (strawberry closes with it, 4400) can be longer, all the more in Chinese (three bytes a
    character), and a longer one makes the server fail the close itself."""
    if reason is None or len(encoded := reason.encode()) <= MAX_CLOSE_REASON:
        return reason
    return encoded[:MAX_CLOSE_REASON - len("…".encode())].decode(errors="ignore") + "…"


async def watchdog(context: Any, websocket: Any, *, expires_at: float | None, idle_seconds: float,
                   still_valid: Callable[[], Awaitable[bool]] | None = None) -> None:
    """Close the connection when its token expires, when `still_valid` (an API key's check, answered from the
    authenticator's cache: a revoked key fails at once on the instance that revoked it, within
    API_KEY_CACHE_SECONDS on the others) says no, or when no subscription has run for `idle_seconds`. The close
    reason is in the connection's language (the task runs in the handshake's context)."""
    while True:
        now = time.time()
        if expires_at is not None and now >= expires_at:
            await websocket.close(code=4401, reason=localize(_("token expired")))
            return
        if still_valid is not None and not await still_valid():
            await websocket.close(code=4403, reason=localize(_("API key revoked")))
            return
        if context.active_subscriptions == 0 and time.monotonic() - context.last_activity >= idle_seconds:
            await websocket.close(code=4408, reason=localize(_("idle")))
            return
        wake = min(1.0, max(0.05, (expires_at - now) if expires_at is not None else 1.0))
        await asyncio.sleep(wake)
