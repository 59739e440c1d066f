"""Who may see and act on which result: staff by unit subtree, subjects their own result."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request

from services.common import clock
from services.common.auth import Principal, Role
from services.common.errors import Forbidden

STAFF_READERS: tuple[Role, ...] = ("admin", "assessor", "reviewer", "auditor")
# A unit's own account (role subject or submitter granted exactly on that unit) speaks for the unit.
OWN_ROLES: tuple[Role, ...] = ("subject", "submitter")
PUBLISHED = ("published", "finalized")


def is_own(principal: Principal, subject_id: str, unit_path: str) -> bool:
    """The caller is the subject itself, or the account of the unit the subject is or belongs to."""
    if subject_id in principal.subject_ids:
        return True
    return any(g.role in OWN_ROLES and g.scope == unit_path for g in principal.grants)


def can_read(principal: Principal, subject_id: str, unit_path: str) -> bool:
    """Staff within scope, auditors everywhere, a subject its own result."""
    return principal.can(STAFF_READERS, unit_path) or is_own(principal, subject_id, unit_path)


def require_read(principal: Principal, subject_id: str, unit_path: str) -> None:
    if not can_read(principal, subject_id, unit_path):
        raise Forbidden(f"{principal.subject} may not read the result of {subject_id}")


def require_office(principal: Principal, scope_path: str) -> None:
    """Publishing, finalizing, reopening and recomputing belong to the office (admin) over the period."""
    if principal.kind == "service" and principal.can("admin", ""):
        return
    principal.require("admin", scope_path)


def own_unit_scopes(principal: Principal) -> list[str]:
    return sorted({g.scope for g in principal.grants if g.role in OWN_ROLES})


def utc_now() -> datetime:
    """Business time (services/common/clock.py)."""
    return clock.now()


def get_clock(request: Request) -> datetime:
    """The current time; tests set `app.state.clock` to move it."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utc_now()


Now = Annotated[datetime, Depends(get_clock)]


PeriodId = Annotated[str, Path(min_length=1, max_length=100)]
SubjectId = Annotated[str, Path(min_length=1, max_length=100)]
