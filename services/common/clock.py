"""The one "now" of every kaohe process: the system clock plus an optional offset.

Outside production, `KAOHE_CLOCK_FILE` may name a file holding an offset in seconds (an integer or
a decimal, negative allowed; empty or missing means 0). Every service reads business time through
`now()`, so an end-to-end test or a rehearsal can move a running stack past a publication window
or a deadline by writing that file. The file is re-read only when its mtime or size changes (one
`stat` per call). Production refuses the setting at start-up (`load_settings`).

Infrastructure timing (token expiry, the outbox's and the webhooks' due times, back-off and leases, the
recompute debounce, database defaults) stays on the real clock, `real_now()`: whatever schedules work that a
loop later compares with its own "now" must take both instants from the same clock; see docs/decisions.md.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from services.common.settings import get_settings

log = logging.getLogger("kaohe.clock")
ZERO = timedelta(0)
MAX_OFFSET = timedelta(days=3660)  # ten years either way: anything larger is a typo


@dataclass
class _Cache:
    path: Path | None = None
    key: tuple[int, int] | None = None
    offset: timedelta = ZERO


_cache = _Cache()


def parse_offset(text: str) -> timedelta:
    """The offset a clock file holds: seconds as an integer or decimal; blank is zero."""
    raw = text.strip()
    if not raw:
        return ZERO
    try:
        seconds = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"the clock file must hold a number of seconds, not {raw[:40]!r}") from None
    if not seconds.is_finite():
        raise ValueError("the clock offset must be a finite number of seconds")
    if abs(seconds) > Decimal(MAX_OFFSET.days * 86400):
        raise ValueError(f"the clock offset {raw[:40]} is more than {MAX_OFFSET.days} days")
    return timedelta(microseconds=int(seconds * 1_000_000))


def _read(path: Path) -> timedelta:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        _cache.key, _cache.offset = None, ZERO
        return ZERO
    key = (stat.st_mtime_ns, stat.st_size)
    if key != _cache.key:
        try:
            _cache.offset = parse_offset(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # keep the last good offset; say why once per change
            log.warning("clock file %s ignored: %s", path, exc)
        _cache.key = key
    return _cache.offset


def offset() -> timedelta:
    """The current offset of this process's clock (zero without KAOHE_CLOCK_FILE)."""
    path = get_settings().clock_file
    if path is None:
        return ZERO
    if path != _cache.path:
        _cache.path, _cache.key, _cache.offset = path, None, ZERO
    return _read(path)


def real_now() -> datetime:
    """Infrastructure time: the system's UTC instant, never offset (due times, back-off, leases, expiry)."""
    return datetime.now(UTC)


def now() -> datetime:
    """Business time: the current UTC instant plus the clock file's offset."""
    return real_now() + offset()
