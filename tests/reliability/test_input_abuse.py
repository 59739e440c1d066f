"""Abusive input is refused with a clear 4xx and writes nothing: oversized and deeply nested bodies, invalid
UTF-8, SQL in identifiers and batch reads, code smuggled into scheme expressions, attachment names that climb
out of the storage folder, and GraphQL depth, alias and token floods at the gateway."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.auth import Principal, issue_service_token
from services.evidence.app import app as evidence_app
from tests.conftest import auth
from tests.evidence.conftest import FakeScoring, client, clock, scoring  # noqa: F401 - fixtures
from tests.gateway.conftest import backend, bearer, gateway  # noqa: F401 - fixtures
from tests.gateway.fakes import FakeBackend
from tests.reliability.conftest import row_counts, service_app

ADMIN = auth(("admin", ""), subject="office")
INJECTION = "x'); DROP TABLE scoring.unit; --"


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] and error["message"]
    return error


@pytest.fixture
async def scoring_client(api: Any) -> tuple[httpx.AsyncClient, Any]:
    svc: httpx.AsyncClient = await api("scoring")
    created = await svc.post("/v1/units", json={"id": "u-city", "name": "市", "slug": "city"}, headers=ADMIN)
    assert created.status_code == 201, created.text
    return svc, service_app("scoring").state.db


async def test_oversized_and_malformed_bodies_write_nothing(scoring_client: Any) -> None:
    svc, db = scoring_client
    before = await row_counts(db, "scoring")
    huge = json.dumps({"name": "x" * 2_000_000, "slug": "big"})
    assert _error(await svc.post("/v1/units", content=huge, headers={**ADMIN, "Content-Type": "application/json"}),
                  413)["code"] == "payload_too_large"
    invalid_utf8 = b'{"name": "\xff\xfe\xfa", "slug": "bad"}'
    json_headers = {**ADMIN, "Content-Type": "application/json"}
    response = await svc.post("/v1/units", content=invalid_utf8, headers=json_headers)
    assert response.status_code in (400, 422), response.text
    assert "error" in response.json()
    nested = "[" * 50_000 + "]" * 50_000
    response = await svc.post("/v1/units", content=nested, headers={**ADMIN, "Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.text
    not_json = await svc.post("/v1/units", content=b"name=a&slug=b",
                                 headers={**ADMIN, "Content-Type": "application/x-www-form-urlencoded"})
    assert not_json.status_code == 422
    assert await row_counts(db, "scoring") == before


async def test_sql_in_identifiers_is_refused_and_in_batch_reads_matches_nothing(scoring_client: Any) -> None:
    svc, db = scoring_client
    before = await row_counts(db, "scoring")
    for field in ("id", "slug"):
        body = {"id": "u-x", "name": "x", "slug": "x", "parent_id": "u-city", field: INJECTION}
        error = _error(await svc.post("/v1/units", json=body, headers=ADMIN), 422)
        assert field in json.dumps(error["details"])
    listed = await svc.get("/v1/units", params={"ids": f"u-city,{INJECTION}"}, headers=ADMIN)
    assert listed.status_code == 200 and [u["id"] for u in listed.json()] == ["u-city"]
    assert (await svc.get(f"/v1/periods/{INJECTION}", headers=ADMIN)).status_code == 404
    assert await row_counts(db, "scoring") == before


SCHEME = {"id": "abuse", "version": 1, "title": "t", "subject_kind": "unit", "period": "quarter",
          "indicators": [{"code": "a", "name": "甲", "max": 50, "rule": {"kind": "manual"}},
                         {"code": "b", "name": "乙", "max": 50, "rule": {"kind": "manual"}}]}
SMUGGLED = [
    "__import__('os').system('touch /tmp/kaohe-pwned')",
    "a.__class__.__mro__",
    "eval('1')",
    "open('/etc/passwd')",
    "'a' + 'b'",
    "a + b; import os",
    "lambda: 1",
    "[x for x in (1,)]",
    "a ** 99999999",
    "(" * 500 + "a" + ")" * 500,
    "a / 0",
    "attr.months.__class__",  # attr.NAME is a dict key; anything after it is refused
]


@pytest.mark.parametrize("expression", SMUGGLED)
async def test_code_in_scheme_expressions_is_refused(scoring_client: Any, expression: str) -> None:
    svc, db = scoring_client
    before = await row_counts(db, "scoring")
    document = {**SCHEME, "total": expression}
    checked = await svc.post("/v1/schemes/validate", json={"text": json.dumps(document)}, headers=ADMIN)
    assert checked.status_code == 422, checked.text
    assert checked.json()["error"]["code"] == "scheme_invalid"
    created = await svc.post("/v1/schemes", json={"text": json.dumps(document), "owner_path": "city"},
                                headers=ADMIN)
    assert _error(created, 422)["code"] == "scheme_invalid"
    assert await row_counts(db, "scoring") == before
    assert not Path("/tmp/kaohe-pwned").exists()  # noqa: ASYNC240 - the file the payload would create


TRAVERSALS = ["../../../../etc/passwd", "..\\..\\windows\\system32\\cmd.exe", "/etc/shadow", "a/../../b.pdf",
              "x\x00.pdf", "%2e%2e%2fsecret.pdf", "." * 300 + "/x.pdf"]


@pytest.mark.parametrize("name", TRAVERSALS)
async def test_attachment_names_never_choose_the_storage_path(client: httpx.AsyncClient, name: str,  # noqa: F811
                                                              tmp_path: Path) -> None:
    submitter = auth(("assessor", "city/a"))
    score = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "regular", "fact": "score",
             "content": {"points": "46", "assessor": "科室负责人"}}
    sub = await client.post("/v1/submissions", json=score, headers=submitter)
    assert sub.status_code == 201, sub.text
    response = await client.post(f"/v1/submissions/{sub.json()['id']}/attachments",
                                 files={"file": (name, b"%PDF-1.7 hello", "application/pdf")}, headers=submitter)
    storage = evidence_app.state.attachment_storage
    if response.status_code == 201:
        stored = response.json()["filename"]
        assert "/" not in stored and "\\" not in stored and "\x00" not in stored and stored not in ("", ".", "..")
        files = [p for p in Path(storage.root).rglob("*") if p.is_file()]  # noqa: ASYNC240
        assert [p.name for p in files] == [response.json()["sha256"]]
    else:
        _error(response, 422)
    assert not (tmp_path.parent / "passwd").exists()


async def test_graphql_floods_never_reach_the_services(gateway: httpx.AsyncClient,  # noqa: F811
                                                       backend: FakeBackend, bearer: Any) -> None:  # noqa: F811
    headers = bearer(("auditor", ""))
    deep = "{ units(ids: [\"a\"]) { " + "parent { " * 20 + "id" + " }" * 20 + " } }"
    aliases = "{ " + " ".join(f"a{i}: units(ids: [\"a\"]) {{ id }}" for i in range(200)) + " }"
    tokens = "{ " + " ".join(f"u{i}: __typename" for i in range(6000)) + " }"
    for query in (deep, aliases, tokens):
        response = await gateway.post("/graphql", json={"query": query}, headers=headers)
        assert response.status_code in (200, 400), response.text
        body = response.json()
        assert body.get("errors") and not body.get("data"), body
    big = await gateway.post("/graphql", content=json.dumps({"query": "{ __typename }", "pad": "x" * 2_000_000}),
                             headers={**headers, "Content-Type": "application/json"})
    assert big.status_code == 413
    assert backend.requests == []


@pytest.mark.parametrize("service", ["evidence", "scoring"])
async def test_nul_characters_are_refused_not_a_500(api: Any, service: str) -> None:
    """Regression (fuzzing): PostgreSQL cannot store U+0000; it used to surface as a 500 from /events."""
    svc: httpx.AsyncClient = await api(service)
    db = service_app(service).state.db
    before = await row_counts(db, service)
    event = {"id": "fcf18a73-184b-2ddd-9338-3dc666662e03", "source": "x", "topic": "7\u0000T", "payload": {}}
    service_token = issue_service_token(Principal(subject="evidence", kind="service"))
    error = _error(await svc.post("/events", json=event, headers={"Authorization": f"Bearer {service_token}"}), 422)
    assert error == {"code": "invalid_input", "message": "text may not contain NUL (\\u0000) characters",
                     "details": {"reason": "unstorable character"}}
    assert await row_counts(db, service) == before


async def test_nul_in_a_unit_name_is_refused(scoring_client: Any) -> None:
    svc, db = scoring_client
    before = await row_counts(db, "scoring")
    body = {"id": "u-nul", "name": "甲\u0000乙", "slug": "nul", "parent_id": "u-city"}
    error = _error(await svc.post("/v1/units", json=body, headers=ADMIN), 422)
    # names are checked where the body is read (issue 21, item 26): the field named, the code point shown
    assert error["code"] == "validation_error"
    assert error["details"][0]["field"] == "name" and "U+0000, at position 2" in error["message"]
    assert await row_counts(db, "scoring") == before


async def test_control_characters_in_ids_forwarded_to_scoring_are_a_404(api: Any) -> None:
    """Regression (fuzzing): an id that cannot form a URL made ranking's and evidence's scoring calls raise; it is
    now sent encoded, and scoring's 404 named with the control character escaped."""
    asked: list[bytes] = []

    def unknown(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.raw_path)
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "no such period"}})

    ranking: httpx.AsyncClient = await api("ranking")
    service_app("ranking").state.scoring_http = httpx.AsyncClient(transport=httpx.MockTransport(unknown))
    try:
        response = await ranking.post("/v1/periods/a%1Bb/recompute", headers=ADMIN)
    finally:
        await service_app("ranking").state.scoring_http.aclose()
        service_app("ranking").state.scoring_http = None
    assert _error(response, 404)["message"] == "scoring does not know '/v1/periods/a\\x1bb'"
    assert asked == [b"/v1/periods/a%1Bb"]


