"""The root GraphQL schema."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLNonNull
from strawberry.scalars import JSON
from strawberry.schema.types.scalar import DEFAULT_SCALAR_REGISTRY
from strawberry.tools import merge_types
from strawberry.types import Info
from strawberry.types.scalar import scalar

from gateway.clients import GATEWAY, ServiceClient
from gateway.context import Context
from gateway.descriptions import describe_schema
from gateway.errors import finite_json, give_code
from gateway.execution import PlainFieldsExecutor
from gateway.operations.api_keys import ApiKeyMutation, ApiKeyQuery
from gateway.operations.audit import AuditQuery
from gateway.operations.calendar import CalendarMutation, CalendarQuery
from gateway.operations.evidence import EvidenceMutation, EvidenceQuery, FactQuery
from gateway.operations.inbox import InboxQuery
from gateway.operations.node import NodeQuery
from gateway.operations.organisation import OrganisationMutation, OrganisationQuery
from gateway.operations.organisation_tree import OrganisationTreeQuery
from gateway.operations.results import ResultMutation, ResultQuery
from gateway.operations.schemes import SchemeToolsQuery
from gateway.operations.scores import ScoreQuery
from gateway.operations.subscriptions import Subscription
from gateway.operations.webhooks import WebhookMutation, WebhookQuery
from gateway.operations.workflow import WorkflowMutation, WorkflowQuery
from gateway.persisted import Policy, load_manifest
from gateway.protection import MAX_TOKENS, extensions, validation_rules
from services.common.errors import DomainError
from services.common.settings import Settings

log = logging.getLogger("kaohe.gateway")
# graphql-core ends a message with its guesses: " Did you mean 'a', 'b', or 'c'?"
SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.DOTALL)
# or, for an unknown field of an input object, in the middle: "… unknown field 'x'. Did you mean 'y'? Found: …",
# which without suggestions graphql-core writes "… unknown field 'x', found: …"
INNER_SUGGESTION = re.compile(r"\. Did you mean [^?]*\? Found: ")


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


Query = merge_types("Query", (HealthQuery, OrganisationQuery, EvidenceQuery, FactQuery, ScoreQuery, ResultQuery,
                             AuditQuery, WorkflowQuery, SchemeToolsQuery, ApiKeyQuery, OrganisationTreeQuery,
                             InboxQuery, WebhookQuery, CalendarQuery, NodeQuery))
Mutation = merge_types("Mutation", (OrganisationMutation, EvidenceMutation, ResultMutation, WorkflowMutation,
                                   ApiKeyMutation, WebhookMutation, CalendarMutation))


class GatewaySchema(strawberry.Schema):
    """Gives every error its code (gateway/errors.py) as it arises, whether parsing, validating or executing;
    logs the client's mistakes and the services' refusals as one line, and only unexpected errors (INTERNAL)
    with their traceback. With `hide_suggestions` (production) no message proposes a name ("Did you mean
    …?"): that would reveal the schema introspection hides, a field, argument, type or enum value at a time."""

    hide_suggestions = False

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            if self.hide_suggestions:  # in the library's English, before the message is put in the request's language
                error.message = hidden_suggestions(error.message)
            give_code(error, self._schema)
        unexpected = [e for e in errors if (e.extensions or {}).get("code") == "INTERNAL"]
        for error in errors:
            if error not in unexpected:
                log.info("graphql %s: %s", (error.extensions or {}).get("code"), error.message)
        if unexpected:
            super().process_errors(unexpected, execution_context)


def hidden_suggestions(message: str) -> str:
    """`message` without graphql-core's "Did you mean …?" (as graphql-core writes it when asked to hide them);
    a message with none is returned as it is (a marked message stays marked)."""
    if SUGGESTION.search(message):
        message = SUGGESTION.sub("", message)
    if INNER_SUGGESTION.search(message):
        message = INNER_SUGGESTION.sub(", found: ", message)
    return message


def _finite_json_scalar() -> Any:
    """strawberry's JSON scalar (same name, description and URL in the SDL) refusing non-finite numbers."""
    default = DEFAULT_SCALAR_REGISTRY[JSON]
    return scalar(name=default.name, description=default.description, specified_by_url=default.specified_by_url,
                  serialize=lambda value: value, parse_value=finite_json)


def build_schema(*, production: bool = False, persisted: Policy | None = None) -> strawberry.Schema:
    """The gateway's schema with its protections (introspection and suggestions off in production) and its
    persisted-query policy (default: APQ with a store of its own)."""
    built = GatewaySchema(query=Query, mutation=Mutation, subscription=Subscription,
                          extensions=extensions(production=production, persisted=persisted),
                          execution_context_class=PlainFieldsExecutor,
                          scalar_overrides={JSON: _finite_json_scalar()})
    built.hide_suggestions = production
    nullable_roots(built)
    describe_schema(built._schema)
    return built


ALWAYS_ANSWERED = frozenset({"health"})  # answers for each service, the unreachable ones included: never fails


def nullable_roots(built: strawberry.Schema) -> None:
    """Every root query field but `health` is nullable: a screen asks for several at once (a period, its ranking,
    its publication) and one that fails (FORBIDDEN, NOT_FOUND, a service down) is then `null` with its error,
    the others keep their data; a non-null root would null the whole `data`. Done here, for every field, so a
    field added later follows without anyone remembering. Mutations stay non-null: their error is the answer."""
    query = built._schema.query_type
    assert query is not None
    for name, field in query.fields.items():
        if name not in ALWAYS_ANSWERED and isinstance(field.type, GraphQLNonNull):
            field.type = field.type.of_type


def configured_schema(settings: Settings) -> strawberry.Schema:
    """The schema this installation serves, with its persisted-query policy; a bad allow-list
    manifest is a ConfigError of one line naming the entry (`kaohe up`/`serve` check it first)."""
    production = settings.environment == "production"
    policy = Policy.from_settings(settings)
    built = build_schema(production=production, persisted=policy)
    if policy.mode == "allowlist" and settings.gateway_persisted_queries_file is not None:
        policy.allowed = load_manifest(settings.gateway_persisted_queries_file, built,
                                       validation_rules(production=production), MAX_TOKENS)
    return built


schema = build_schema()
