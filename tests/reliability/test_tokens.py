"""Every guarded route of every service refuses a missing, forged, expired, wrong-audience, wrong-issuer or
unsigned service token with 401 and the error model, before touching anything."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from services.common.auth import SERVICE_TOKEN_AUDIENCE, SERVICE_TOKEN_ISSUER
from services.common.settings import get_settings
from tests.reliability.conftest import ALL_SERVICES, guarded_routes, row_counts, service_app

GRANTS = [{"role": "admin", "scope": ""}]


def _claims(**override: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": "mallory", "kind": "user", "grants": GRANTS, "iss": SERVICE_TOKEN_ISSUER,
              "aud": SERVICE_TOKEN_AUDIENCE, "iat": now, "exp": now + 60}
    claims.update(override)
    return claims


def _secret() -> str:
    secret = get_settings().service_token_secret
    assert secret is not None
    return secret.get_secret_value()


def bad_tokens() -> dict[str, str | None]:
    """Each way a token can be wrong, by name."""
    now = int(time.time())
    return {
        "missing": None,
        "forged": jwt.encode(_claims(), "not-the-secret-" * 3, algorithm="HS256"),
        "expired": jwt.encode(_claims(iat=now - 600, exp=now - 300), _secret(), algorithm="HS256"),
        "wrong_audience": jwt.encode(_claims(aud="some-other-system"), _secret(), algorithm="HS256"),
        "wrong_issuer": jwt.encode(_claims(iss="evil-gateway"), _secret(), algorithm="HS256"),
        "unsigned": jwt.encode(_claims(), None, algorithm="none"),  # type: ignore[arg-type]
        "no_expiry": jwt.encode({k: v for k, v in _claims().items() if k != "exp"}, _secret(), algorithm="HS256"),
        "unknown_role": jwt.encode(_claims(grants=[{"role": "god", "scope": ""}]), _secret(), algorithm="HS256"),
        "garbage": "not.a.jwt",
        # signed with the right secret, claims malformed: a 401, never a 500 (issue 21, item 5)
        "grants_not_a_list": jwt.encode(_claims(grants="admin"), _secret(), algorithm="HS256"),
        "grant_not_an_object": jwt.encode(_claims(grants=["admin"]), _secret(), algorithm="HS256"),
        "scope_not_a_text": jwt.encode(_claims(grants=[{"role": "admin", "scope": None}]), _secret(),
                                       algorithm="HS256"),
        "unknown_kind": jwt.encode(_claims(kind="root"), _secret(), algorithm="HS256"),
        "subject_ids_not_a_list": jwt.encode(_claims(subject_ids="p1"), _secret(), algorithm="HS256"),
    }


@pytest.mark.parametrize("service", ALL_SERVICES)
async def test_every_route_refuses_every_bad_token(api: Any, service: str) -> None:
    client: httpx.AsyncClient = await api(service)
    routes = guarded_routes(service_app(service))
    assert len(routes) >= 10, routes  # the matrix really covers the service
    db = service_app(service).state.db
    before = await row_counts(db, service)
    failures = []
    for name, token in bad_tokens().items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for method, path in routes:
            response = await client.request(method, path, headers=headers, json={"id": "x"})
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
            if response.status_code != 401 or "error" not in body or body["error"]["code"] != "not_authenticated":
                failures.append((name, method, path, response.status_code, response.text[:200]))
    assert failures == []
    assert await row_counts(db, service) == before


@pytest.mark.parametrize("scheme", ["Basic", "Token", ""])
async def test_a_token_in_another_scheme_is_refused(api: Any, scheme: str) -> None:
    client: httpx.AsyncClient = await api("scoring")
    token = jwt.encode(_claims(), _secret(), algorithm="HS256")
    response = await client.get("/v1/units", headers={"Authorization": f"{scheme} {token}".strip()})
    assert response.status_code == 401
