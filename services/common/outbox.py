"""Events out (outbox + relay) and events in (inbox, applied at most once).

`enqueue` writes the event in the caller's transaction. The relay claims due rows with
`FOR UPDATE SKIP LOCKED` (so several instances never send the same row at once), POSTs them to
the destination's `/events` endpoint, and backs off exponentially on failure. Delivery is
at-least-once; consumers use `apply_once` to ignore repeats.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx
from pydantic import BaseModel, Field
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import SYSTEM, issue_service_token
from services.common.db import Database, copy_objects, insert_unnested, pending
from services.common.peers import peer_client
from services.common.tables import InboxEventMixin, OutboxEventMixin
from services.common.waiting import woken

log = logging.getLogger("kaohe.outbox")
_WAKE = "outbox_wake"
MAX_BACKOFF_SECONDS = 300


class EventIn(BaseModel):
    """The body of `POST /events`: one event from another service's outbox."""

    id: uuid.UUID
    source: str = Field(max_length=50)
    topic: str = Field(max_length=100)
    payload: dict[str, Any]


BATCH_MAX = 500  # events in one `POST /events/batch`
# a batch waits at scoring for the recompute running on its period, then applies its events: given up on sooner,
# it would be sent again while the first is still being applied
BATCH_TIMEOUT = httpx.Timeout(120.0, connect=2.0)


class EventBatchIn(BaseModel):
    """The body of `POST /events/batch`: consecutive events of one outbox to one destination, in their order."""

    events: list[EventIn] = Field(min_length=1, max_length=BATCH_MAX)
    # the sender holds more events of these topics for this destination right behind these (a file's facts come in
    # batches of BATCH_MAX): the destination may wait for them before acting on the whole (scoring's recompute)
    more: bool = False


def enqueue(
    session: AsyncSession,
    model: type[OutboxEventMixin],
    *,
    destination: str,
    topic: str,
    payload: dict[str, Any],
) -> uuid.UUID:
    """Add an event to the outbox in the current transaction; returns its stable id."""
    event = new_event(model, destination=destination, topic=topic, payload=payload)
    session.add(event)
    pending(session, _WAKE).append(destination)
    return event.id  # type: ignore[no-any-return]


def new_event(model: type[OutboxEventMixin], *, destination: str, topic: str, payload: dict[str, Any]) -> Any:
    """An outbox row not yet in any session (`enqueue` adds it; a bulk write gathers many for `enqueue_all`)."""
    factory: Any = model
    return factory(id=uuid.uuid4(), destination=destination, topic=topic, payload=payload, attempts=0)


async def enqueue_all(session: AsyncSession, events: list[Any]) -> None:
    """Write the events made by `new_event` in the current transaction with one COPY (a bulk upload's thousands)."""
    await copy_objects(session, events)
    pending(session, _WAKE).extend(dict.fromkeys(event.destination for event in events))


async def apply_once(
    session: AsyncSession, model: type[InboxEventMixin], event: EventIn
) -> bool:
    """Record the event as applied; False when it had been applied before (ignore it)."""
    stmt = (
        insert(model)
        .values(event_id=event.id, topic=event.topic, source=event.source)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(model.event_id)
    )
    return (await session.execute(stmt)).first() is not None


async def apply_many_once(session: AsyncSession, model: type[InboxEventMixin], events: Sequence[EventIn]) -> set[Any]:
    """Record several events as applied with one statement (a batch); the ids of those not applied before. An id
    the batch holds twice is recorded once: the caller applies its first occurrence only."""
    first: dict[uuid.UUID, EventIn] = {}
    for event in events:
        first.setdefault(event.id, event)
    rows = [{"event_id": e.id, "topic": e.topic, "source": e.source} for e in first.values()]
    new = await insert_unnested(session, model.__table__, rows, conflict="event_id",  # type: ignore[attr-defined]
                                returning="event_id")
    return {uuid.UUID(str(event_id)) for event_id in new}


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … seconds, capped at five minutes."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


