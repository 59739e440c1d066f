"""One error shape for the whole gateway (issue 21, item 19): `{"errors": [{"message", "extensions": {"code",
…}}]}` with a code on every error, whatever refused the request (a GraphQL rule, the credentials, the HTTP
layer, a service, a file route), and UNAUTHENTICATED always as HTTP 401 (docs/api.md, "Errors")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.gateway.fakes import FakeBackend


def _only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) <= {"data", "errors"}, body
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    return error


@pytest.mark.parametrize(("query", "code", "message"), [
    ("{ me { nope } }", "GRAPHQL_VALIDATION_FAILED", "Cannot query field 'nope' on type 'Me'."),
    ("{ verifyAuditChain(service: NOPE) { ok } }", "GRAPHQL_VALIDATION_FAILED",
     "Value 'NOPE' does not exist in 'Service' enum."),
    ("{ " + " ".join(f"a{i}: me {{ subject }}" for i in range(31)) + " }", "GRAPHQL_VALIDATION_FAILED",
     "31 aliases found. Allowed: 30"),
    ("{ me { subject }", "GRAPHQL_PARSE_FAILED", "Syntax Error: Expected Name, found <EOF>."),
])
async def test_graphql_rules_give_a_code(gateway: httpx.AsyncClient, bearer: Any, query: str, code: str,
                                         message: str) -> None:
    response = await gateway.post("/graphql", json={"query": query}, headers=bearer(("auditor", "")))
    assert response.status_code == 200
    error = _only_error(response)
    assert (error["message"], error["extensions"]) == (message, {"code": code})


async def test_bad_credentials_and_missing_ones_are_both_401(gateway: httpx.AsyncClient) -> None:
    forged = await gateway.post("/graphql", json={"query": "{ me { subject } }"},
                                headers={"Authorization": "Bearer not.a.token"})
    assert (forged.status_code, forged.headers["www-authenticate"]) == (401, "Bearer")
    error = _only_error(forged)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "not_authenticated"}
    assert error["message"].startswith("invalid token: ")
    anonymous = await gateway.post("/graphql", json={"query": "{ me { subject } }"})
    assert (anonymous.status_code, anonymous.headers["www-authenticate"]) == (401, "Bearer")
    assert _only_error(anonymous) == {
        "message": "sign in: send a bearer token or an API key", "locations": [{"line": 1, "column": 3}],
        "path": ["me"], "extensions": {"code": "UNAUTHENTICATED", "reason": "not_authenticated"}}


async def test_a_public_field_needs_no_caller(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post("/graphql", json={"query": "{ __typename }"})
    assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "message"), [
    ("POST", "/graphql", b'{"query": ', 400, "BAD_USER_INPUT",
     "the request body is not valid JSON: a value was expected at line 1 column 11"),
    ("POST", "/graphql", b'{"variables": {}}', 400, "BAD_USER_INPUT", "No GraphQL query found in the request"),
    ("POST", "/graphql", b"x" * 2_000_000, 413, "PAYLOAD_TOO_LARGE", "request body over 1048576 bytes"),
    ("GET", "/no-such-route", b"", 404, "NOT_FOUND", "Not Found"),
    ("DELETE", "/graphql", b"", 405, "METHOD_NOT_ALLOWED", "Method Not Allowed"),
    ("GET", "/exports/periods/p1/ranking.pdf", b"", 422, "BAD_USER_INPUT",
     "format: Input should be 'xlsx' or 'csv'"),
])
async def test_http_refusals_have_the_same_shape(gateway: httpx.AsyncClient, bearer: Any, method: str, path: str,
                                                 body: bytes, status: int, code: str, message: str) -> None:
    response = await gateway.request(method, path, content=body,
                                     headers={**bearer(("auditor", "")), "Content-Type": "application/json"})
    assert response.status_code == status
    error = _only_error(response)
    assert (error["message"], error["extensions"]["code"]) == (message, code)


async def test_file_routes_have_the_same_shape(gateway: httpx.AsyncClient, bearer: Any) -> None:
    anonymous = await gateway.get("/attachments/att-a")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert _only_error(anonymous) == {"message": "sign in: send a bearer token or an API key",
                                      "extensions": {"code": "UNAUTHENTICATED", "reason": "not_authenticated"}}
    rater = await gateway.get("/exports/periods/p1/ranking.csv", headers=bearer(("rater", "city/a")))
    assert rater.status_code == 403
    assert _only_error(rater)["extensions"] == {"code": "FORBIDDEN", "reason": "forbidden"}


class Broken(FakeBackend):
    """Scoring fails in a way no client caused: the gateway answers INTERNAL without the details."""

    def _scoring(self, request: httpx.Request, path: str, body: Any) -> Any:
        if path == "/v1/people":
            raise RuntimeError("a bug, with a secret detail")
        return super()._scoring(request, path, body)


async def test_an_unexpected_failure_is_internal_and_says_nothing_more(monkeypatch: pytest.MonkeyPatch,
                                                                       bearer: Any) -> None:
    from tests.gateway.conftest import open_gateway

    async with open_gateway(monkeypatch, Broken()) as gateway:
        response = await gateway.post("/graphql", json={"query": '{ people(ids: ["p1"]) { nodes { name } } }'},
                                      headers=bearer(("auditor", "")))
    error = _only_error(response)
    assert (error["message"], error["extensions"]) == ("internal error; see the gateway log", {"code": "INTERNAL"})