@pytest.mark.parametrize("period_id", ["2026-Q1?x=1", "2026-Q1#top", "100%", "2026-Q1/subjects", "..", "=\u0000"])
async def test_ids_forwarded_to_scoring_stay_one_path_segment(client: httpx.AsyncClient,  # noqa: F811
                                                              scoring: FakeScoring,  # noqa: F811
                                                              period_id: str) -> None:
    """Regression (fuzzing, 200 examples): a period id with `?` was sent as `GET /v1/periods/?...`, scoring's
    redirect had no JSON body, and the journal submission was a 500. Every id is now one encoded segment; one with
    a NUL, which scoring refuses with a 422, is unknown without asking (it was a 503)."""
    raw_paths: list[str] = []

    def like_scoring(request: httpx.Request) -> httpx.Response:
        raw_paths.append(request.url.raw_path.decode().split("?")[0])
        if request.url.path == "/v1/periods/":  # FastAPI's slash redirect, as the real scoring answers
            return httpx.Response(307, headers={"location": "/v1/periods"})
        return scoring(request)

    evidence_app.state.scoring_transport = httpx.MockTransport(like_scoring)
    evidence_app.state.scoring_client = None
    body = {"period_id": period_id, "subject_id": "p001", "week": "2026-W10", "text": "本周", "points": "45"}
    error = _error(await client.post("/v1/journals", json=body, headers=auth(("submitter", "city/a"))), 404)
    assert error["code"] == "not_found"
    if "/" in period_id or period_id == ".." or "\x00" in period_id:  # no segment can name it: scoring not asked
        assert raw_paths == []
        return
    assert len(raw_paths) == 1 and raw_paths[0].startswith("/v1/periods/") and raw_paths[0].count("/") == 3
    assert "?" not in raw_paths[0] and "#" not in raw_paths[0]


