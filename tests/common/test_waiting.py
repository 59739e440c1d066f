"""`woken`: the background loops' wait for a wake-up, which a cancellation always stops (services/common/waiting.py).
The race it exists for: the event is set and the task cancelled in the same turn of the loop — asyncio.wait_for
(Python 3.11) then returns True and the cancellation is lost, so a loop around it could not be stopped."""

from __future__ import annotations

import asyncio
import time

import pytest

from services.common.waiting import woken


async def test_set_wakes_and_time_runs_out() -> None:
    event = asyncio.Event()
    started = time.monotonic()
    assert await woken(event, 0.05) is False
    assert time.monotonic() - started >= 0.05
    event.set()
    assert await woken(event, 10) is True


async def test_a_cancellation_at_the_moment_of_the_wake_up_is_not_lost() -> None:
    for _ in range(20):
        event = asyncio.Event()
        waiting = asyncio.create_task(woken(event, 10))
        await asyncio.sleep(0.001)  # it waits
        event.set()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting


async def test_a_loop_built_on_it_stops_when_cancelled_while_it_is_being_woken() -> None:
    event, rounds = asyncio.Event(), [0]

    async def loop() -> None:
        while True:
            event.clear()
            rounds[0] += 1
            await woken(event, 10)

    running = asyncio.create_task(loop())
    await asyncio.sleep(0.001)
    event.set()
    running.cancel()
    done, _ = await asyncio.wait({running}, timeout=2)
    assert done == {running} and running.cancelled() and rounds[0] == 1
