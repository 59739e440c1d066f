"""Audit endpoints every service offers: a record trail per entity and the chain check."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _
from services.common import status_provenance as status
from services.common.audit import ChainReport, Head, chain_head, kept_heads, verify_chain
from services.common.audit_rows import ROW_ACTIONS, AuditedTable
from services.common.auth import CurrentPrincipal
from services.common.db import SessionDep, driver_connection
from services.common.errors import Forbidden
from services.common.stored_text import localized
from services.common.tables import AuditRecordMixin

PROVENANCE_LIMIT = 1000  # provenance problems a report names (it counts them all)


class AuditRecordRead(BaseModel):
    id: int
    recorded_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before_digest: str | None
    after_digest: str | None
    details: dict[str, Any]
    request_id: str | None
    prev_hash: str
    hash: str


class HeadIn(BaseModel):
    """A chain's head kept outside it: how many records (`sequence`), the last one's id and hash."""

    sequence: int = Field(ge=0)
    id: int | None = None
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class StatusChangeIn(BaseModel):
    """An audited status change of ranking (`GET /v1/audit/status-changes` on ranking)."""

    period_id: str = Field(max_length=200)
    action: str = Field(pattern=r"^period\.(published|finalized|reopened)$")
    recorded_at: datetime
    record_id: int
    published_at: datetime | None = None


class VerifyIn(BaseModel):
    expect: list[HeadIn] = Field(default_factory=list, max_length=100_000)
    # ranking's audited status changes: evidence and scoring hold the statuses they applied from its events to them
    ranking_status_changes: list[StatusChangeIn] | None = Field(None, max_length=1_000_000)


def _rendered(report: ChainReport) -> dict[str, Any]:
    """A chain report as JSON, its reasons in the request's language."""
    found = report.to_json()
    return {**found, "reason": localized(found["reason"]), "checkpoint": localized(found["checkpoint"])}


