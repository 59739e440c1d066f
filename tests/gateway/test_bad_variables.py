"""Variables that JSON does not allow (NaN, Infinity, a number past the float range) and variables left out
are the client's mistake: BAD_USER_INPUT below HTTP 500, and nothing reaches a service (issue 21, item 6)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.gateway.fakes import FakeBackend

SUBMIT = ("mutation($input: EvidenceInput!) { submitEvidence(input: $input) { id } }")
INPUT = '{"periodId": "p1", "subjectId": "s-a", "indicator": "A1", "fact": "measure", "content": {"value": %s}}'


async def _submit(gateway: httpx.AsyncClient, bearer: Any, value: str) -> httpx.Response:
    """submitEvidence with `value` written as is into the variables' JSON text."""
    body = '{"query": "' + SUBMIT + '", "variables": {"input": ' + INPUT.replace("%s", value) + "}}"
    return await gateway.post("/graphql", content=body.encode(),
                              headers={**bearer(("admin", "")), "Content-Type": "application/json"})


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
async def test_a_number_json_does_not_allow_is_bad_user_input(gateway: httpx.AsyncClient, bearer: Any,
                                                              backend: FakeBackend, number: str) -> None:
    response = await _submit(gateway, bearer, number)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    # the literal is named as the client wrote it
    assert error["message"] == f"the request body is not valid JSON: {number.lstrip('-')} is not a JSON number"
    assert backend.writes() == []


async def test_a_missing_required_variable_is_bad_user_input(gateway: httpx.AsyncClient, bearer: Any,
                                                             backend: FakeBackend) -> None:
    response = await gateway.post("/graphql", json={"query": SUBMIT}, headers=bearer(("admin", "")))
    assert response.status_code < 500
    error = response.json()["errors"][0]
    assert error["message"] == ("Variable '$input' has invalid value: Expected a value of non-null type "
                                "'EvidenceInput!' to be provided.")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert backend.writes() == []


async def test_a_variable_of_the_wrong_type_is_bad_user_input(gateway: httpx.AsyncClient, bearer: Any,
                                                              backend: FakeBackend) -> None:
    response = await gateway.post("/graphql", json={"query": SUBMIT, "variables": {"input": "x"}},
                                  headers=bearer(("admin", "")))
    assert response.status_code < 500
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert backend.writes() == []


async def test_a_number_too_long_to_read_is_bad_user_input(gateway: httpx.AsyncClient, bearer: Any,
                                                           backend: FakeBackend) -> None:
    """Python's json refuses integers past 4,300 digits with a ValueError strawberry did not expect (a 500)."""
    response = await _submit(gateway, bearer, "7" * 5000)
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "message": "the request body is not valid JSON for kaohe: a number has more than 100 characters",
        "extensions": {"code": "BAD_USER_INPUT", "reason": "invalid_json"}}
    assert backend.writes() == []


async def test_infinity_in_get_variables_is_bad_user_input(gateway: httpx.AsyncClient, bearer: Any) -> None:
    response = await gateway.get("/graphql", params={"query": "query($v: JSON) { __typename }",
                                                     "variables": '{"v": Infinity}'}, headers=bearer(("admin", "")))
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "reason": "invalid_json"}


async def test_a_literal_past_the_float_range_in_the_query_text_is_refused(gateway: httpx.AsyncClient, bearer: Any,
                                                                            backend: FakeBackend) -> None:
    """GraphQL's own syntax takes 1e999 (a float literal, infinity in Python): refused as the scalar's input."""
    query = ('mutation { submitEvidence(input: {periodId: "p1", subjectId: "s-a", indicator: "A1", fact: "measure", '
             "content: {value: 1e999}}) { id } }")
    response = await gateway.post("/graphql", json={"query": query}, headers=bearer(("admin", "")))
    assert response.status_code < 500
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["message"] == "numbers in a JSON value must be finite"
    assert backend.writes() == []


@pytest.mark.parametrize("depth", [65, 5_000, 100_000])
async def test_variables_nested_too_deep_are_bad_user_input(gateway: httpx.AsyncClient, bearer: Any,
                                                            backend: FakeBackend, depth: int) -> None:
    """Python's json fails near a thousand levels (RecursionError, a 500) and so does its encoder on the way to a
    service (INTERNAL at 900): the gateway takes 64 levels, a scheme document needs about twenty."""
    nested = "[" * (depth - 3) + "]" * (depth - 3)  # inside {"variables": {"input": {"content": {"value": …}}}}
    response = await _submit(gateway, bearer, nested)
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "message": "the request body is not valid JSON for kaohe: it nests more than 64 deep",
        "extensions": {"code": "BAD_USER_INPUT", "reason": "invalid_json"}}
    assert backend.writes() == []


async def test_variables_nested_64_deep_are_passed_on(gateway: httpx.AsyncClient, bearer: Any,
                                                      backend: FakeBackend) -> None:
    nested = "[" * 59 + "]" * 59  # body 1 + variables 2 + input 3 + content 4 + value 5: 4 + 60 levels = 64
    response = await _submit(gateway, bearer, nested)
    assert response.json() == {"data": {"submitEvidence": {"id": "new-1"}}}
    assert backend.writes() == [("evidence", "POST", "/v1/submissions")]


async def test_a_literal_nested_as_deep_as_the_token_limit_allows_is_no_internal(
        gateway: httpx.AsyncClient, bearer: Any, backend: FakeBackend) -> None:
    nested = "[" * 2400 + "]" * 2400  # 4,800 tokens: under the 5,000-token limit
    query = ('mutation { submitEvidence(input: {periodId: "p1", subjectId: "s-a", indicator: "A1", fact: "measure", '
             f"content: {{value: {nested}}}}}) {{ id }} }}")
    response = await gateway.post("/graphql", json={"query": query}, headers=bearer(("admin", "")))
    assert response.status_code < 500
    assert response.json()["errors"][0]["extensions"]["code"] != "INTERNAL"
    assert backend.writes() == []
