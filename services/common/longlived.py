"""Keeping a service's large long-lived caches out of the cycle collector's full passes.

A service that has just built a large cache (scoring: a period's facts and engine state, ~130,000
containers at 5,000 staff; ranking: a period's scores and documents, ~70,000) keeps it for as long as
the period is in use, and CPython's full collection walks all of it again every few dozen changes:
130-200 ms inside whichever change it lands in, the tail of the change latency (docs/performance.md,
"Fourth pass"). `settle_after_commit` asks for one full collection and a `gc.freeze()` right after
the transaction that built such a cache commits: what is alive then is moved out of the collector's
sight (reference counting still frees it when the cache drops it), and later full passes walk only
what was made since.

The price (docs/decisions.md, "Long-lived caches frozen after they are built"): an object alive at a
settle that later becomes garbage *inside a reference cycle* is never reclaimed. The caches hold no
cycles (plain dicts, lists, tuples, dataclasses); what else is alive at that instant (the request in
flight, connections) is small, and a settle happens only when a cache is built again (a period loaded,
scored in full, or read in full), not per change.
"""

from __future__ import annotations

import asyncio
import gc

from sqlalchemy.ext.asyncio import AsyncSession

_SETTLE = "settle_long_lived"
settles = 0  # how many settles ran in this process (tests)


def settle_after_commit(session: AsyncSession) -> None:
    """This transaction built a large long-lived cache: settle once it has committed."""
    session.info[_SETTLE] = True


def after_commit(session: AsyncSession | None = None) -> None:
    """Database after-commit hook (installed by every service): schedules the settle asked for, after
    the current step of the event loop (the response of the request that committed goes out first)."""
    if session is not None and session.info.pop(_SETTLE, False):
        try:
            asyncio.get_running_loop().call_soon(settle)
        except RuntimeError:  # no loop (a synchronous caller): at once
            settle()


def settle() -> None:
    """One full collection, then everything that survived it is frozen."""
    global settles
    settles += 1
    gc.collect()
    gc.freeze()
