"""Relay-style cursor pagination (`first`/`after`, edges, nodes, `pageInfo`) over service lists."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, Selection

from gateway.protection import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from kaohe.i18n import _
from services.common.errors import InvalidInput

T = TypeVar("T")
CURSOR_PREFIX = "o:"


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="One page of a list; pass `pageInfo.endCursor` as `after` for the next.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T]
    page_info: PageInfo
    total_count: int


def encode_cursor(offset: int) -> str:
    """An opaque cursor for the item at `offset`."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset after `cursor` (0 without one); a malformed cursor is bad input."""
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith(CURSOR_PREFIX) or len(cursor) > 40:
            raise ValueError(cursor)
        return int(raw[len(CURSOR_PREFIX):]) + 1
    except ValueError:
        raise InvalidInput(_("the cursor is not one this list gave out"),
                           details=[{"field": "after", "reason": "unknown cursor"}]) from None


def page_size(first: int | None) -> int:
    """`first`, defaulted and checked against the cap (variables bypass the validation rule)."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0 or size > MAX_PAGE_SIZE:
        raise InvalidInput(_("first must be between 0 and %(max_page_size)s", max_page_size=MAX_PAGE_SIZE),
                           details=[{"field": "first", "reason": "out of range"}])
    return size


def paginate(items: Sequence[T], first: int | None, after: str | None) -> Connection[T]:
    """The page of `items` after the cursor `after`."""
    start, size = decode_cursor(after), page_size(first)
    chosen = items[start:start + size]
    edges = [Edge(cursor=encode_cursor(start + i), node=item) for i, item in enumerate(chosen)]
    info = PageInfo(
        has_next_page=start + size < len(items), has_previous_page=start > 0,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, nodes=[e.node for e in edges], page_info=info, total_count=len(items))


def offset_page(items: Sequence[tuple[int, T]], *, offset: int, consumed: int, total: int) -> Connection[T]:
    """A page a service has already cut: `(index in the page, item)` pairs of the `consumed` rows
    read at `offset` out of `total` (rows the caller may not see are left out)."""
    edges = [Edge(cursor=encode_cursor(offset + i), node=item) for i, item in items]
    info = PageInfo(
        has_next_page=offset + consumed < total, has_previous_page=offset > 0,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, nodes=[e.node for e in edges], page_info=info, total_count=total)


def keyset_page(items: Sequence[tuple[str, T]], *, after: str | None, next_cursor: str | None,
                total: int) -> Connection[T]:
    """A page a service cut with keyset cursors: `(cursor of the item, item)` pairs, the service's
    cursor after the page (None on the last page) and the count of the whole list."""
    edges = [Edge(cursor=cursor, node=item) for cursor, item in items]
    info = PageInfo(
        has_next_page=next_cursor is not None, has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, nodes=[e.node for e in edges], page_info=info, total_count=total)


def service_keyset_page(found: Sequence[tuple[str, T]], *, first: int | None, after: str | None,
                        body: Any) -> Connection[T]:
    """The connection of a page a service cut by cursor (`{items, next, total_count}`), its rows with their cursors
    in `found`; `first: 0` asks only for the count."""
    next_cursor = body.get("next") if isinstance(body, dict) else None
    total = int(body.get("total_count") or 0) if isinstance(body, dict) else 0
    if page_size(first) == 0:
        found, next_cursor = [], (after or "") if found else None
    return keyset_page(found, after=after, next_cursor=next_cursor, total=total)


def service_page_params(first: int | None, after: str | None) -> dict[str, str]:
    """The `limit` (at least 1: `first: 0` still reads a row to tell whether the list is empty) and `after` of a
    page a service cuts by cursor, `first` checked against the cap."""
    return {"limit": str(max(page_size(first), 1)), **({"after": after} if after else {})}


def _names(selections: Sequence[Selection]) -> Iterator[tuple[str, Sequence[Selection]]]:
    for selection in selections:
        if isinstance(selection, FragmentSpread | InlineFragment):
            yield from _names(selection.selections)
        else:
            yield selection.name, selection.selections


def asks_total(info: Info[Any, Any]) -> bool:
    """Whether the query asks a connection's `totalCount` (a service need not count a list nobody reads the size
    of)."""
    return any(name == "totalCount" for _name, selections in _names(info.selected_fields)
               for name, _below in _names(selections))


def node_fields(info: Info[Any, Any]) -> set[str]:
    """The fields a connection's query asks of its items (under `nodes` and `edges { node }`)."""
    wanted: set[str] = set()
    for _name, selections in _names(info.selected_fields):
        for name, below in _names(selections):
            if name == "nodes":
                wanted.update(n for n, _ in _names(below))
            elif name == "edges":
                wanted.update(n for edge, inner in _names(below) if edge == "node" for n, _ in _names(inner))
    return wanted
