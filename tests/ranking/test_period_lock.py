"""Two first computations of a period ranking has not stored yet (the office's recompute and the one scoring's
notice starts, as `kaohe demo` met with a roll-up period) must not both insert it: the second waits for the
first. Two real connections, nothing committed."""

from __future__ import annotations

import asyncio

from services.common.db import Database, create_engine
from services.ranking.periods import repository


async def test_first_computations_of_a_new_period_wait_for_each_other(database_url: str) -> None:
    db = Database(create_engine(database_url, pool_size=3), "ranking")
    try:
        async with db.sessionmaker() as first, db.sessionmaker() as second, db.sessionmaker() as third:
            assert await repository.get(first, "not-yet-stored", lock=True) is None  # first holds the period
            waiting = asyncio.create_task(repository.get(second, "not-yet-stored", lock=True))
            await asyncio.sleep(0.5)
            assert not waiting.done()  # second waits instead of going on to insert the same period
            # another period is not held up
            assert await asyncio.wait_for(repository.get(third, "another", lock=True), 10) is None
            await third.rollback()
            await first.rollback()  # the first's transaction ends (it would have stored the row)
            assert await asyncio.wait_for(waiting, 10) is None
            await second.rollback()
    finally:
        await db.dispose()
