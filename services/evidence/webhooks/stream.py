"""`GET /v1/events/stream`: the event log as it grows, for the gateways' GraphQL subscriptions.

Each gateway instance keeps one stream open; each evidence process LISTENs on PostgreSQL's `kaohe_events`
channel (NOTIFY is sent by the transaction that logs events, at its commit), so an event logged by any
process reaches every stream at once, and so every gateway instance. The stream is newline-delimited JSON:
first `{"seq": N}` (where it starts), then `{"seq", "notice"}` per event in log order, and an empty line
every few seconds while nothing happens. The log's `seq` is gap-free in commit order (repository.LOG_LOCK),
so a gateway that reconnects with `after` = the last seq it saw misses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from services.common.auth import CurrentPrincipal, require_service
from services.common.db import Database
from services.common.waiting import woken
from services.evidence.webhooks import repository

log = logging.getLogger("kaohe.events")
router = APIRouter(prefix="/v1/events", tags=["events for integrators"])
HEARTBEAT_SECONDS = 5.0
PAGE = 500


class Listener:
    """One LISTEN connection per process; `generation` grows with every notification."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.generation = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def ensure_started(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="events-listen")

    async def _run(self) -> None:
        dsn = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                connection = await asyncpg.connect(dsn)
                try:
                    await self._listen(connection)
                finally:
                    with contextlib.suppress(Exception):
                        await connection.close()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database restart: listen again (streams poll meanwhile)
                log.warning("event listener lost its connection: %s", exc)
                await asyncio.sleep(1.0)

    async def _listen(self, connection: Any) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(repository.CHANNEL, self._notified)
        self._bump()  # anything logged while not listening is read now
        while not connection.is_closed():
            await woken(lost, 5.0)

    def _notified(self, *_args: Any) -> None:
        self._bump()

    def _bump(self) -> None:
        self.generation += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, seen: int, seconds: float) -> None:
        """Return once the generation differs from `seen`, or after `seconds`."""
        if self.generation != seen:
            return
        await woken(self._changed, seconds)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def listener_of(request: Request) -> Listener:
    state = request.app.state
    found: Listener | None = getattr(state, "events_listener", None)
    if found is None or found.db is not state.db:
        found = state.events_listener = Listener(state.db)
    found.ensure_started()
    return found


async def _lines(db: Database, listener: Listener, after: int, request: Request) -> AsyncIterator[bytes]:
    cursor = after
    if cursor < 0:
        async with db.sessionmaker() as session:
            cursor = await repository.last_seq(session)
    yield json.dumps({"seq": cursor}).encode() + b"\n"
    while True:
        seen = listener.generation
        async with db.sessionmaker() as session:
            rows = await repository.events_after(session, cursor, PAGE)
        for row in rows:
            cursor = row.seq
            yield json.dumps({"seq": row.seq, "notice": row.notice}, ensure_ascii=False).encode() + b"\n"
        if len(rows) == PAGE:
            continue
        if await request.is_disconnected():
            return
        await listener.wait(seen, HEARTBEAT_SECONDS)
        if listener.generation == seen:
            yield b"\n"


@router.get("/stream", summary="The event log as it grows (services only: the gateways), newline-delimited JSON")
async def stream(request: Request, principal: CurrentPrincipal,
                 after: Annotated[int, Query(ge=-1, le=2**62, description="-1: from now")] = -1) -> StreamingResponse:
    """The event log as it grows, one JSON event per line (`application/x-ndjson`), from after the event `after`
    (-1: from now); an empty line keeps the connection open. The gateways read it to serve GraphQL
    subscriptions. Other services' tokens only (403 otherwise).
    """
    require_service(principal)
    return StreamingResponse(_lines(request.app.state.db, listener_of(request), after, request),
                             media_type="application/x-ndjson")
