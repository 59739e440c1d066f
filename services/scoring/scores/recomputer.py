"""The debounced recompute loop: a burst of fact events for a period becomes one recompute.

Pending work is durable (`period.recompute_due_at`), so a restart loses nothing; several instances
split the periods between them (`FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from services.common.db import Database, session_scope
from services.scoring.scores import repository as repo
from services.scoring.scores.service import recompute

_unit_of_work = contextlib.asynccontextmanager(session_scope)
log = logging.getLogger("kaohe.scoring.recompute")


class Recomputer:
    """Recomputes periods once their fact changes have been quiet for `quiet_seconds`."""

    def __init__(self, db: Database, *, quiet_seconds: float = 0.2, tick_seconds: float = 0.1) -> None:
        self.db, self.quiet, self.tick = db, timedelta(seconds=quiet_seconds), tick_seconds
        self._task: asyncio.Task[None] | None = None

    async def run_due(self, now: datetime | None = None) -> int:
        """Recompute every period that is due; returns how many were recomputed."""
        done = 0
        while await self._one((now or datetime.now(UTC)) - self.quiet):
            done += 1
        return done

    async def _one(self, quiet_before: datetime) -> bool:
        async with _unit_of_work(self.db) as session:
            period = await repo.claim_due_period(session, quiet_before)
            if period is None:
                return False
            await recompute(session, period, cause="events")
        return True

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scoring-recompute")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:  # survive a database restart; the work stays due
                log.exception("recompute failed; retrying")
                await asyncio.sleep(1.0)
            await asyncio.sleep(self.tick)
