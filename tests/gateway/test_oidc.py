"""OIDC sign-in as docs/identity.md describes it: the gateway fetches the identity provider's signing keys from
a JWKS URL (here served over real HTTP by the test, on 127.0.0.1), checks issuer, audience and expiry, and reads
the claims of the worked example (a government SSO's token after its claims were mapped)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.gateway.conftest import open_gateway
from tests.gateway.fakes import FakeBackend
from tests.local_http import serving

ISSUER = "https://sso.example.gov.cn/realms/zhengwu"
ME = "{ me { subject kind grants { role scope } subjectIds } }"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Jwks:
    """A JWKS endpoint on a free local port, counting the fetches."""

    def __init__(self) -> None:
        self.keys = [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())), "kid": "sso-2026",
                      "use": "sig", "alg": "RS256"}]
        self.fetches = 0
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.fetches += 1
                body = json.dumps({"keys": jwks.keys}).encode()
                self.send_response(200 if self.path == "/protocol/openid-connect/certs" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/protocol/openid-connect/certs"


@pytest.fixture
def jwks() -> Iterator[Jwks]:
    served = Jwks()
    with serving(served.server):
        yield served


def mapped_token(**overrides: Any) -> str:
    """The worked example of docs/identity.md: 王芳 of 清波街道, 考核联络员 (submitter) of her street and the
    assessed person p-000123, as the SSO issues her token once the mappers are configured."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "kaohe", "sub": "u-330100-000123", "iat": now, "exp": now + 600,
              "name": "王芳", "org_code": "330102001",
              "grants": [{"role": "submitter", "scope": "city/shangcheng/qingbo"}], "subject_ids": ["p-000123"]}
    claims.update(overrides)
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "sso-2026"})


async def test_a_mapped_sso_token_signs_in_through_a_jwks_url(monkeypatch: pytest.MonkeyPatch, jwks: Jwks) -> None:
    env = {"KAOHE_JWT_JWKS_URL": jwks.url, "KAOHE_JWT_ISSUER": ISSUER, "KAOHE_JWT_AUDIENCE": "kaohe"}
    async with open_gateway(monkeypatch, FakeBackend(), **env) as gateway:
        answer = await gateway.post("/graphql", json={"query": ME},
                                    headers={"Authorization": f"Bearer {mapped_token()}"})
        assert answer.json() == {"data": {"me": {
            "subject": "u-330100-000123", "kind": "user", "subjectIds": ["p-000123"],
            "grants": [{"role": "submitter", "scope": "city/shangcheng/qingbo"}]}}}
        assert jwks.fetches == 1

        for wrong, message in ((mapped_token(aud="another-app"), "invalid token: meant for another audience"),
                               (mapped_token(iss="https://sso.example.gov.cn/realms/other"),
                                "invalid token: from another issuer"),
                               (mapped_token(exp=int(time.time()) - 120), "token expired")):
            refused = await gateway.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {wrong}"})
            assert refused.status_code == 401
            assert refused.json()["errors"][0]["message"] == message


async def test_an_unmapped_sso_token_signs_in_with_no_role(monkeypatch: pytest.MonkeyPatch, jwks: Jwks) -> None:
    """The SSO's own claims alone (no `grants`, no `roles`): a valid sign-in that may do nothing."""
    env = {"KAOHE_JWT_JWKS_URL": jwks.url, "KAOHE_JWT_ISSUER": ISSUER, "KAOHE_JWT_AUDIENCE": "kaohe"}
    async with open_gateway(monkeypatch, FakeBackend(), **env) as gateway:
        token = mapped_token()
        claims = jwt.decode(token, options={"verify_signature": False})
        bare = {k: v for k, v in claims.items() if k not in ("grants", "subject_ids")}
        bare_token = jwt.encode(bare, KEY, algorithm="RS256", headers={"kid": "sso-2026"})
        answer = await gateway.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {bare_token}"})
        assert answer.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert answer.json()["errors"][0]["message"] == "u-330100-000123 may not run me"
