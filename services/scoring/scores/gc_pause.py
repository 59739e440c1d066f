"""Pausing CPython's cyclic collector over a step that allocates many objects and makes no cycles.

A first recompute holds 150,000 fact bodies and the engine's state for them; building its value
list, its COPY rows or the parsed fact bodies triggers full collections that walk all of that and
free nothing (docs/performance.md, "Full recompute, third pass"). The engine pauses the collector
the same way (engine/subset.py). Reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """The collector disabled inside the block (and enabled after it if it was before)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
