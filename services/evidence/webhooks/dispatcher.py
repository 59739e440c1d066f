"""The webhook dispatcher: sends queued deliveries, at least once, without one receiver holding up another.

Each evidence process runs one. A round claims due deliveries (SKIP LOCKED, only the head of each
subscription's queue for an entity, at most `per_subscription` in flight per subscription), leases them
(a process that dies mid-send leaves a lease that runs out, and the delivery is sent again), commits, and
sends each in its own task: a receiver that is slow or dead ties up its own few slots for at most the
timeout, never the others'. A failure is retried with exponential backoff and jitter until the retry window
(24 hours or more) has passed; a subscription whose deliveries have all failed for the disable period is
disabled, with a `webhook.disabled` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import audit, clock
from services.common.db import Database, session_scope
from services.common.localtime import shown_instant
from services.common.stored_text import english, message
from services.common.waiting import woken
from services.evidence.webhooks import repository, service
from services.evidence.webhooks.models import WebhookSubscription
from services.evidence.webhooks.signing import signature_header
from services.evidence.webhooks.ssrf import Refused, Resolver, Unreachable, UrlPolicy, system_resolver

log = logging.getLogger("kaohe.webhooks")
USER_AGENT = "kaohe-webhooks/1"


@dataclass(frozen=True)
class Timing:
    """Backoff: attempt n waits base·4^(n-1), at most `cap`, times a jitter of ±25 %."""

    timeout: float = 10.0
    base: float = 5.0
    cap: float = 6 * 3600.0
    retry_window: timedelta = timedelta(hours=24)
    disable_after: timedelta = timedelta(hours=72)
    idle: float = 1.0
    lease_seconds: float | None = None  # how long a claim holds a delivery; default: the timeout plus 30 s

    def backoff(self, attempts: int) -> timedelta:
        delay = min(self.base * 4 ** max(attempts - 1, 0), self.cap)
        return timedelta(seconds=delay * random.uniform(0.75, 1.25))  # noqa: S311 - jitter, not a secret

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds if self.lease_seconds is not None else self.timeout + 30)


def configured_timing() -> Timing:
    from services.evidence.config import evidence_settings

    conf = evidence_settings()
    return Timing(timeout=conf.webhook_timeout_seconds, retry_window=timedelta(hours=conf.webhook_retry_hours),
                  disable_after=timedelta(hours=conf.webhook_disable_after_hours))


@dataclass(frozen=True)
class Job:
    """One claimed delivery and what its request needs."""

    delivery_id: int
    url: str
    secrets: list[str]
    message_id: str
    payload: dict[str, Any]


@dataclass
class Outcome:
    ok: bool
    status: int | None
    latency_ms: int
    error: str | None


class Dispatcher:
    def __init__(self, db: Database, *, policy: UrlPolicy | None = None, timing: Timing | None = None,
                 concurrency: int = 32, per_subscription: int = 4, resolver: Resolver = system_resolver,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.db = db
        self.policy = policy or service.url_policy()
        self.timing = timing or configured_timing()
        self.concurrency, self.per_subscription = concurrency, per_subscription
        self.resolver = resolver
        timeout = httpx.Timeout(self.timing.timeout, connect=min(2.0, self.timing.timeout))
        self._client = httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False,
                                         timeout=timeout, headers={"User-Agent": USER_AGENT})
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._sending: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None

    def wake(self, session: AsyncSession | None = None) -> None:
        """After-commit hook: send at once when the transaction queued deliveries."""
        if session is None or session.info.pop(service.WAKE, None):
            self._wake.set()

    def start(self) -> None:
        if self.wake not in self.db.after_commit:
            self.db.after_commit.append(self.wake)
        self._task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        """Stop sending; deliveries in flight are abandoned (their leases run out and they are sent again)."""
        if self._task is not None:
            with contextlib.suppress(ValueError):
                self.db.after_commit.remove(self.wake)
        tasks = [t for t in (self._task, *self._sending) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._client.aclose()

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # before the round: a commit during it wakes the next one at once
            try:
                claimed = await self.dispatch_round()
            except Exception:  # the dispatcher must outlive a database restart
                log.exception("webhook dispatch failed; retrying")
                claimed = 0
            if claimed == 0:
                await woken(self._wake, self.timing.idle)

    async def dispatch_round(self) -> int:
        """Claim what can be sent now and start sending it; returns how many deliveries were claimed."""
        free = self.concurrency - len(self._sending)
        if free <= 0:
            await asyncio.wait(self._sending, return_when=asyncio.FIRST_COMPLETED)
            return 1
        claimed = await self._claim(free)
        for job in claimed:
            task = asyncio.create_task(self._deliver(job))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return len(claimed)

    async def drain(self) -> None:
        """Wait for the sends in flight (tests and the bench)."""
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)

    async def _claim(self, free: int) -> list[Job]:
        """Lease what can go now, with everything its requests need (one statement, committed at once)."""
        now = clock.real_now()
        async with self.db.sessionmaker() as session:
            rows = await repository.claim(session, now, now + self.timing.lease, free, self.per_subscription)
            await session.commit()
        return [Job(row.id, row.url or "", list(row.secrets or []), f"msg_{row.event_id.hex}", row.payload)
                for row in rows]

    async def _deliver(self, job: Job) -> None:
        try:
            outcome = await self.send(job.url, job.message_id, job.payload, job.secrets)
            await self._record(job.delivery_id, outcome)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook delivery %s failed unexpectedly; its lease will run out and it is retried",
                          job.delivery_id)

    async def send(self, url: str, message_id: str, payload: dict[str, Any], secrets: list[str]) -> Outcome:
        """One signed POST to a checked address; redirects are not followed (a 3xx is a failure)."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        started = time.perf_counter()
        try:
            target = await self.policy.resolve(url, self.resolver)
        except Unreachable as exc:
            log.warning("webhook delivery %s refused: %s", message_id, exc.args[0] if exc.args else exc)
            return Outcome(False, None, 0, message("webhook.not_public", host=urlsplit(url).hostname or ""))
        except Refused as exc:
            return Outcome(False, None, 0, message("webhook.refused", reason=exc.args[0] if exc.args else str(exc)))
        timestamp = int(time.time())
        headers = {"Content-Type": "application/json", "Host": target.host_header,
                   "webhook-id": message_id, "webhook-timestamp": str(timestamp),
                   "webhook-signature": signature_header(secrets, message_id, timestamp, body)}
        try:
            async with self._slots:
                response = await self._client.post(target.url, content=body.encode(), headers=headers,
                                                   extensions={"sni_hostname": target.server_name})
        except httpx.HTTPError as exc:
            latency = int((time.perf_counter() - started) * 1000)
            return Outcome(False, None, latency, message("webhook.request_failed",
                                                         error=f"{type(exc).__name__}: {exc}"[:2000]))
        latency = int((time.perf_counter() - started) * 1000)
        if 200 <= response.status_code < 300:
            return Outcome(True, response.status_code, latency, None)
        return Outcome(False, response.status_code, latency,
                       message("webhook.http_status", status=response.status_code))

    async def _record(self, delivery_id: int, outcome: Outcome) -> None:
        async for session in session_scope(self.db):  # run to its end: that is where it commits
            if outcome.ok:
                await repository.delivered(session, delivery_id, clock.real_now(), outcome.status,
                                           outcome.latency_ms)
            else:
                await self._apply(session, delivery_id, outcome)
        self._wake.set()  # a subscription's slot is free: what waited for it can go now, not at the next idle round

    async def _apply(self, session: AsyncSession, delivery_id: int, outcome: Outcome) -> None:
        """A failed attempt: retry later or give up, and count it against the subscription."""
        now = clock.real_now()
        delivery = await repository.delivery(session, delivery_id)
        if delivery is None or delivery.state != "pending":
            return
        subscription = await repository.subscription(session, delivery.subscription_id, lock=True)
        delivery.attempts += 1
        delivery.last_attempt_at, delivery.leased_until = now, None
        delivery.response_status, delivery.latency_ms, delivery.last_error = (
            outcome.status, outcome.latency_ms, outcome.error)
        if now - delivery.created_at >= self.timing.retry_window:
            delivery.state = "failed"
        else:
            delivery.next_attempt_at = now + self.timing.backoff(delivery.attempts)
        if subscription is not None:
            self._count_failure(session, subscription, now, outcome)

    def _count_failure(self, session: AsyncSession, subscription: WebhookSubscription, now: datetime,
                       outcome: Outcome) -> None:
        subscription.consecutive_failures += 1
        subscription.failing_since = subscription.failing_since or now
        if subscription.status == "active" and now - subscription.failing_since >= self.timing.disable_after:
            reason = message("webhook.disabled", since=shown_instant(subscription.failing_since),
                             attempts=subscription.consecutive_failures, last=outcome.error)
            subscription.status, subscription.disabled_reason = "disabled", reason
            subscription.updated_at = now
            audit.record(session, actor="system:webhooks", action="webhook.disabled",
                         entity_type="webhook_subscription", entity_id=subscription.id,
                         details={"reason": english(reason)})
            service.announce_disabled(session, subscription, reason)
            log.warning("webhook subscription %s disabled: %s", subscription.id, reason)