EVENT_ID = re.compile(r"(?:event:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def _about(model: type[AuditRecordMixin], entity_id: str) -> ColumnElement[bool]:
    """The records of `entity_id`; for event ids (a score version's `cause`: `event:<uuid>`, several joined by
    commas, or a bare uuid) also the records whose `details.event` is one of them: the fact change a reviewer's
    approval, a rating's closing, a journal week or an upheld appeal sent to scoring, with its actor."""
    events = [EVENT_ID.fullmatch(part.strip()) for part in entity_id.split(",")]
    if not all(events):
        return model.entity_id == entity_id
    return or_(model.entity_id == entity_id,
               model.details["event"].astext.in_([e.group(1) for e in events if e is not None]))


# what a service checks besides its chain and rows (scoring: its fact copies and causes against evidence's audited
# changes): the problems found, each with `to_json()`
Provenance = Callable[[AsyncSession, Request], Awaitable[list[Any]]]


async def _statuses(conn: Any, schema: str, changes: list[StatusChangeIn]) -> list[Any]:
    """The statuses this service applied from ranking's events that none of ranking's `changes` backs."""
    ranking = [status.StatusChange(c.period_id, c.action, c.recorded_at, c.record_id, c.published_at)
               for c in changes]
    published = await status.evidence_published(conn) if schema == "evidence" else None
    return list(status.unbacked(schema, await status.applied_changes(conn, schema), ranking, published))


def audit_router(model: type[AuditRecordMixin], tables: Sequence[AuditedTable] = (), *,
                 keeps_heads: bool = False, provenance: Provenance | None = None) -> APIRouter:
    """`GET /v1/audit` (records of one entity) and `GET|POST /v1/audit/verify`, for auditors and admins; with
    `keeps_heads` (ranking) also `GET /v1/audit/kept-heads`, the other chains' heads it stored; with `provenance`
    (scoring) the verification also holds what it copies from another service to that service's audited changes."""
    router = APIRouter(prefix="/v1/audit", tags=["audit"])

    async def _checked(session: AsyncSession, request: Request, report: ChainReport,
                       changes: list[StatusChangeIn] | None = None) -> ChainReport:
        problems = list(await provenance(session, request)) if provenance is not None else []
        schema = model.__table__.schema  # type: ignore[attr-defined]
        if changes is not None and schema in status.APPLIED:
            problems += await _statuses(await driver_connection(session), schema, changes)
        if provenance is not None or changes is not None:
            report.add_provenance(problems, PROVENANCE_LIMIT)
        return report

    def _require_auditor(principal: CurrentPrincipal) -> None:
        if not (principal.can(("auditor", "admin"), "") or principal.kind == "service"):
            raise Forbidden(_("only auditors and administrators of the whole organisation read the audit log"))

    @router.get("", response_model=list[AuditRecordRead], summary="Audit records of one entity, oldest first")
    async def list_records(
        session: SessionDep, principal: CurrentPrincipal,
        entity_id: str = Query(max_length=200), limit: int = Query(100, ge=1, le=1000),
        rows: bool = Query(False, description="Include the records of the entity's rows (row.write, row.delete: "
                                              "the digest of each write of an audited row)"),
    ) -> list[Any]:
        """The service's audit records (审计记录) of one entity (`entity_id`: a submission, a period, a fact…), oldest
        first, at most `limit`; with `rows=true` also the row-level records (row.write, row.delete) that hold the
        digest of each write of the entity's audited rows. For auditors and admins of the whole organisation
        (scope "") and other services.
        """
        _require_auditor(principal)
        query = select(model).where(_about(model, entity_id))
        if not rows:
            query = query.where(model.action.not_in(ROW_ACTIONS))
        return list(await session.scalars(query.order_by(model.id).limit(limit)))

    @router.get("/head", summary="The chain's head: its number of records (`sequence`), the last one's id and hash")
    async def head(session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
        """The head of this service's hash chain: how many records it has (`sequence`), the last record's id and
        SHA-256. The approval (审定) keeps the heads of the three chains, so a chain cut or rewritten later is
        caught. For auditors and admins of the whole organisation and other services.
        """
        _require_auditor(principal)
        schema = model.__table__.schema  # type: ignore[attr-defined]
        return {"service": schema, **(await chain_head(await driver_connection(session), schema)).to_json()}

    @router.get("/verify", summary="Recompute the hash chain and check every live audited row against it; names "
                "the first broken record and each changed, unrecorded or deleted row")
    async def verify(session: SessionDep, principal: CurrentPrincipal, request: Request) -> dict[str, Any]:
        """Recompute the whole SHA-256 chain from the first record and check every live audited row against the
        digest of its last recorded write. Answers `ok`, the number of `records`, the first broken record
        (`first_broken_id`, `reason`), the `head`, and each changed, unrecorded or deleted row (`row_problems`).
        Reads the whole chain: minutes on millions of records. For auditors and admins of the whole organisation
        and other services.
        """
        _require_auditor(principal)
        return _rendered(await _checked(session, request, await verify_chain(session, model, tables)))

    @router.post("/verify", summary="The same check, the chain held to heads kept outside it (`expect`); names "
                 "a chain cut below one (truncated) or rewritten up to one (a fork)")
    async def verify_against(payload: VerifyIn, session: SessionDep, principal: CurrentPrincipal,
                             request: Request) -> dict[str, Any]:
        """As `GET /v1/audit/verify`, and the chain must still hold each head of `expect` (`{sequence, id, hash}`:
        ranking's stored heads of this chain, a checkpoint's) at its place: a chain shorter than one was cut
        (`checkpoint` names it, `ok` false), another hash at one's place means the chain was rewritten up to it.
        `kept_heads` in the answer says how many heads were held. For auditors and admins of the whole
        organisation and other services.
        """
        _require_auditor(principal)
        expect = [Head(h.sequence, h.id, h.hash) for h in payload.expect]
        report = await _checked(session, request, await verify_chain(session, model, tables, expect),
                                payload.ranking_status_changes)
        return {**_rendered(report), "kept_heads": len(expect)}

    if keeps_heads:
        @router.get("/kept-heads", summary="The heads of the other services' chains kept with every 公示 and 审定")
        async def stored_heads(session: SessionDep, principal: CurrentPrincipal) -> dict[str, list[dict[str, Any]]]:
            """The heads of evidence's and scoring's (and ranking's own) audit chains that ranking stored with every
            publication (公示) and approval (审定), by service, `{sequence, id, hash}` each: what their chains
            are held to (`POST /v1/audit/verify` on each). For auditors and admins of the whole organisation and
            other services.
            """
            _require_auditor(principal)
            found = await kept_heads(await driver_connection(session))
            return {name: [head.to_json() for head in heads] for name, heads in sorted(found.items())}

        @router.get("/status-changes", summary="Ranking's audited status changes of every period (公示, 审定, "
                    "reopening), which evidence and scoring hold the statuses they applied to")
        async def status_changes(session: SessionDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
            """Every `period.published`, `period.finalized` and `period.reopened` record of ranking's chain, in
            chain order: `{period_id, action, recorded_at, record_id, published_at}`. Passed as
            `ranking_status_changes` to evidence's and scoring's `POST /v1/audit/verify` (the gateway's
            `verifyAuditChain` does), each names the status it applied from ranking's events that none of them
            backs. For auditors and admins of the whole organisation and other services.
            """
            _require_auditor(principal)
            return [change.to_json() for change in await status.ranking_changes(await driver_connection(session))]

    return router
