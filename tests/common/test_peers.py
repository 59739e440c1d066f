"""Reading another service as the system: errors mapped, a stale keep-alive GET resent once."""

from __future__ import annotations

import httpx
import pytest

from services.common.errors import NotFound, ServiceUnavailable
from services.common.peers import system_get


def _client(handler: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://scoring")  # type: ignore[arg-type]


async def test_a_get_on_a_connection_closed_under_it_is_sent_again() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Authorization"][:7])
        if len(calls) == 1:
            raise httpx.RemoteProtocolError("server closed the connection", request=request)
        return httpx.Response(200, json={"id": "q1"})

    async with _client(handler) as http:
        assert await system_get(http, "/v1/periods/q1", peer="scoring") == {"id": "q1"}
    assert calls == ["Bearer ", "Bearer "]


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (httpx.Response(404), NotFound, "scoring does not know /v1/periods/q1"),
        (httpx.Response(500), ServiceUnavailable, "scoring answered 500 to GET /v1/periods/q1"),
        (httpx.ConnectError("refused"), ServiceUnavailable, "scoring is not reachable: ConnectError"),
    ],
)
async def test_failures_become_typed_errors(answer: object, error: type[Exception], message: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    async with _client(handler) as http:
        with pytest.raises(error) as caught:
            await system_get(http, "http://scoring/v1/periods/q1", peer="scoring", shown="/v1/periods/q1")
    assert caught.value.message == message  # type: ignore[attr-defined]
