"""`GET /v1/facts`: the current facts of a period, paged by cursor, so scoring can rebuild."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kaohe.i18n import _
from services.common import provenance
from services.common.auth import CurrentPrincipal
from services.common.batch import query_length, split_ids
from services.common.db import SessionDep, driver_connection
from services.common.errors import Forbidden
from services.evidence.facts import service
from services.evidence.facts.schemas import FactPage, FactProvenance, FactProvenancePage, FactRecord, FactRecordPage

router = APIRouter(prefix="/v1/facts", tags=["facts"])


@router.get("", response_model=FactPage, summary="Current facts of a period (cursor-paged)")
async def list_facts(
    session: SessionDep, principal: CurrentPrincipal,
    period_id: Annotated[str, Query(max_length=100)],
    after: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    subject_id: Annotated[str | None, Query(max_length=100)] = None,
    indicator: Annotated[str | None, Query(max_length=100)] = None,
) -> FactPage:
    """The current facts (事实) of a period, made by approved submissions, closed rating tasks, journals and
    deductions, optionally of one subject or indicator, in pages of `limit` (1–1000) by cursor: pass the
    answer's `next` as `after`. Scoring reads it to rebuild a period; callers see the facts of the units they
    may read.
    """
    items, cursor = await service.page(session, principal, period_id=period_id, after=after, limit=limit,
                                       subject_id=subject_id, indicator=indicator)
    return FactPage(period_id=period_id, items=items, next=cursor)


@router.get("/records", response_model=FactRecordPage,
            summary="Current facts of a period with their sources, by id (cursor-paged, counted)")
async def list_records(
    session: SessionDep, principal: CurrentPrincipal,
    period_id: Annotated[str, Query(max_length=100)],
    after: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    subject_id: Annotated[str | None, Query(max_length=100)] = None,
    indicator: Annotated[str | None, Query(max_length=100)] = None,
    ids: Annotated[str | None, Query(max_length=query_length(100, 100))] = None,
) -> FactRecordPage:
    """The current facts (事实) of a period, each with the record that made it (`source_type`, `source_id`) and its
    revision, in id order, optionally of one subject, one indicator or some ids (`ids=a,b`, at most 100), in pages
    of `limit` (1–100) by cursor (`next` as `after`), with `total_count`. Admins, assessors, reviewers, submitters
    and auditors see the facts of the units their grants cover; the others are left out.
    """
    wanted = split_ids(ids, limit=100, max_length=100) if ids is not None else None
    items, cursor, total = await service.records(session, principal, period_id=period_id, after=after, limit=limit,
                                                 subject_id=subject_id, indicator=indicator, ids=wanted)
    return FactRecordPage(period_id=period_id, items=[FactRecord.model_validate(f) for f in items], next=cursor,
                          total_count=total)


@router.get("/provenance", response_model=FactProvenancePage,
            summary="A period's facts with their last audited change, for verification (cursor-paged)")
async def list_provenance(
    session: SessionDep, principal: CurrentPrincipal,
    period_id: Annotated[str, Query(max_length=100)],
    after: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=provenance.PAGE)] = provenance.PAGE,
) -> FactProvenancePage:
    """Every fact of a period, retracted ones too, in id order, in pages of `limit` (1–500; `next` as `after`), each
    with its last audited change (`record`: the last `fact.upsert` or `fact.retract` audit record, its id, action,
    `after_digest` (SHA-256 of the canonical JSON of the body it recorded) and hash), the outbox event ids of all
    its `fact.*` records (`events`) and whether one of them is still undelivered (`pending`). Scoring's verification
    holds its fact copies and its score versions' causes to it. For auditors and admins of the whole organisation
    and other services, as the audit log.
    """
    if not (principal.can(("auditor", "admin"), "") or principal.kind == "service"):
        raise Forbidden(_("only auditors and administrators of the whole organisation read the audit log"))
    page = await provenance.evidence_page(await driver_connection(session), period_id, after, limit)
    return FactProvenancePage(period_id=period_id, items=[FactProvenance(**fact.to_json()) for fact in page],
                              next=page[-1].id if len(page) == limit else None)
