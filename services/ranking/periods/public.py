"""The public 公示 (issue 17): what a period's latest publication shows, in the columns the scheme makes
public, with its dates, objection procedure and hashes (the list's digest, its audit record, and the heads of
the three audit chains stored with the publication). Only kaohe's services call it (the gateway serves it
without sign-in at /public/periods/{id}/publication.json and .html); nothing beyond the 公示 is in it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.engine.scheme.model import DEFAULT_PUBLIC_COLUMNS
from kaohe.i18n import _
from services.common.auth import CurrentPrincipal, require_service
from services.common.db import SessionDep
from services.common.errors import NotFound
from services.common.localtime import instant_json
from services.common.openapi import errors
from services.ranking.access import PeriodId
from services.ranking.clients import ScoringClientDep
from services.ranking.models import common
from services.ranking.periods import publication, repository
from services.ranking.periods.models import Publication, RankedPeriod
from services.ranking.results import repository as results
from services.ranking.results.cache import ResultsCacheDep
from services.ranking.results.models import SubjectResult
from services.ranking.results.service import PeriodRef, scheme_of

router = APIRouter(prefix="/v1/periods/{period_id}", tags=["publication"])


@router.get("/publication/public",
            summary="The public 公示 of the period's latest publication (services only)", responses=errors(503))
async def public_publication(period_id: PeriodId, session: SessionDep, principal: CurrentPrincipal,
                             scoring: ScoringClientDep, cache: ResultsCacheDep) -> dict[str, Any]:
    """What the period's latest 公示 shows the public: the columns the scheme makes public (name, rank, grade…),
    the window's dates, the objection procedure and the hashes that let anyone check it (the list's digest,
    its audit record, the chain heads stored with it). The gateway serves it without sign-in at
    /public/periods/{id}/publication.json and .html; here for other services' tokens only. 404 when the
    period was never published. 503 when scoring, which holds the scores and the scheme, does not answer.
    """
    require_service(principal)
    period = await repository.get(session, period_id)
    shown = await repository.latest_publication(session, period_id) if period is not None else None
    if period is None or shown is None:
        raise NotFound(_("no 公示 of period %(period_id)s was found: there is no such period, or it has not been "
                         "published", period_id=period_id))  # the same for both: an id of nothing is not confirmed
    ref = PeriodRef(period.id, period.scheme_id, period.scheme_version, period.label)
    scheme = await scheme_of(scoring, cache.inputs, ref)
    rules = scheme.publication
    columns = rules.public_columns if rules is not None else DEFAULT_PUBLIC_COLUMNS
    rows = await results.publication_rows(session, shown.id)
    entries = await repository.publication_entries(session, shown.id)
    return {
        "period_id": period.id, "label": period.label, "title": scheme.title, "status": period.status,
        "stale": bool(period.stale and period.status == "published"),
        # reopened after 审定 and not published since: this is the last 公示, superseded by the correction under way
        "reopened": period.status == "computed",
        "sequence": shown.sequence, "republication": shown.republication, "working_days": shown.working_days,
        "published_at": instant_json(shown.published_at), "closes_at": instant_json(shown.ends_at),
        "finalized_at": instant_json(period.finalized_at) if period.finalized_at and period.status == "finalized"
        else None,
        "objection_procedure": rules.objection_procedure if rules is not None else None,
        "columns": list(columns),
        "rows": [_row(period, row, columns) for row in rows],
        "entries_sha256": publication.entries_digest(period.id, shown.sequence, entries),
        "audit": await _audit_link(session, period, shown),
        "chain_heads": shown.chain_heads,  # the three audit chains' heads when it was published, as stored
    }


def _row(period: RankedPeriod, row: SubjectResult, columns: tuple[str, ...]) -> dict[str, Any]:
    document = row.document
    values: dict[str, Any] = {
        "rank": document.get("rank"), "subject_id": row.subject_id, "name": row.name or "", "group": row.group,
        "total": _rounded(document.get("total"), period.precision), "grade": document.get("grade") or "",
        "labels": list(document.get("labels") or []),
    }
    return {column: values[column] for column in columns}


def _rounded(value: Any, places: int) -> str | None:
    """The total as the 公示 prints it: half-up (四舍五入) to the scheme's precision."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return format(number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")


async def _audit_link(session: AsyncSession, period: RankedPeriod, shown: Publication) -> dict[str, Any] | None:
    """The audit record of this publication in ranking's hash chain: its id and hash (the chain up to it covers
    `entries_sha256`, which the record's details carry)."""
    record = common.audit
    found = await session.scalars(select(record).where(record.action == "period.published",
                                                      record.entity_id == period.id).order_by(record.id.desc()))
    for row in found:
        if (row.details or {}).get("publication") == shown.sequence:
            return {"record_id": row.id, "hash": row.hash, "recorded_at": instant_json(row.recorded_at),
                    "entries_sha256": (row.details or {}).get("entries_sha256")}
    return None
