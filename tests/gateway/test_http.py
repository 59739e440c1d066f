"""`POST /graphql` over HTTP: bearer tokens, and service errors keeping their status as `code`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.gateway.fakes import FakeBackend


class Frozen(FakeBackend):
    """Ranking refuses to finalize while an objection is open."""

    def _ranking(self, request: httpx.Request, path: str, body: Any) -> Any:
        if path.endswith("/finalize"):
            return httpx.Response(409, json={"error": {"code": "objections_open", "message": "1 objection is open",
                                                       "details": {"open": ["ob-a"]}}})
        return super()._ranking(request, path, body)


@pytest.fixture
def backend() -> Frozen:
    return Frozen()


async def test_me_through_http_with_a_bearer_token(gateway: Any, bearer: Any) -> None:
    response = await gateway.post("/graphql", json={"query": "{ me { subject grants { role scope } subjectIds } }"},
                                  headers=bearer(("reviewer", "city/a"), subject="zhao"))
    assert response.json() == {"data": {"me": {"subject": "zhao", "grants": [{"role": "reviewer", "scope": "city/a"}],
                                               "subjectIds": []}}}


async def test_anonymous_http_request_is_unauthenticated(gateway: Any) -> None:
    response = await gateway.post("/graphql", json={"query": '{ period(id: "p1") { label } }'})
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "not_authenticated"}


async def test_service_error_keeps_its_status_as_code(gateway: Any, bearer: Any, backend: Frozen) -> None:
    response = await gateway.post("/graphql", json={"query": 'mutation { finalizePeriod(periodId: "p1") { sha256 } }'},
                                  headers=bearer(("admin", "")))
    error = response.json()["errors"][0]
    assert error["message"] == "1 objection is open"
    assert error["extensions"] == {"code": "CONFLICT", "reason": "objections_open", "details": {"open": ["ob-a"]}}
    assert backend.writes() == [("ranking", "POST", "/v1/periods/p1/finalize")]


async def test_a_graphql_body_that_is_not_utf8_is_a_400(gateway: httpx.AsyncClient, bearer: Any) -> None:
    """Regression (fuzzing): strawberry's decoding error was a 500."""
    bad = await gateway.post("/graphql", content=b'{"query": "{ \xff }"}',
                             headers={**bearer(("auditor", "")), "Content-Type": "application/json"})
    assert bad.status_code == 400
    assert bad.json() == {"errors": [{"message": "the request body is not valid UTF-8",
                                      "extensions": {"code": "BAD_USER_INPUT", "reason": "bad_request"}}]}


@pytest.mark.parametrize(("period_id", "asked"), [("2026-Q1?x=1", ["/v1/periods/2026-Q1?x=1"]), ("a/../b", []),
                                                   ("..", [])])
async def test_ids_reach_a_service_as_one_path_segment(gateway: httpx.AsyncClient, bearer: Any, backend: Frozen,
                                                       period_id: str, asked: list[str]) -> None:
    """An id holding `?` or `/` must not address another path of the service (it is sent percent-encoded as one
    segment, or is unknown without asking when no segment can name it)."""
    response = await gateway.post("/graphql", json={"query": "query($p: ID!) { period(id: $p) { id } }",
                                                   "variables": {"p": period_id}},
                                  headers=bearer(("auditor", "")))
    paths = [path for service, _, path in backend.requests if service == "scoring"]
    assert paths == asked
    if not asked:
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_responses_are_utf8_json_and_a_lone_surrogate_falls_back_to_escapes() -> None:
    from gateway.app import GatewayRouter

    encode = GatewayRouter.encode_json
    assert encode(None, {"data": {"name": "城关街道", "n": 1}}) == '{"data":{"name":"城关街道","n":1}}'.encode()  # type: ignore[arg-type]
    assert encode(None, {"message": "a\ud800b"}) == b'{"message":"a\\ud800b"}'  # type: ignore[arg-type]


@pytest.mark.parametrize("role", [("auditor", ""), ("submitter", "city/a")])
@pytest.mark.parametrize(("period_id", "asked"), [
    ("2026-Q1?x=1", ["/v1/periods/2026-Q1?x=1/subjects"]), ("%2e%2e", ["/v1/periods/%2e%2e/subjects"]),
    ("x\x1by", ["/v1/periods/x\x1by/subjects"]),
    (".", []), ("..", []), ("P1/../../../v1/audit?", [])])
async def test_a_subject_read_sends_its_period_id_as_one_path_segment(
        gateway: httpx.AsyncClient, bearer: Any, backend: Frozen, role: tuple[str, str], period_id: str,
        asked: list[str]) -> None:
    """Regression (attacker probe): the subject loaders formatted the period id into the path as it came, so that
    `.`, `../../v1/audit?` or `x?y` addressed other routes of scoring, some as the gateway itself. The id is one
    encoded segment (the service reads it back as written, `%2e%2e` included); an id no segment can name is an
    unknown period, asked of no one."""
    query = 'query($p: ID!) { subject(periodId: $p, id: "s1") { id } }'
    response = await gateway.post("/graphql", json={"query": query, "variables": {"p": period_id}},
                                  headers={**bearer(role), "Accept-Language": "en"})
    paths = [path for service, _, path in backend.requests if service == "scoring"]
    assert set(paths) == set(asked)
    if not asked:
        assert response.json()["errors"][0]["message"] == f"period {period_id} not found"
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
