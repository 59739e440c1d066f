"""Reading another service as the system: errors mapped, a stale keep-alive GET resent once."""

from __future__ import annotations

import httpx
import pytest

from services.common.errors import NotFound, ServiceUnavailable
from services.common.peers import segment, system_get


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


@pytest.mark.parametrize(("value", "encoded"), [
    ("2026-Q1", "2026-Q1"), ("a?b=1", "a%3Fb%3D1"), ("50%", "50%25"), ("a#b", "a%23b"), ("市", "%E5%B8%82"),
    ("a\x1bb", "a%1Bb"), ("\ud914", "%ED%A4%94"), ("...", "..."), (7, "7"),
])
def test_segment_keeps_an_id_one_path_segment(value: object, encoded: str) -> None:
    assert segment(value) == encoded


@pytest.mark.parametrize("value", ["", ".", "..", "a/b", "2026-Q1/scores", "=\x00", "a\x00b"])
def test_an_id_no_segment_can_name_is_not_found(value: str) -> None:
    with pytest.raises(NotFound) as refused:
        segment(value)
    assert str(refused.value) == f"no resource is named {value!r}"


@pytest.mark.parametrize("answer", [httpx.Response(307, headers={"location": "/v1/periods"}),
                                    httpx.Response(200, content=b""), httpx.Response(204)])
async def test_an_answer_without_a_json_body_is_a_503(answer: httpx.Response) -> None:
    async with _client(lambda request: answer) as http:
        with pytest.raises(ServiceUnavailable) as refused:
            await system_get(http, "/v1/periods/q%3F1", peer="scoring")
    assert str(refused.value) == f"scoring answered GET /v1/periods/q?1 with {answer.status_code} and no JSON body"
