"""Export endpoints: the ranking table and the publication list, xlsx or CSV, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from kaohe.i18n import _
from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep
from services.common.errors import Conflict, Forbidden
from services.common.openapi import errors
from services.ranking.access import OFFICE_READERS, PeriodId
from services.ranking.exports import service
from services.ranking.periods import repository
from services.ranking.periods import service as periods
from services.ranking.results import repository as results

router = APIRouter(prefix="/v1/periods/{period_id}/exports", tags=["exports"])
Format = Annotated[Literal["xlsx", "csv"], Query()]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024


@router.get("/ranking", summary="The ranking table (the office roles' rows) as xlsx or CSV")
async def export_ranking(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal,
                         format: Format = "xlsx") -> StreamingResponse:
    """The ranking table as a spreadsheet (`format=xlsx` or `csv`, UTF-8 with a BOM so Excel and WPS read it),
    with Chinese headers: the current rows of the units the caller reads as an office role (admin, assessor,
    auditor); 403 for others; 404 off the branch of the period's owner, as for a period ranking does not know.
    """
    period = await periods.get(session, period_id)
    periods.require_related(principal, period)
    if not principal.scopes_for(*OFFICE_READERS):
        raise Forbidden(_("the ranking table is the office's (admin, assessor, auditor); the publication list "
                          "(公示名单) shows the published results"))
    rows = await results.visible_current(session, period_id, principal)
    return _respond(service.ranking_table(period, rows), format, f"{period_id}-ranking")


@router.get("/publication",
            summary="The publication list (公示名单) as xlsx or CSV: exactly what was published", responses=errors(409))
async def export_publication(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal,
                             format: Format = "xlsx") -> StreamingResponse:
    """The publication list (公示名单) as a spreadsheet (`format=xlsx` or `csv`): exactly the rows of the latest 公示
    the caller may see, as published. 409 when the period was never published (404 for a caller off the branch of
    the period's owner, as for a period ranking does not know).
    """
    period = await periods.get(session, period_id)
    periods.require_related(principal, period, public_once_published=True)
    shown = await repository.latest_publication(session, period_id)
    if shown is None:
        raise Conflict(_("period %(period_id)s has not been published (公示) yet", period_id=period_id))
    rows = await results.published_rows(session, shown.id, principal)
    return _respond(service.publication_list(period, rows), format, f"{period_id}-publication")


def _respond(table: service.Table, format: str, stem: str) -> StreamingResponse:
    filename = quote(f"{stem}.{format}")
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"}
    if format == "csv":
        return StreamingResponse(service.csv_chunks(table), media_type="text/csv; charset=utf-8", headers=headers)
    return StreamingResponse(_chunks(service.xlsx_bytes(table)), media_type=XLSX, headers=headers)


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start:start + CHUNK]
