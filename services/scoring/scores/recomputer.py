"""The recompute loop: fact changes of a period become one recompute, started as soon as they commit.

Pending work is durable (`period.recompute_due_at`), so a restart loses nothing; several instances
split the periods between them (`FOR UPDATE SKIP LOCKED`). A commit that marks a period due wakes
this process's loop at once (after-commit hook); other instances find the period by polling every
`tick_seconds`. Changes that arrive while a recompute runs wait on the period's row lock, mark the
period due again when it is released, and are taken together by the next round (coalescing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.db import Database, session_scope
from services.common.waiting import woken
from services.scoring.periods.service import DUE_WAKE
from services.scoring.scores import repository as repo
from services.scoring.scores.cache import ScoresCache
from services.scoring.scores.service import recompute

_unit_of_work = contextlib.asynccontextmanager(session_scope)
log = logging.getLogger("kaohe.scoring.recompute")


class Recomputer:
    """Recomputes due periods: at once when this process committed the change, else on the next poll."""

    def __init__(self, db: Database, cache: ScoresCache, *, quiet_seconds: float = 0.0,
                 tick_seconds: float = 0.5) -> None:
        self.db, self.cache, self.quiet, self.tick = db, cache, timedelta(seconds=quiet_seconds), tick_seconds
        self.hold = False  # benchmarks pause the loop while they set a period up
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self, session: AsyncSession | None = None) -> None:
        """After-commit hook: a transaction that marked a period due starts the loop now."""
        if session is None or session.info.pop(DUE_WAKE, None):
            self._wake.set()

    async def run_due(self, now: datetime | None = None) -> int:
        """Recompute every period that is due; returns how many were recomputed."""
        done = 0
        while await self._one((now or clock.real_now()) - self.quiet):
            done += 1
        return done

    async def _one(self, quiet_before: datetime) -> bool:
        async with _unit_of_work(self.db) as session:
            period = await repo.claim_due_period(session, quiet_before)
            if period is None:
                return False
            await recompute(session, self.cache, period, cause="events")
        return True

    def start(self) -> None:
        self.db.after_commit.append(self.wake)
        self._task = asyncio.create_task(self._run(), name="scoring-recompute")

    async def stop(self) -> None:
        if self.wake in self.db.after_commit:
            self.db.after_commit.remove(self.wake)
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                if not self.hold:
                    await self.run_due()
            except Exception:  # survive a database restart; the work stays due
                log.exception("recompute failed; retrying")
                await asyncio.sleep(1.0)
            await woken(self._wake, self.tick)