async def test_numbers_past_the_columns_range_are_a_422(scoring_client: Any) -> None:
    """Regression (fuzzing, 200 examples): a scheme version past int32 in a path, query or body was a 500."""
    svc, db = scoring_client
    before = await row_counts(db, "scoring")
    for path in ("/v1/schemes/s1/versions/1819933824546", "/v1/schemes/s1/diff?a=-1819933824546&b=1"):
        assert _error(await svc.get(path, headers=ADMIN), 422) == {"code": "invalid_input", "message": (
            "a number is out of range"), "details": {"reason": "number out of range"}}
    opened = await svc.post("/v1/periods", headers=ADMIN, json={
        "scheme_id": "s1", "scheme_version": 4611686018427387903, "label": "2026-Q4",
        "subjects": [{"id": "u1", "group": "街道"}]})
    assert _error(opened, 422)["message"] == "a number is out of range"
    assert await row_counts(db, "scoring") == before


@pytest.mark.parametrize(("service", "where"), [("evidence", "topic"), ("scoring", "topic"), ("scoring", "payload")])
async def test_lone_surrogates_are_refused_not_a_500(api: Any, service: str, where: str) -> None:
    """JSON may escape half of a UTF-16 pair (`"\\ud800"`); such text cannot be stored or hashed as UTF-8."""
    svc: httpx.AsyncClient = await api(service)
    db = service_app(service).state.db
    before = await row_counts(db, service)
    topic, payload = ('"a\\ud800b"', "{}") if where == "topic" else ('"fact.changed"', '{"note": "a\\udfffb"}')
    raw = f'{{"id": "fcf18a73-184b-2ddd-9338-3dc666662e04", "source": "x", "topic": {topic}, "payload": {payload}}}'
    service_token = issue_service_token(Principal(subject="evidence", kind="service"))
    headers = {"Authorization": f"Bearer {service_token}", "Content-Type": "application/json"}
    response = await svc.post("/events", content=raw, headers=headers)
    assert response.status_code == 422, response.text
    assert await row_counts(db, service) == before


async def test_lone_surrogate_in_a_unit_name_is_refused(scoring_client: Any) -> None:
    svc, db = scoring_client
    before = await row_counts(db, "scoring")
    raw = '{"id": "u-sur", "name": "甲\\udc00乙", "slug": "sur", "parent_id": "u-city"}'
    response = await svc.post("/v1/units", content=raw, headers={**ADMIN, "Content-Type": "application/json"})
    assert _error(response, 422)["code"] == "validation_error"
    assert await row_counts(db, "scoring") == before
