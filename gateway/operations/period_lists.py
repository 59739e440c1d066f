"""The lists of a period's records (`submissions`, `journals`, `makeups`, `rectificationNotices`, `appeals`,
`objections`): one subject's, or period-wide every row within the caller's grants, optionally of one status
(make-ups have none), paged. The arguments they share are declared, bounded and checked here once; each field says
what it lists and how its service is read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.types import Info

from gateway import loaders
from gateway.context import Context
from gateway.operations import bounded, rows
from gateway.pagination import Connection, decode_cursor, offset_page, page_size
from services.common.peers import segment


@dataclass(frozen=True)
class PeriodListArguments:
    """What a list of a period's records was asked, bounded and checked against the caller's grants."""

    period_id: str
    subject_id: str | None
    status: str | None
    first: int | None
    after: str | None

    def filters(self) -> dict[str, str]:
        """The period, subject and status filters given, as a service's query parameters."""
        given = {"period_id": self.period_id, "subject_id": self.subject_id, "status": self.status}
        return {name: value for name, value in given.items() if value is not None}


Reader = Callable[[Context, PeriodListArguments], Awaitable[Connection[Any]]]


def period_list_field(operation: str, node: type[Any], read: Reader, *, description: str,
                      statuses: bool = True) -> Any:
    """The field `operation` listing `node`s of a period: it takes `periodId`, `subjectId`, `status` (unless the
    records have no status: `statuses=False`), `first` and `after`, checks the subject (or, without one, the period)
    against the caller's grants, then `read`s the page."""

    async def resolve(info: Info[Context, None], period_id: strawberry.ID, subject_id: strawberry.ID | None = None,
                      status: str | None = None, first: int | None = None, after: str | None = None) -> Any:
        arguments = PeriodListArguments(period_id=str(period_id), status=status, first=first, after=after,
                                        subject_id=None if subject_id is None else str(subject_id))
        bounded(period_id=arguments.period_id, subject_id=arguments.subject_id, status=status, after=after)
        await checked_list(info.context, operation, arguments.period_id, arguments.subject_id)
        return await read(info.context, arguments)

    async def resolve_without_status(info: Info[Context, None], period_id: strawberry.ID,
                                     subject_id: strawberry.ID | None = None, first: int | None = None,
                                     after: str | None = None) -> Any:
        return await resolve(info, period_id, subject_id, None, first, after)

    # Connection[node] built at run time: strawberry names it `<node>Connection` as for an annotation
    connection = Connection[node]  # type: ignore[valid-type]
    return strawberry.field(resolver=resolve if statuses else resolve_without_status, graphql_type=connection,
                            description=description)


def offset_list(service: str, path: str, node: Callable[[dict[str, Any]], Any]) -> Reader:
    """A reader of the offset page a service cuts and counts (`{items, total_count}`, the rows within the caller's
    grants); `path` may name the period as `{period_id}`."""

    async def read(ctx: Context, arguments: PeriodListArguments) -> Connection[Any]:
        offset, size = decode_cursor(arguments.after), page_size(arguments.first)
        params = {"offset": str(offset), "limit": str(max(size, 1)), **arguments.filters()}
        body = await getattr(ctx.clients, service).request(
            "GET", path.format(period_id=segment(arguments.period_id)), ctx.user, params=params)
        found = rows(body, "items")[:size]
        total = int(body.get("total_count", 0)) if isinstance(body, dict) else 0
        return offset_page([(i, node(r)) for i, r in enumerate(found)], offset=offset, consumed=len(found),
                           total=total)

    return read


async def checked_list(ctx: Context, operation: str, period_id: str, subject_id: str | None) -> None:
    """A list of a period's records: of one subject (NOT_FOUND outside the caller's grants, as one not enrolled), or
    period-wide (NOT_FOUND for a period off the caller's branch; the service keeps the rows within its grants)."""
    if subject_id is not None:
        await loaders.authorize_subject(ctx, operation, period_id, subject_id)
    else:
        await loaders.authorize_period_list(ctx, operation, period_id)
