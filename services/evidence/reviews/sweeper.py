"""The periodic deadline sweep, run in the background of the app (and by hand through the API)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from services.common import clock
from services.common.db import Database, session_scope
from services.evidence.config import evidence_settings
from services.evidence.journals.service import sweep_missing
from services.evidence.ratings.service import close_due
from services.evidence.rectifications.service import sweep_overdue
from services.evidence.reviews.service import sweep_deadlines, sweep_due_soon

log = logging.getLogger("kaohe.evidence.sweeper")


async def sweep_once(db: Database, now: datetime | None = None) -> int:
    """One sweep (review deadlines, missing journals, rating tasks, overdue notices) in its own transaction."""
    moment, count = now or clock.now(), 0
    async for session in session_scope(db):  # run the generator to its end: that is where it commits
        count = (await sweep_deadlines(session, moment) + await sweep_missing(session, moment)
                 + await close_due(session, moment) + await sweep_overdue(session, moment))
        await sweep_due_soon(session, moment)  # announcements only: not counted as changes
    return count


async def _loop(app: Any, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep_once(app.state.db)
        except Exception:  # the sweep must outlive a database restart
            log.exception("deadline sweep failed; retrying later")


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Run the sweep every few minutes while the app lives (not when the relay is off, as in tests)."""
    task = None
    if getattr(app.state, "run_relay", True):
        task = asyncio.create_task(_loop(app, evidence_settings().sweep_interval_seconds), name="evidence-sweep")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        client = getattr(app.state, "scoring_client", None)
        if client is not None:
            await client.close()
            app.state.scoring_client = None
