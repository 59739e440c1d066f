"""Every service: health, readiness, metrics, the error model, and service-token trust."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from services.common.auth import SERVICE_TOKEN_AUDIENCE, SERVICE_TOKEN_ISSUER
from services.common.settings import SERVICES, get_settings
from tests.conftest import auth, rolled_back_database, service_client


def _forged(**overrides: Any) -> dict[str, str]:
    now = int(time.time())
    claims = {"sub": "mallory", "grants": [{"role": "admin", "scope": ""}], "iss": SERVICE_TOKEN_ISSUER,
              "aud": SERVICE_TOKEN_AUDIENCE, "iat": now, "exp": now + 60}
    secret = overrides.pop("secret", get_settings().service_token_secret.get_secret_value())
    claims.update(overrides)
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}"}


@pytest.mark.parametrize("service", SERVICES)
async def test_health_ready_metrics(api: Any, service: str) -> None:
    client = await api(service)
    assert (await client.get("/healthz")).json() == {"status": "ok", "service": service}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "service": service}
    metrics = await client.get("/metrics")
    expected = f'kaohe_http_requests_total{{method="GET",route="/readyz",service="{service}",status="200"}}'
    assert expected in metrics.text


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        "expired",
        "wrong-audience",
        "wrong-issuer",
        "wrong-secret",
    ],
)
async def test_a_call_without_a_valid_service_token_is_refused(api: Any, service: str, headers: Any) -> None:
    forged = {
        "expired": lambda: _forged(exp=int(time.time()) - 5, iat=int(time.time()) - 100),
        "wrong-audience": lambda: _forged(aud="somebody-else"),
        "wrong-issuer": lambda: _forged(iss="evil"),
        "wrong-secret": lambda: _forged(secret="x" * 40),
    }
    if isinstance(headers, str):
        headers = forged[headers]()
    client = await api(service)
    for path in ("/v1/status", "/v1/audit/verify"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("service", SERVICES)
async def test_a_valid_service_token_is_accepted(api: Any, service: str) -> None:
    client = await api(service)
    response = await client.get("/v1/status", headers=auth(("auditor", "")))
    assert response.status_code == 200
    body = response.json()
    assert body["service"] == service and body["status"] == "ready" and body["reason"] == ""


async def test_error_model_for_unknown_route_and_oversized_body(api: Any) -> None:
    client = await api("scoring")
    missing = await client.get("/nope", headers=auth(("admin", "")))
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Not Found", "details": None}}
    big = b"x" * (get_settings().max_body_bytes + 1)
    too_large = await client.post("/events", content=big, headers={"content-type": "application/json"})
    assert too_large.status_code == 413
    assert too_large.json()["error"]["code"] == "payload_too_large"


async def test_a_payload_error_names_the_field_as_the_client_wrote_it(api: Any) -> None:
    """No `body.` before the field, no pydantic `Value error, ` before the reason (issue 21, item 19)."""
    client = await api("scoring")
    both = await client.post("/v1/schemes", json={"text": "id: x", "document": {}}, headers=auth(("admin", "")))
    assert both.status_code == 422
    assert both.json()["error"] == {"code": "validation_error", "message": "the request body: give exactly one of "
                                    "`document` or `text`", "details": [
                                        {"field": "", "reason": "give exactly one of `document` or `text`"}]}
    unit = await client.post("/v1/units", json={"name": "甲", "slug": "a", "parent_id": 7}, headers=auth(("admin", "")))
    assert unit.json()["error"]["message"] == "parent_id: Input should be a valid string"
    limit = await client.get("/v1/periods", params={"limit": "many"}, headers=auth(("admin", "")))
    assert limit.json()["error"]["message"] == "limit: Input should be a valid integer, unable to parse string as an " \
        "integer"


async def test_a_streamed_body_over_the_limit_is_refused(api: Any) -> None:
    client = await api("scoring")
    limit = get_settings().max_body_bytes

    async def chunks() -> Any:  # no Content-Length: the limit is enforced while reading
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    response = await client.post("/events", content=chunks(), headers={**auth(("admin", "")),
                                                                      "content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"error": {"code": "payload_too_large", "message": f"request body over {limit} bytes",
                                         "details": None}}


async def test_request_id_is_echoed_and_created(api: Any) -> None:
    client = await api("evidence")
    given = await client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert given.headers["X-Request-ID"] == "abc123"
    made = await client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32


async def test_readyz_reports_migrations_behind(fresh_database: Any) -> None:
    url = fresh_database(migrate=False)
    async with rolled_back_database(url, "ranking") as db, service_client("ranking", db) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["reason"] == "migrations not applied (no ranking.alembic_version); run `kaohe migrate`"
