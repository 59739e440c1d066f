"""GraphQL names in GraphQL errors (issue 22): a `details[].field` (and the field a refused payload's message
begins with) is the argument's or input field's GraphQL name, camelCase, whether the gateway refused it itself
(an over-long value) or relayed a service's refusal, whose REST names are snake_case. Keys inside a JSON value
(`content`) are the client's own and stay as written; REST answers keep their snake_case (docs/api.md)."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.errors import graphql_field
from gateway.schema import build_schema
from services.common.auth import Grant, Principal
from tests.gateway.fakes import FakeBackend, context

SCHEMA = build_schema()
ADMIN = Principal(subject="admin", grants=(Grant("admin", ""),))


class Refusing(FakeBackend):
    """The services refuse a submission and a unit as their validation does (422, snake_case fields)."""

    def _evidence(self, request: httpx.Request, path: str, body: Any) -> Any:
        if path == "/v1/submissions" and request.method == "POST":
            return httpx.Response(422, json={"error": {
                "code": "validation_error", "message": "content.work_days: Input should be a valid number",
                "details": [{"field": "content.work_days", "reason": "Input should be a valid number"},
                            {"field": "period_id", "reason": "String should have at most 64 characters"}]}})
        return super()._evidence(request, path, body)

    def _scoring(self, request: httpx.Request, path: str, body: Any) -> Any:
        if path == "/v1/units" and request.method == "POST":
            return httpx.Response(422, json={"error": {
                "code": "validation_error", "message": "parent_id：未找到该上级单位",
                "details": [{"field": "parent_id", "reason": "not found"}]}})
        return super()._scoring(request, path, body)


async def _run(backend: FakeBackend, query: str, **variables: Any) -> Any:
    clients = backend.clients()
    try:
        return await SCHEMA.execute(query, variable_values=variables, context_value=context(clients, ADMIN))
    finally:
        await clients.aclose()


async def test_a_relayed_refusal_names_the_fields_as_graphql_does() -> None:
    done = await _run(Refusing(), """mutation($c: JSON!) { submitEvidence(input: {periodId: "p1", subjectId: "s-a",
        indicator: "A1", fact: "measure", content: $c}) { id } }""", c={"work_days": "many"})
    error = done.errors[0]
    assert error.extensions == {"code": "BAD_USER_INPUT", "reason": "validation_error", "details": [
        {"field": "content.work_days", "reason": "Input should be a valid number"},
        {"field": "periodId", "reason": "String should have at most 64 characters"}]}
    assert error.message == "content.work_days: Input should be a valid number"  # the client's own key
    aliased = await _run(Refusing(), 'mutation { made: createUnit(name: "乙", slug: "b") { id } }')
    assert aliased.errors[0].extensions["details"] == [{"field": "parentId", "reason": "not found"}]
    assert aliased.errors[0].message == "parentId：未找到该上级单位"


async def test_the_gateways_own_refusal_names_the_argument_as_graphql_does() -> None:
    long_id = "p" * 201
    done = await _run(FakeBackend(), """mutation($p: String!) { submitEvidence(input: {periodId: $p, subjectId: "s-a",
        fact: "measure", content: {}}) { id } }""", p=long_id)
    assert done.errors[0].message == "periodId is too long"
    assert done.errors[0].extensions["details"] == [{"field": "periodId", "reason": "too long"}]
    by_id = await _run(FakeBackend(), 'mutation($i: ID!) { reviewSubmission(id: $i, input: {action: "approve", '
                                      "version: 1}) { id } }", i="s" * 201)
    assert (by_id.errors[0].message, by_id.errors[0].extensions["details"]) == (
        "id is too long", [{"field": "id", "reason": "too long"}])
    many = await _run(FakeBackend(), 'mutation($s: [String!]!) { openRatingTask(input: {periodId: "p1", '
                                     'indicator: "R1", kind: "panel", scope: "city", grades: ["好"], subjectIds: $s, '
                                     'raters: [], closesAt: "2026-03-31T09:00:00Z"}) { id } }', s=["s"] * 501)
    assert many.errors[0].extensions["details"] == [{"field": "subjectIds", "reason": "too many ids"}]


def test_a_path_outside_the_schema_is_camel_cased_and_indexes_stay() -> None:
    assert graphql_field("subjects.0.unit_path", None) == "subjects.0.unitPath"
    assert graphql_field("periodId", None) == "periodId"


class RefusingOne(FakeBackend):
    """Scoring refuses a unit naming one field alone (`{field, reason}`, an object, as single-field refusals do)."""

    def _scoring(self, request: httpx.Request, path: str, body: Any) -> Any:
        if path == "/v1/units" and request.method == "POST":
            return httpx.Response(422, json={"error": {
                "code": "invalid_input", "message": "parent_id: no such unit",
                "details": {"field": "parent_id", "reason": "not found"}}})
        return super()._scoring(request, path, body)


async def test_one_refused_field_is_a_list_of_one_in_graphql() -> None:
    """Regression (newcomer probe): a service's single-field refusal came through as an object, others as a list,
    both under BAD_USER_INPUT; the field kept its REST name. GraphQL errors always list `{field, reason}`."""
    done = await _run(RefusingOne(), 'mutation { createUnit(name: "乙", slug: "b") { id } }')
    assert done.errors[0].extensions == {"code": "BAD_USER_INPUT", "reason": "invalid_input",
                                         "details": [{"field": "parentId", "reason": "not found"}]}
    assert done.errors[0].message == "parentId: no such unit"
