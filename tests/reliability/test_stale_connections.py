"""Regression (soak run): a pooled keep-alive connection to scoring that the server closed just as evidence reused
it surfaced as "scoring cannot be reached: ReadError" (503) on a review; the idempotent GET is now sent again."""

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
