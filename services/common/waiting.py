"""Waiting for a wake-up with a time limit, in the background loops (outbox relay, recomputer, webhook dispatcher,
event stream).

`asyncio.wait_for(event.wait(), seconds)` is not used for this: in Python 3.11, when the task is cancelled at the
moment the event is set, wait_for returns the event's result and the cancellation is lost, so a loop around it
never stops (a shutdown that waits for it hangs). `asyncio.timeout` lets a cancellation through.
"""

from __future__ import annotations

import asyncio


async def woken(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set (True) or `seconds` have passed (False); a cancellation always propagates."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
