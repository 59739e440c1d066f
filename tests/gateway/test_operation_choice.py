"""Which operation of a document runs over HTTP: a subscription does not (it goes over the WebSocket), a document
of several operations needs `operationName` (a string) to say which; each refusal in both languages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

SUBSCRIPTION = "subscription { events { type } }"
TWO = "query A { me { subject } } query B { health { status } }"


async def _refusal(gateway: httpx.AsyncClient, bearer: Any, method: str, body: dict[str, Any],
                   language: str) -> tuple[int, str, str]:
    headers = {**bearer(("auditor", "")), "Accept-Language": language}
    if method == "GET":
        response = await gateway.get("/graphql", params={"query": body["query"]}, headers=headers)
    else:
        response = await gateway.post("/graphql", json=body, headers=headers)
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return response.status_code, errors[0]["extensions"]["code"], errors[0]["message"]


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_subscription_over_http_is_a_bad_request(gateway: httpx.AsyncClient, bearer: Any,
                                                         method: str) -> None:
    body = {"query": SUBSCRIPTION}
    assert await _refusal(gateway, bearer, method, body, "en") == (
        400, "BAD_USER_INPUT", "subscriptions go over the WebSocket at /graphql (graphql-transport-ws), not over HTTP")
    assert await _refusal(gateway, bearer, method, body, "zh-CN") == (
        400, "BAD_USER_INPUT", "订阅须通过 /graphql 的 WebSocket（graphql-transport-ws 协议）发送，不能通过 HTTP")


async def test_several_operations_need_a_name(gateway: httpx.AsyncClient, bearer: Any) -> None:
    assert await _refusal(gateway, bearer, "POST", {"query": TWO}, "en") == (
        200, "GRAPHQL_VALIDATION_FAILED", "Must provide operation name if query contains multiple operations.")
    assert await _refusal(gateway, bearer, "POST", {"query": TWO}, "zh-CN") == (
        200, "GRAPHQL_VALIDATION_FAILED", "文档包含多个操作时，必须给出操作名（operationName）。")


async def test_a_named_operation_of_several_runs(gateway: httpx.AsyncClient, bearer: Any) -> None:
    response = await gateway.post("/graphql", json={"query": TWO, "operationName": "A"},
                                  headers=bearer(("auditor", ""), subject="u1"))
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"subject": "u1"}}}


async def test_an_operation_name_that_is_not_a_string_is_a_bad_request(gateway: httpx.AsyncClient,
                                                                       bearer: Any) -> None:
    for language, message in (("en", "The GraphQL operation's `operationName` must be a string or null, if provided."),
                              ("zh-CN", "GraphQL 请求的 `operationName` 如有提供，必须是字符串或 null。")):
        response = await gateway.post("/graphql", json={"query": TWO, "operationName": 5},
                                      headers={**bearer(("auditor", "")), "Accept-Language": language})
        assert response.status_code == 400
        assert [(e["extensions"]["code"], e["message"]) for e in response.json()["errors"]] == [
            ("BAD_USER_INPUT", message)]
