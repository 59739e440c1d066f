"""The root GraphQL schema."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import Info

from gateway.clients import GATEWAY, ServiceClient
from gateway.context import Context
from gateway.operations.audit import AuditQuery
from gateway.operations.evidence import EvidenceMutation, EvidenceQuery
from gateway.operations.organisation import OrganisationMutation, OrganisationQuery
from gateway.operations.results import ResultMutation, ResultQuery
from gateway.operations.schemes import SchemeToolsQuery
from gateway.operations.scores import ScoreQuery
from gateway.operations.workflow import WorkflowMutation, WorkflowQuery
from gateway.protection import extensions
from services.common.errors import DomainError

log = logging.getLogger("kaohe.gateway")


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


Query = merge_types("Query", (HealthQuery, OrganisationQuery, EvidenceQuery, ScoreQuery, ResultQuery, AuditQuery,
                             WorkflowQuery, SchemeToolsQuery))
Mutation = merge_types("Mutation", (OrganisationMutation, EvidenceMutation, ResultMutation, WorkflowMutation))


class GatewaySchema(strawberry.Schema):
    """Logs domain errors (a refusal, a conflict) as one line; only unexpected ones with a traceback."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [e for e in errors if not isinstance(e.original_error, DomainError)]
        for error in errors:
            if isinstance(error.original_error, DomainError):
                log.info("graphql %s: %s", error.original_error.code, error.message)
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(*, production: bool = False) -> strawberry.Schema:
    """The gateway's schema with its protections (introspection off in production)."""
    return GatewaySchema(query=Query, mutation=Mutation, extensions=extensions(production=production))


schema = build_schema()
