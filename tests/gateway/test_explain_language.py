"""A subject's score explanations through the gateway in the caller's language (issue 22), against the real
scoring service (its database rolled back): the gateway passes `Accept-Language` on, scoring renders the stored
English per reader (services/common/explanations.py). Worked by hand as in tests/scoring/test_explain_language.py."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.clients import Clients
from services.common.settings import Settings
from services.scoring.app import app as scoring_app
from tests.gateway.test_evidence_surface import OneAtATime
from tests.scoring.conftest import admin, ok, period, scoring  # noqa: F401 (fixtures)
from tests.scoring.test_explain_language import CHINESE, ENGLISH

EXPLAIN = "query($p: ID!, $s: ID!) { explain(periodId: $p, subjectId: $s) { total explain } }"
HISTORY = """query($p: ID!, $s: ID!) { scoreHistory(periodId: $p, subjectId: $s, indicator: "attend") {
  edges { node { explanation } } } }"""


class RealScoring:
    """Clients whose scoring is the real service app (evidence and ranking unavailable)."""

    def clients(self) -> Clients:
        unavailable = httpx.MockTransport(lambda _: httpx.Response(503, json={"error": {"code": "unavailable"}}))
        return Clients(Settings(), transports={"scoring": OneAtATime(httpx.ASGITransport(app=scoring_app)),
                                               "evidence": unavailable, "ranking": unavailable})


@pytest.fixture
async def backend(period: httpx.AsyncClient) -> RealScoring:  # noqa: F811
    await ok(await period.post("/v1/periods/q1/recompute", headers=admin()))
    return RealScoring()


async def _gql(gateway: httpx.AsyncClient, headers: dict[str, str], language: str, query: str) -> Any:
    response = await gateway.post("/graphql", json={"query": query, "variables": {"p": "q1", "s": "p1"}},
                                  headers={**headers, "Accept-Language": language})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_explain_and_history_follow_the_callers_language(gateway: httpx.AsyncClient, bearer: Any) -> None:
    office = bearer(("admin", "city"))
    chinese, english = await _gql(gateway, office, "zh-CN", EXPLAIN), await _gql(gateway, office, "en", EXPLAIN)
    assert chinese == {"explain": {"total": "88.00", "explain": CHINESE["p1"]}}
    assert english == {"explain": {"total": "88.00", "explain": ENGLISH["p1"]}}
    history = {language: await _gql(gateway, office, language, HISTORY) for language in ("zh-CN", "en")}
    assert [edge["node"]["explanation"] for edge in history["zh-CN"]["scoreHistory"]["edges"]] == [
        "扣分 [f3]：10 − late 2 × 1 = 8"]
    assert [edge["node"]["explanation"] for edge in history["en"]["scoreHistory"]["edges"]] == [
        "deduction [f3]: 10 − late 2 × 1 = 8"]
