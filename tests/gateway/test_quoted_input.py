"""Input quoted back in the gateway's GraphQL errors is shown with its control and bidirectional-formatting
characters escaped (probe defects; services/common/quoting.py), over HTTP with the services faked
(tests/gateway/fakes.py: s-a is a subject of p1 in city/a)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx


async def _errors(gateway: httpx.AsyncClient, headers: dict[str, str], query: str, language: str = "en",
                  **variables: Any) -> list[tuple[str, str]]:
    answer = await gateway.post("/graphql", json={"query": query, "variables": variables},
                                headers={**headers, "Accept-Language": language})
    assert "\u202e" not in answer.text and "\u2067" not in answer.text and "\x1b" not in answer.text
    return [(e["extensions"]["code"], e["message"]) for e in answer.json()["errors"]]


async def test_an_unknown_subject_and_unit_are_quoted_escaped(gateway: httpx.AsyncClient,
                                                              bearer: Callable[..., dict[str, str]]) -> None:
    admin = bearer(("admin", "city/a"))
    query = "query($p: ID!, $s: ID!) { submissions(periodId: $p, subjectId: $s) { totalCount } }"
    assert await _errors(gateway, admin, query, p="p1", s="s\u202efdp.exe") == [
        ("NOT_FOUND", "subject s\\u202efdp.exe is not enrolled in period p1")]
    assert await _errors(gateway, admin, query, "zh-CN", p="p1", s="s\u202efdp.exe") == [
        ("NOT_FOUND", "考核对象 s\\u202efdp.exe 未列入考核周期 p1")]
    assert await _errors(gateway, admin, "query($u: ID!) { unit(id: $u) { path } }", u="u\u2067\x1b[2J") == [
        ("NOT_FOUND", "unit u\\u2067\\u001b[2J does not exist")]
