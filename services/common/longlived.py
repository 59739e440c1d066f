"""Keeping a service's large long-lived caches out of the cycle collector's full passes.

A service that has just built a large cache (scoring: a period's facts and engine state, ~130,000
containers at 5,000 staff; ranking: a period's scores and documents, ~70,000) keeps it for as long as
the period is in use, and CPython's full collection walks all of it again every few dozen changes:
130-200 ms inside whichever change it lands in, the tail of the change latency (docs/performance.md,
"Fourth pass"). `settle_after_commit` asks for one full collection and a `gc.freeze()` once the
transaction that built such a cache has committed (in a request: once its response has been sent):
what is alive then is moved out of the collector's sight (reference counting still frees it when the
cache drops it), and later full passes walk only what was made since.

The price (docs/decisions.md, "Long-lived caches frozen after they are built"): an object alive at a
settle that later becomes garbage *inside a reference cycle* is never reclaimed. The caches hold no
cycles (plain dicts, lists, tuples, dataclasses); what else is alive at that instant (the request in
flight, connections) is small, and a settle happens only when a cache is built again (a period loaded
by scoring, a period's scores read in full by ranking), not per change.
"""

from __future__ import annotations

import asyncio
import gc
from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

_SETTLE = "settle_long_lived"
# Inside an HTTP request: the settles its transactions asked for, run once the response has been sent.
_AFTER_RESPONSE: ContextVar[list[bool] | None] = ContextVar("settle_after_response", default=None)
settles = 0  # how many settles ran in this process (tests)
SETTLE_DELAY_S = 0.05


def settle_after_commit(session: AsyncSession) -> None:
    """This transaction built a large long-lived cache: settle once it has committed."""
    session.info[_SETTLE] = True


def after_commit(session: AsyncSession | None = None) -> None:
    """Database after-commit hook (installed by every service). In an HTTP request the settle runs
    after the response has been sent (SettleAfterResponse), so the caller does not wait for it;
    elsewhere (a background loop) after the commit; in both cases SETTLE_DELAY_S later (_later)."""
    if session is None or not session.info.pop(_SETTLE, False):
        return
    asked = _AFTER_RESPONSE.get()
    if asked is not None:
        asked.append(True)
        return
    _later()


def _later() -> None:
    """The settle, SETTLE_DELAY_S from now on the event loop: whoever waits for the step that asked for
    it (the client of a response just sent, when it shares the loop as in bench/period.py; the next
    statement of a background loop) goes first."""
    try:
        asyncio.get_running_loop().call_later(SETTLE_DELAY_S, settle)
    except RuntimeError:  # no loop (a synchronous caller): at once
        settle()


class SettleAfterResponse:
    """ASGI middleware: runs the settle a request's transactions asked for once its response is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked: list[bool] = []
        token = _AFTER_RESPONSE.set(asked)
        try:
            await self.app(scope, receive, send)
        finally:
            _AFTER_RESPONSE.reset(token)
            if asked:
                _later()


def settle() -> None:
    """One full collection, then everything that survived it is frozen."""
    global settles
    settles += 1
    gc.collect()
    gc.freeze()
