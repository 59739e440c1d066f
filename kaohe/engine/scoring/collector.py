"""Pausing CPython's cyclic collector over a step that allocates many objects and makes no cycles.

The engines build no reference cycles, and while scoring buckets millions of facts or ranking builds
the result document, the collector would repeatedly walk every object just made and free nothing.
The scoring service pauses it the same way around its own bulk steps of a first recompute (its
value list, its COPY rows, the parsed fact bodies: docs/performance.md, "Full recompute, third
pass"). Reference counting still frees everything as usual.
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
