"""The service's notion of "now", replaceable in tests (`app.state.clock`) so deadlines are reproducible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request


def system_now() -> datetime:
    return datetime.now(UTC)


def current_time(request: Request) -> datetime:
    """FastAPI dependency: now, from `app.state.clock` when set."""
    clock: Callable[[], datetime] = getattr(request.app.state, "clock", None) or system_now
    return clock()


Now = Annotated[datetime, Depends(current_time)]
