"""GraphQL over HTTP to the letter (issue 22): `application/graphql-response+json` served as the specification
says, `application/json` unchanged for older clients, and the reference audit (graphql-http's `serverAudits`,
the npm package pinned in tests/http_audit/) run against a gateway listening on a port, 61 of 61 ok."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import GRAPHQL_RESPONSE, response_media_type

AUDIT = Path(__file__).parent.parent / "http_audit"
MEDIA = "application/graphql-response+json; charset=utf-8"
PARSE = {"query": "{ me { subject }"}
VALIDATION = {"query": "{ me { subjec } }"}
COERCION = {"query": "query($p: ID!) { period(id: $p) { id } }", "variables": {"p": None}}


@pytest.mark.parametrize(("accept", "chosen"), [
    (None, "application/json"),  # no Accept: an older client
    ("", "application/json"),
    ("*/*", "application/json"),
    ("application/*", "application/json"),
    ("application/json", "application/json"),
    ("application/graphql-response+json", GRAPHQL_RESPONSE),
    ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE),  # what the spec advises
    ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE),  # both as willingly
    ("application/json, application/graphql-response+json;q=0.5", "application/json"),
    ("Application/GraphQL-Response+JSON ; q=1", GRAPHQL_RESPONSE),
    ("application/graphql-response+json;q=0", "application/json"),  # refused outright
    ("text/html, application/graphql-response+json;q=0.8, */*;q=0.9", "application/json"),
])
def test_the_media_type_follows_accept(accept: str | None, chosen: str) -> None:
    assert response_media_type(accept) == chosen


async def _post(gateway: httpx.AsyncClient, body: dict[str, Any], accept: str | None,
                headers: dict[str, str] | None = None) -> httpx.Response:
    return await gateway.post("/graphql", json=body, headers={**({"Accept": accept} if accept else {}),
                                                              **(headers or {})})


@pytest.mark.parametrize(("body", "code"), [(PARSE, "GRAPHQL_PARSE_FAILED"), (VALIDATION, "GRAPHQL_VALIDATION_FAILED"),
                                            (COERCION, "BAD_USER_INPUT")])
async def test_a_request_that_fails_before_execution_is_a_400_without_data(
        gateway: httpx.AsyncClient, bearer: Any, body: dict[str, Any], code: str) -> None:
    asked = await _post(gateway, body, GRAPHQL_RESPONSE, bearer(("auditor", "")))
    assert asked.status_code == 400 and asked.headers["content-type"] == MEDIA
    answer = asked.json()
    assert "data" not in answer and [e["extensions"]["code"] for e in answer["errors"]] == [code]
    legacy = await _post(gateway, body, "application/json", bearer(("auditor", "")))  # as before: 200, data null
    assert legacy.status_code == 200 and legacy.headers["content-type"] == "application/json"
    assert legacy.json()["data"] is None and [e["extensions"]["code"] for e in legacy.json()["errors"]] == [code]
    assert (await _post(gateway, body, None, bearer(("auditor", "")))).status_code == 200


async def test_an_answer_is_200_in_the_asked_media_type(gateway: httpx.AsyncClient, bearer: Any) -> None:
    asked = await _post(gateway, {"query": "{ me { subject } }"}, GRAPHQL_RESPONSE, bearer(("auditor", ""),
                                                                                            subject="qian"))
    assert asked.status_code == 200 and asked.headers["content-type"] == MEDIA
    assert asked.json() == {"data": {"me": {"subject": "qian"}}}


async def test_a_field_error_keeps_its_data_and_status(gateway: httpx.AsyncClient, bearer: Any) -> None:
    """Fields ran: `data` is there (null here, the non-null root field having failed) and the status is 2xx,
    not a request error; an auditor may not finalize a period (FORBIDDEN, on the field's path)."""
    asked = await _post(gateway, {"query": 'mutation { finalizePeriod(periodId: "p1") { sha256 } }'},
                        GRAPHQL_RESPONSE, bearer(("auditor", "")))
    assert asked.status_code == 200 and asked.headers["content-type"] == MEDIA
    answer = asked.json()
    assert answer["data"] is None and answer["errors"][0]["path"] == ["finalizePeriod"]
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_unauthenticated_stays_401_and_a_body_that_is_not_json_400(gateway: httpx.AsyncClient) -> None:
    anonymous = await _post(gateway, {"query": '{ period(id: "p1") { id } }'}, GRAPHQL_RESPONSE)
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == MEDIA
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    broken = await gateway.post("/graphql", content=b'{"query": ', headers={
        "Accept": GRAPHQL_RESPONSE, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.headers["content-type"] == MEDIA
    assert broken.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "reason": "invalid_json"}
    legacy = await gateway.post("/graphql", content=b'{"query": ', headers={"Content-Type": "application/json"})
    assert legacy.status_code == 400 and legacy.headers["content-type"] == "application/json"


def _prepared_audit() -> Path:
    """tests/http_audit with its pinned packages installed (`npm ci`, from package-lock.json), once."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the GraphQL-over-HTTP audit (graphql-http) runs on Node")
    npm = shutil.which("npm")
    assert npm, "node without npm: cannot install the audit's pinned packages"
    if not (AUDIT / "node_modules" / "graphql-http" / "package.json").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=AUDIT, check=True,
                       timeout=300)
    return AUDIT


def test_the_graphql_over_http_audit_passes_whole() -> None:
    from gateway.app import create_app
    from tests.gateway.fakes import FakeBackend
    from tests.reliability.fuzzing import served

    folder = _prepared_audit()
    with served(create_app(clients=FakeBackend().clients())) as url:
        run = subprocess.run(["node", "audit.mjs", f"{url}/graphql"], cwd=folder, capture_output=True, text=True,
                             timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    print("graphql-http serverAudits:", {s: sum(r["status"] == s for r in results) for s in ("ok", "warn", "error")})
    assert [(r["id"], r["status"], r["name"], r["reason"]) for r in results if r["status"] != "ok"] == []
    assert len(results) == 61  # the whole suite of graphql-http 1.23.1 ran


async def test_a_post_body_of_another_media_type_is_a_400_as_the_openapi_says(gateway: httpx.AsyncClient) -> None:
    """A body that is not `application/json` (or names no media type) is not a well-formed GraphQL-over-HTTP
    request: 400, as the specification advises for one (not 415), and as the gateway's OpenAPI documents
    POST /graphql (gateway/openapi.py); in the reader's language."""
    for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "application/xml"}, {}):
        refused = await gateway.post("/graphql", content=b"{ health { service } }",
                                     headers={"Accept": GRAPHQL_RESPONSE, **headers})
        assert (refused.status_code, refused.headers["content-type"]) == (400, MEDIA)
        assert refused.json() == {"errors": [{"message": "Unsupported content type",
                                              "extensions": {"code": "BAD_USER_INPUT", "reason": "bad_request"}}]}
    chinese = await gateway.post("/graphql", content=b"{ health { service } }", headers={
        "Accept": GRAPHQL_RESPONSE, "Content-Type": "text/plain", "Accept-Language": "zh-CN"})
    assert chinese.status_code == 400
    assert chinese.json()["errors"][0]["message"] == "不支持的内容类型（Content-Type）"
    from gateway.app import create_app

    documented = create_app().openapi()["paths"]["/graphql"]["post"]["responses"]
    assert sorted(documented) == ["200", "400", "401", "413", "500"]
    assert "another media type than `application/json`" in documented["400"]["description"]