class OutboxRelay:
    """The background loop that delivers a service's outbox."""

    def __init__(
        self,
        db: Database,
        model: type[OutboxEventMixin],
        *,
        source: str,
        resolve_url: Callable[[str], str],
        batch_size: int = 100,
        idle_seconds: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
        batched_topics: frozenset[str] = frozenset(),
    ) -> None:
        self.db, self.model, self.source = db, model, source
        self.batched_topics = batched_topics  # sent several at a time to the destination's POST /events/batch
        self.resolve_url = resolve_url
        self.batch_size, self.idle_seconds = batch_size, idle_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client = peer_client(timeout=httpx.Timeout(10.0, connect=2.0), transport=transport)

    def wake(self, session: AsyncSession | None = None) -> None:
        """After-commit hook: deliver now when the transaction enqueued something."""
        if session is None or session.info.pop(_WAKE, None):
            self._wake.set()

    def start(self) -> None:
        self.db.after_commit.append(self.wake)
        self._task = asyncio.create_task(self._run(), name=f"outbox-{self.source}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.deliver_batch()
            except Exception:  # the relay must outlive a database restart
                log.exception("outbox delivery failed; retrying")
                sent = 0
            if sent < self.batch_size:
                self._wake.clear()
                await woken(self._wake, self.idle_seconds)

    async def deliver_batch(self) -> int:
        """Claim and send one batch of due events; returns how many were claimed."""
        async with self.db.sessionmaker() as session:
            rows = (await session.scalars(
                select(self.model)
                .where(self.model.delivered_at.is_(None), self.model.available_at <= clock.real_now())
                .order_by(self.model.created_at, self.model.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )).all()
            runs = _runs(rows, self.batched_topics)
            for index, run in enumerate(runs):
                if len(run) > 1:
                    await self._send_run(run, more=await self._more(session, rows, run, runs[index + 1:]))
                else:
                    await self._send(run[0])
            await session.commit()
        return len(rows)

    async def _more(self, session: AsyncSession, claimed: Sequence[OutboxEventMixin], run: list[OutboxEventMixin],
                    later: list[list[OutboxEventMixin]]) -> bool:
        """Whether more events of the batched topics to the run's destination wait right behind it: later in this
        claim, or, when the claim took all it could (`batch_size`), still due in the outbox after it."""
        destination = run[0].destination
        if any(r[0].destination == destination and r[0].topic in self.batched_topics for r in later):
            return True
        if len(claimed) < self.batch_size:
            return False
        last, model = claimed[-1], self.model
        behind = await session.scalar(
            select(model.id).where(model.delivered_at.is_(None), model.available_at <= clock.real_now(),
                                   model.destination == destination, model.topic.in_(self.batched_topics),
                                   tuple_(model.created_at, model.id) > (last.created_at, last.id)).limit(1))
        return behind is not None

    async def _send_run(self, rows: list[OutboxEventMixin], *, more: bool = False) -> None:
        """Consecutive events to one destination in one request, applied there in one transaction (scoring then
        recomputes once for all of them; with `more`, once for this batch and those right behind it). When the
        destination refuses the batch (one event it refuses refuses all, or it takes no batches), each is sent
        alone, as ever: a refused event then backs off alone and the others are delivered. When it does not
        answer, all back off together, to be sent as a batch again."""
        body: dict[str, Any] = {"events": [self._body(row) for row in rows], **({"more": True} if more else {})}
        try:
            response = await self._client.post(f"{self.resolve_url(rows[0].destination)}/events/batch", json=body,
                                               headers={"Authorization": f"Bearer {issue_service_token(SYSTEM)}"},
                                               timeout=BATCH_TIMEOUT)
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code >= 500:
                self._failed(rows, exc)
                return
            log.info("%d events to %s sent one by one: %s", len(rows), rows[0].destination, exc)
            for row in rows:
                await self._send(row)
            return
        except httpx.HTTPError as exc:
            self._failed(rows, exc)
            return
        now = clock.real_now()
        for row in rows:
            row.delivered_at = now
            row.attempts += 1

    def _failed(self, rows: Sequence[OutboxEventMixin], exc: Exception) -> None:
        """Not delivered: each row backs off (1 s doubling to 5 min) and records why."""
        for row in rows:
            row.attempts += 1
            row.available_at = clock.real_now() + backoff(row.attempts)
            row.last_error = str(exc)[:2000] or type(exc).__name__
            log.warning("event %s to %s failed (attempt %d): %s", row.id, row.destination, row.attempts, exc)

    def _body(self, row: OutboxEventMixin) -> dict[str, Any]:
        return {"id": str(row.id), "source": self.source, "topic": row.topic, "payload": row.payload}

    async def _send(self, row: OutboxEventMixin) -> None:
        body = self._body(row)
        headers = {"Authorization": f"Bearer {issue_service_token(SYSTEM)}"}
        try:
            response = await self._client.post(f"{self.resolve_url(row.destination)}/events",
                                               json=body, headers=headers)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            self._failed([row], exc)
            return
        row.delivered_at = clock.real_now()
        row.attempts += 1


def _runs(rows: Sequence[OutboxEventMixin], batched: frozenset[str]) -> list[list[OutboxEventMixin]]:
    """The claimed rows in order, as runs of consecutive batched-topic events to one destination (at most
    BATCH_MAX each) and single events."""
    runs: list[list[OutboxEventMixin]] = []
    for row in rows:
        last = runs[-1] if runs else None
        if last is not None and row.topic in batched and last[0].topic in batched \
                and last[0].destination == row.destination and len(last) < BATCH_MAX:
            last.append(row)
        else:
            runs.append([row])
    return runs
