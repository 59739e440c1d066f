"""Regression (soak runs): a pooled keep-alive connection that the server closed just as the client reused it
surfaced as "cannot be reached: ReadError/RemoteProtocolError" (503) — from evidence to scoring on a review, from
the gateway to ranking on a ranking page. A GET is now sent again; a write never is."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.evidence.app import app as evidence_app
from tests.conftest import auth
from tests.evidence.conftest import FakeScoring, client, clock, scoring  # noqa: F401 - fixtures

SCORE = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "regular", "fact": "score",
         "content": {"points": "46", "assessor": "科室负责人"}}


@pytest.mark.parametrize("kind", ["read", "protocol"])
async def test_a_connection_closed_under_a_reused_keep_alive_is_retried(client: httpx.AsyncClient,  # noqa: F811
                                                                        scoring: FakeScoring,  # noqa: F811
                                                                        kind: str) -> None:
    failures = [kind]

    def flaky(request: httpx.Request) -> httpx.Response:
        if failures and request.url.path == "/v1/periods/2026-Q1":
            error = httpx.ReadError if failures.pop(0) == "read" else httpx.RemoteProtocolError
            raise error("connection closed", request=request)
        return scoring(request)

    evidence_app.state.scoring_transport = httpx.MockTransport(flaky)
    evidence_app.state.scoring_client = None
    made = await client.post("/v1/submissions", json=SCORE, headers=auth(("assessor", "city/a")))
    assert made.status_code == 201, made.text
    assert failures == []  # one stale connection, one retry, no error


async def test_a_scoring_that_stays_away_is_still_a_503(client: httpx.AsyncClient) -> None:  # noqa: F811
    def down(request: httpx.Request) -> Any:
        raise httpx.ReadError("connection reset", request=request)

    evidence_app.state.scoring_transport = httpx.MockTransport(down)
    evidence_app.state.scoring_client = None
    made = await client.post("/v1/submissions", json=SCORE, headers=auth(("assessor", "city/a")))
    assert made.status_code == 503, made.text
    assert made.json()["error"]["message"] == "scoring is not reachable: ReadError"


@pytest.mark.parametrize(("method", "status"), [("GET", 200), ("POST", 503)])
async def test_the_gateway_resends_only_reads_over_a_stale_connection(method: str, status: int) -> None:
    """Regression (5-minute soak): a ranking page failed with RemoteProtocolError on a reused connection."""
    from gateway.clients import ServiceClient
    from services.common.auth import Principal
    from services.common.errors import ServiceUnavailable

    sent: list[str] = []

    def stale_once(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        if len(sent) == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(200, json={"ok": True})

    service = ServiceClient("ranking", "http://ranking", transport=httpx.MockTransport(stale_once))
    try:
        if status == 200:
            assert await service.request(method, "/v1/periods/q1/ranking", Principal(subject="a")) == {"ok": True}
            assert sent == ["GET", "GET"]
        else:
            with pytest.raises(ServiceUnavailable):
                await service.request(method, "/v1/periods/q1/publication", Principal(subject="a"))
            assert sent == ["POST"]  # a write is never sent twice
    finally:
        await service.aclose()
