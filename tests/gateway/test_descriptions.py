"""How much of the API documents itself (issue 22): every GraphQL type, field, argument, enum value and input field
has a description (the types' code, else gateway/descriptions.py, one place), with no allowance, and every REST
operation of the gateway and the services a summary and its security scheme."""

from __future__ import annotations

import importlib
from typing import Any

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from gateway.schema import build_schema

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def _graphql_missing() -> tuple[dict[str, list[str]], dict[str, int]]:
    schema = build_schema()._schema
    missing: dict[str, list[str]] = {k: [] for k in ("types", "fields", "arguments", "enum values", "input fields")}
    total = dict.fromkeys(missing, 0)

    def count(kind: str, where: str, description: str | None) -> None:
        total[kind] += 1
        if not (description or "").strip():
            missing[kind].append(where)

    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        count("types", name, kind.description)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                count("fields", f"{name}.{field_name}", field.description)
                for arg_name, argument in field.args.items():
                    count("arguments", f"{name}.{field_name}({arg_name})", argument.description)
        elif isinstance(kind, GraphQLInputObjectType):
            for field_name, field in kind.fields.items():
                count("input fields", f"{name}.{field_name}", field.description)
        elif isinstance(kind, GraphQLEnumType):
            for value_name, value in kind.values.items():
                count("enum values", f"{name}.{value_name}", value.description)
    return missing, total


def test_every_graphql_type_field_argument_enum_value_and_input_field_is_described() -> None:
    missing, total = _graphql_missing()
    print("GraphQL descriptions:", {k: f"{total[k] - len(v)}/{total[k]}" for k, v in missing.items()})
    assert all(total.values())  # the walk found each kind
    assert {k: v for k, v in missing.items() if v} == {}


def test_every_root_field_with_an_access_rule_says_who_may_run_it_and_its_error_codes() -> None:
    from gateway import access

    schema = build_schema()._schema
    roots = {name: field for kind in ("Query", "Mutation") for name, field in schema.type_map[kind].fields.items()}
    bare = [name for name, field in roots.items() if name in access.OPERATIONS
            and not ("Who may: " in (field.description or "") and "Errors: " in (field.description or ""))]
    assert bare == []
    # worked out by hand from gateway/access.py and the fields' arguments
    assert roots["finalizePeriod"].description.endswith(  # Rule(OFFICE, "period"), a mutation naming periodId
        "\nWho may: admin over the period's office (its `ownerPath`). "
        "Errors: UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, CONFLICT, UNAVAILABLE.")
    assert roots["me"].description.endswith(  # Rule(ALL, "any"), no argument, answered from the credentials
        "\nWho may: any signed-in caller with a role (a list leaves out what lies outside your scopes). "
        "Errors: UNAUTHENTICATED, FORBIDDEN.")
    assert roots["myBallot"].description.endswith(  # Rule(("rater",), "any"), taskId required
        "\nWho may: rater anywhere (what lies outside your scopes is left out). "
        "Errors: UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, UNAVAILABLE.")
    assert "Who may" not in (roots["health"].description or "")  # public: no rule, no caller needed
    # mutations whose input names a record (period, parent unit, scheme, subject) answer NOT_FOUND too
    for name in ("submitEvidence", "createUnit", "openPeriod", "setJournalRoster"):
        assert (roots[name].description or "").endswith(
            "Errors: UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, CONFLICT, UNAVAILABLE."), name


def test_every_type_field_description_names_a_field_the_code_leaves_undescribed() -> None:
    """A `TYPE_FIELDS` entry is written for a field of the schema that its type's code does not describe: an
    entry for a renamed or removed field, or one the code's own text overrides, would be dead text."""
    from strawberry.types.base import get_object_definition

    from gateway import descriptions
    from gateway.schema import build_schema

    schema = build_schema()
    graphql = schema._schema
    dead = []
    for key in descriptions.TYPE_FIELDS:
        type_name, field_name = key.split(".")
        kind = graphql.type_map.get(type_name)
        if not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType) or field_name not in kind.fields:
            dead.append((key, "no such field"))
            continue
        definition = get_object_definition(schema.get_type_by_name(type_name))
        coded = [f.description for f in (definition.fields if definition else [])
                 if schema.config.name_converter.get_graphql_name(f) == field_name]
        if any(coded):
            dead.append((key, "described in the type's code"))
    assert dead == []


