"""GraphQL over HTTP against a running gateway, with bearer tokens: shared by the tests that drive a whole stack."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


class GraphQLOverHTTP:
    """`client(token, query, **variables)` → data (no errors allowed); `error(...)` → the first error."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        self.url = url
        self.timeout = timeout

    def raw(self, token: str, query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables},
                              headers={"Authorization": f"Bearer {token}"}, timeout=self.timeout)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def __call__(self, token: str, query: str, **variables: Any) -> dict[str, Any]:
        body = self.raw(token, query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def error(self, token: str, query: str, **variables: Any) -> dict[str, Any]:
        errors = self.raw(token, query, **variables).get("errors")
        assert errors, f"expected an error from {query}"
        return errors[0]  # type: ignore[no-any-return]

    def wait(self, token: str, query: str, until: Callable[[dict[str, Any]], bool], timeout: float = 60,
             **variables: Any) -> dict[str, Any]:
        """Ask again until `until(data)` holds (events travel through the outboxes) or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while True:
            data = self(token, query, **variables)
            if until(data) or time.monotonic() > deadline:
                return data
            time.sleep(0.3)
