"""The audit chains of the three services, read through one query."""

from __future__ import annotations

import asyncio
from enum import Enum

import strawberry
from strawberry.types import Info

from gateway import access
from gateway.context import Context
from gateway.operations import bounded, rows
from gateway.pagination import Connection, paginate
from gateway.types.audit import AuditRecord, ChainVerification

Ctx = Info[Context, None]


@strawberry.enum(description="A backend service with its own audit chain.")
class Service(Enum):
    EVIDENCE = "evidence"
    SCORING = "scoring"
    RANKING = "ranking"


async def _trail(ctx: Context, service: Service, entity_id: str) -> list[AuditRecord]:
    body = await ctx.clients.by_name[service.value].request("GET", "/v1/audit", ctx.user,
                                                            params={"entity_id": entity_id})
    return [AuditRecord.from_json(r, service.value) for r in rows(body, "records")]


@strawberry.type
class AuditQuery:
    @strawberry.field(description=(
        "Every audit record of one entity across the services, oldest first. `entityId`: an id (a period, a "
        "submission, a fact, an appeal…) or an event, `event:<uuid>` as a score version's `cause` names it (also "
        "the records whose `details.event` is it), at most 200 characters: a cause of more than four events is "
        "walked one event at a time (docs/api.md, \"How an auditor walks a score version's cause\")."))
    async def audit_trail(self, info: Ctx, entity_id: str, first: int | None = None,
                          after: str | None = None) -> Connection[AuditRecord]:
        ctx = info.context
        bounded(entity_id=entity_id)
        access.require(ctx.user, "auditTrail")
        trails = await asyncio.gather(*(_trail(ctx, s, entity_id) for s in Service))
        merged = sorted((r for t in trails for r in t),
                        key=lambda r: (r.recorded_at or "", r.service, str(r.id).zfill(20)))
        return paginate(merged, first, after)

    @strawberry.field(description=(
        "Recompute one service's audit hash chain and check every live audited row against it; evidence's and "
        "scoring's chains are also held to the heads ranking kept with every 公示 and 审定, as `kaohe audit verify` "
        "holds them: a chain cut below one (truncated) or rewritten up to one (a fork) is not ok. Names the first "
        "broken record, each changed, unrecorded, deleted or rewritten row (table and key) and the kept head that "
        "fails; `report.provenance` names what the chain's records do not back: ranking's 公示 entries and finalized "
        "results against its records of them, the statuses evidence and scoring applied from ranking's events."))
    async def verify_audit_chain(self, info: Ctx, service: Service) -> ChainVerification:
        ctx = info.context
        access.require(ctx.user, "verifyAuditChain")
        client = ctx.clients.by_name[service.value]
        if service is Service.RANKING:  # ranking's own chain vouches for the heads it keeps
            body = await client.request("GET", "/v1/audit/verify", ctx.user)
        else:
            # and the statuses it applied from ranking's events to ranking's audited status changes
            kept, changes = await asyncio.gather(
                ctx.clients.ranking.request("GET", "/v1/audit/kept-heads", ctx.user),
                ctx.clients.ranking.request("GET", "/v1/audit/status-changes", ctx.user))
            body = await client.request("POST", "/v1/audit/verify", ctx.user,
                                        json={"expect": list(kept.get(service.value, [])),
                                              "ranking_status_changes": list(changes)})
        return ChainVerification.from_json(body, service.value)
