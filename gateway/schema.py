"""The root GraphQL schema."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.tools import merge_types
from strawberry.types import Info

from gateway.clients import GATEWAY, ServiceClient
from gateway.context import Context
from gateway.operations.audit import AuditQuery
from gateway.operations.evidence import EvidenceMutation, EvidenceQuery
from gateway.operations.organisation import OrganisationMutation, OrganisationQuery
from gateway.operations.results import ResultMutation, ResultQuery
from gateway.operations.scores import ScoreQuery
from gateway.protection import extensions
from services.common.errors import DomainError


@strawberry.type(description="Health of one backend service.")
class ServiceHealth:
    service: str
    status: str
    version: str
    reason: str | None = None


async def _health_of(client: ServiceClient) -> ServiceHealth:
    try:
        body = await client.request("GET", "/v1/status", GATEWAY)
    except DomainError as exc:
        return ServiceHealth(service=client.name, status="unavailable", version="", reason=exc.message)
    return ServiceHealth(service=body["service"], status=body["status"], version=body["version"],
                         reason=body.get("reason") or None)


@strawberry.type
class HealthQuery:
    @strawberry.field(description="Health of the three backend services, as seen from the gateway.")
    async def health(self, info: Info[Context, None]) -> list[ServiceHealth]:
        clients = info.context.clients.by_name.values()
        return list(await asyncio.gather(*(_health_of(c) for c in clients)))


Query = merge_types("Query", (HealthQuery, OrganisationQuery, EvidenceQuery, ScoreQuery, ResultQuery, AuditQuery))
Mutation = merge_types("Mutation", (OrganisationMutation, EvidenceMutation, ResultMutation))


def build_schema(*, production: bool = False) -> strawberry.Schema:
    """The gateway's schema with its protections (introspection off in production)."""
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions(production=production))


schema = build_schema()
