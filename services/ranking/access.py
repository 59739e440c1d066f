"""Who may see and act on which result: staff by unit subtree, subjects their own result."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlalchemy import ColumnElement, false, or_

from services.common import clock
from services.common.auth import UNIT_ACCOUNT_ROLES, Principal, Role
from services.common.listing import scopes_covering

STAFF_READERS: tuple[Role, ...] = ("admin", "assessor", "reviewer", "auditor")
# A unit's own account (role subject or submitter granted exactly on that unit) speaks for the unit.
OWN_ROLES: tuple[Role, ...] = UNIT_ACCOUNT_ROLES
# Results before 公示 belong to the office roles (within their subtree); from the 公示 on, a unit's head
# (reviewer over it) and the subject itself see what the 公示 shows, nothing more (docs/decisions.md)
OFFICE_READERS: tuple[Role, ...] = ("admin", "assessor", "auditor")
PUBLIC_READERS: tuple[Role, ...] = ("reviewer",)


def is_own(principal: Principal, subject_id: str, unit_path: str) -> bool:
    """The caller is the subject itself, or the account of the unit the subject is or belongs to."""
    if subject_id in principal.subject_ids:
        return True
    return principal.is_unit_account(unit_path)


def can_read(principal: Principal, subject_id: str, unit_path: str) -> bool:
    """Staff within scope, auditors everywhere, a subject its own result."""
    return principal.can(STAFF_READERS, unit_path) or is_own(principal, subject_id, unit_path)


def readable(principal: Principal, subject_id: Any, unit_path: Any) -> ColumnElement[bool]:
    """`can_read` as SQL on a row's subject id and unit path columns."""
    own_units = sorted({g.scope for g in principal.grants if g.role in OWN_ROLES})
    return or_(scopes_covering(unit_path, principal.scopes_for(*STAFF_READERS)),
               subject_id.in_(list(principal.subject_ids)) if principal.subject_ids else false(),
               unit_path.in_(own_units) if own_units else false())


def can_read_current(principal: Principal, unit_path: str) -> bool:
    """The office roles over the subject read its current result, whatever the period's state."""
    return principal.can(OFFICE_READERS, unit_path)


def can_read_published(principal: Principal, subject_id: str, unit_path: str) -> bool:
    """Who reads what a 公示 shows of the subject: the office roles, the unit's head, the subject itself."""
    return principal.can((*OFFICE_READERS, *PUBLIC_READERS), unit_path) or is_own(principal, subject_id, unit_path)


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
