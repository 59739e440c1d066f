"""`paused_gc`: CPython's cycle collector paused while the engine scores or ranks a whole period.

The engine builds no reference cycles, and while it buckets the facts and builds the scores and the
result document, the collector's passes would walk every object it has just made and free nothing;
reference counting still frees everything as usual. The pause is process-wide, so it is taken only on
the main thread, where nothing else of the process runs until the engine returns (a synchronous call);
in a worker thread (a service scoring a period with `asyncio.to_thread`) the collector is left alone,
since the event loop goes on serving requests meanwhile. bench/engine.py shows what it is worth
(docs/performance.md, "Engine").
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """The collector disabled inside the block on the main thread (enabled after it if it was before)."""
    if threading.current_thread() is not threading.main_thread() or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
