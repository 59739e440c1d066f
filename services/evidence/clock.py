"""The service's notion of "now", replaceable in tests (`app.state.clock`) so deadlines are reproducible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from kaohe.i18n import _
from services.common import clock
from services.common.errors import InvalidInput


def system_now() -> datetime:
    """Business time (services/common/clock.py)."""
    return clock.now()


def current_time(request: Request) -> datetime:
    """FastAPI dependency: now, from `app.state.clock` when set."""
    clock: Callable[[], datetime] = getattr(request.app.state, "clock", None) or system_now
    return clock()


Now = Annotated[datetime, Depends(current_time)]


def sweep_moment(requested: datetime | None, now: datetime) -> datetime:
    """The moment a sweep endpoint runs at: a past moment may be replayed, a future one never (it would
    let a caller turn pending deadlines into default agreements early)."""
    if requested is None:
        return now
    if requested.tzinfo is None:
        raise InvalidInput(_("now must carry a time zone"), details={"field": "now"})
    if requested > now:
        raise InvalidInput(_("now cannot be in the future"), details={"field": "now"})
    return requested
