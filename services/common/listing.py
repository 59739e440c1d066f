"""Shared pieces of the services' list endpoints: opaque keyset cursors and the organisation-path
filter that decides which owned objects (periods, schemes) a caller's grants make visible."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, false, func, literal, or_, true

from kaohe.i18n import _
from services.common.auth import Principal
from services.common.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000
T = TypeVar("T")
# An offset page of a period's list (appeals, notices, journal weeks, objections): where it starts and how long it is
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many rows to skip (the rows before the page).")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"How many rows, 1–{MAX_LIMIT}.")]


SubjectFilter = Annotated[str | None, Query(max_length=100, description="Only the rows of this subject.")]
StatusFilter = Annotated[str | None, Query(max_length=20, description="Only the rows of this status.")]


def filters(entity: Any, *, subject_id: str | None, status: str | None) -> list[ColumnElement[bool]]:
    """The SQL of a list's optional `subject_id` and `status` filters on `entity` (which has both columns)."""
    where: list[ColumnElement[bool]] = []
    if subject_id is not None:
        where.append(entity.subject_id == subject_id)
    if status is not None:
        where.append(entity.status == status)
    return where


class ListPage(BaseModel, Generic[T]):
    """One page of a list filtered by the service (the caller's scope included) and how many rows the list holds."""

    items: list[T]
    total_count: int


def encode_cursor(*values: Any) -> str:
    """An opaque cursor holding the sort key of the last row of a page."""
    return base64.urlsafe_b64encode(json.dumps([str(v) for v in values]).encode()).decode()


def decode_cursor(cursor: str | None, parts: int) -> list[str] | None:
    """The sort key inside `cursor` (None without one); anything else is bad input."""
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        values = None
    if not (isinstance(values, list) and len(values) == parts and all(isinstance(v, str) for v in values)):
        raise InvalidInput(_("the cursor is not one this list gave out"), details={"field": "after"})
    return values


def decode_position(cursor: str | None) -> tuple[datetime, str] | None:
    """The (instant, id) sort key inside `cursor` (None without one), for lists ordered by creation; anything else
    is bad input."""
    key = decode_cursor(cursor, 2)
    if key is None:
        return None
    try:
        instant = datetime.fromisoformat(key[0])
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise InvalidInput(_("the cursor is not one this list gave out"), details={"field": "after"})
    return instant, key[1]


def related_paths(column: Any, principal: Principal) -> ColumnElement[bool]:
    """Rows owned at `column` that the caller is related to: a service sees all; a grant sees what
    its scope covers (it works over the owner) and what covers its scope (it works inside the owner)."""
    if principal.kind == "service":
        return true()
    return scopes_related(column, {g.scope for g in principal.grants})


def scopes_covering(column: Any, scopes: Iterable[str]) -> ColumnElement[bool]:
    """`column` (an organisation path) is one of `scopes` or lies below one."""
    clauses: list[ColumnElement[bool]] = []
    for scope in sorted(set(scopes)):
        if scope == "":
            return true()
        clauses += [column == scope, func.left(column, len(scope) + 1) == scope + "/"]
    return or_(*clauses) if clauses else false()


def scopes_related(column: Any, scopes: Iterable[str]) -> ColumnElement[bool]:
    """`column` (an organisation path) lies on the same branch as one of `scopes` (no LIKE: `_` and
    `%` are ordinary characters in a path)."""
    clauses: list[ColumnElement[bool]] = []
    for scope in sorted(set(scopes)):
        if scope == "":
            return true()
        clauses += [column == scope, func.left(column, len(scope) + 1) == scope + "/",
                    func.left(literal(scope), func.length(column) + 1) == column.concat("/")]
    if not clauses:
        return false()
    return or_(column == "", *clauses)