def _operations() -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    from gateway.app import create_app

    apps: dict[str, Any] = {"gateway": create_app()}
    for name in ("evidence", "scoring", "ranking"):
        apps[name] = importlib.import_module(f"services.{name}.app").app
    return {name: [(method.upper(), path, operation) for path, methods in app.openapi()["paths"].items()
                   for method, operation in methods.items()] for name, app in apps.items()}


def test_every_rest_operation_has_a_summary_and_its_security_scheme() -> None:
    found = _operations()
    bare = [(name, method, path) for name, ops in found.items() for method, path, op in ops if not op.get("summary")]
    assert bare == []
    unsecured = [(name, method, path) for name, ops in found.items() for method, path, op in ops
                 if "security" not in op and not path.startswith("/public/")]
    assert unsecured == []
    services = [op for name, ops in found.items() if name != "gateway" for _, _, op in ops]
    assert {str(op["security"]) for op in services} == {"[{'serviceToken': []}]"}


ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


GATEWAY_ERROR_BODY = {"$ref": "#/components/schemas/GatewayErrorBody"}
SECURITY = {"service": [{"serviceToken": []}], "gateway": [{"bearerAuth": []}, {"apiKey": []}]}


def _gaps(name: str, method: str, path: str, op: dict[str, Any]) -> list[str]:
    """What one operation lacks: a written summary (not FastAPI's title-cased function name), a description, its
    security scheme, and its error responses (401 and 500 at least, and 403 where refusals are HTTP statuses),
    each with the app's error body (the services' `{"error": {"code", "message", "details"}}`, the gateway's
    GraphQL-shaped `{"errors": [...]}`) and a description naming its code. The gateway's /public/ routes are
    anonymous and its /graphql takes a caller or none (FORBIDDEN is a field error there)."""
    gateway = name == "gateway"
    gaps = []
    summary = op.get("summary") or ""
    if not summary or op.get("operationId", "").startswith(summary.replace(" ", "_").lower() + "_"):
        gaps.append("summary")
    if not (op.get("description") or "").strip():
        gaps.append("description")
    public, graphql = gateway and path.startswith("/public/"), gateway and path == "/graphql"
    security = [] if public else [*SECURITY["gateway"], {}] if graphql else SECURITY["gateway" if gateway else
                                                                                      "service"]
    if op.get("security") != security:
        gaps.append("security")
    errors = {status: response for status, response in op.get("responses", {}).items() if status >= "400"}
    wanted = {"500"} if public else {"401", "500"} if graphql else {"401", "403", "500"}
    if not wanted <= set(errors):
        gaps.append("responses")
    for status, response in errors.items():
        if response.get("content", {}).get("application/json", {}).get("schema") != (
                GATEWAY_ERROR_BODY if gateway else ERROR_BODY) or "`" not in response.get("description", ""):
            gaps.append(f"{status} body")
    return gaps


def test_every_rest_operation_has_summary_description_error_responses_and_security() -> None:
    """The three services' and the gateway's OpenAPI, operation by operation (what operators and integrators
    read)."""
    found = _operations()
    gaps = {(name, method, path): g for name, ops in found.items()
            for method, path, op in ops if (g := _gaps(name, method, path, op))}
    print("REST operations:", {name: len(ops) for name, ops in found.items()}, "with a gap:", len(gaps))
    assert gaps == {}


def test_the_error_body_and_the_implied_statuses_are_as_the_services_answer() -> None:
    """Worked out by hand from services/common/errors.py and the routes: the error body's schema, and the
    statuses of three operations (a read by id, a write with its own 409 and 503, a list without a path)."""
    from services.evidence.app import app

    spec = app.openapi()
    body = spec["components"]["schemas"]["ErrorBody"]
    assert body["required"] == ["error"]
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "details"}
    assert set(detail["required"]) == {"code", "message"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # no kaohe service sends FastAPI's own

    def statuses(path: str, method: str) -> list[str]:
        return sorted(spec["paths"][path][method]["responses"])

    assert statuses("/v1/appeals/{appeal_id}", "get") == ["200", "401", "403", "404", "422", "500"]
    assert statuses("/v1/appeals/{appeal_id}/answer", "post") == [
        "200", "401", "403", "404", "409", "413", "422", "500", "503"]
    assert statuses("/v1/webhooks/event-types", "get") == ["200", "401", "403", "500"]  # no parameter, no 422
    assert statuses("/v1/webhooks", "get") == ["200", "401", "403", "422", "500"]  # a page: `limit`, `after`
