"""Gateway identity: HS256 and JWKS/RS256 tokens with issuer, audience and expiry, API keys."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.auth import Authenticator, principal_from_claims
from kaohe.i18n import localize
from services.common.auth import Grant, verify_service_token
from services.common.errors import NotAuthenticated
from services.common.settings import Settings, get_settings

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def _settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {"jwt_secret": SECRET, "jwt_issuer": "https://idp.example", "jwt_audience": "kaohe"}
    base.update(overrides)
    return Settings(**base)


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": "alice", "iss": "https://idp.example", "aud": "kaohe", "iat": now, "exp": now + 300,
              "grants": [{"role": "submitter", "scope": "city/a"}]}
    claims.update(overrides)
    return claims


def _hs(**overrides: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + jwt.encode(_claims(**overrides), SECRET, algorithm="HS256")}


def _auth(settings: Settings | None = None, transport: Any = None, verify: Any = None) -> Authenticator:
    http = httpx.AsyncClient(transport=transport or httpx.MockTransport(lambda r: httpx.Response(404)))

    async def no_keys(_key: str) -> None:
        return None

    return Authenticator(settings or _settings(), http, verify or no_keys)


async def test_hs256_token_gives_its_grants() -> None:
    principal = await _auth().authenticate(_hs())
    assert principal is not None
    assert principal.subject == "alice" and principal.grants == (Grant("submitter", "city/a"),)
    assert principal.can("submitter", "city/a/unit-3") and not principal.can("submitter", "city/b")


async def test_no_credentials_is_anonymous() -> None:
    assert await _auth().authenticate({}) is None


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (lambda: _hs(exp=int(time.time()) - 120), "token expired"),
        (lambda: _hs(aud="someone-else"), "invalid token: meant for another audience"),
        (lambda: _hs(iss="https://evil.example"), "invalid token: from another issuer"),
        (lambda: {"Authorization": "Bearer " + jwt.encode(_claims(), "x" * 40, algorithm="HS256")},
         "invalid token: the signature does not verify"),
        (lambda: _hs(grants=[{"role": "superuser", "scope": ""}]), "unknown role 'superuser' in token"),
        (lambda: {"Authorization": "Basic abc"}, "use Authorization: Bearer <token> or X-API-Key"),
        (lambda: {"Authorization": "Bearer " + jwt.encode(_claims(), "", algorithm="none")},
         "tokens signed with 'none' are not accepted here"),
    ],
)
async def test_bad_tokens_are_refused(headers: Any, message: str) -> None:
    with pytest.raises(NotAuthenticated) as caught:
        await _auth().authenticate(headers())
    assert caught.value.message == message


@pytest.mark.parametrize(("token", "english", "chinese"), [
    ("not.a.token", "invalid token: malformed", "令牌无效：格式不正确"),
    ("\u00ff\u00fe.e30.x", "invalid token: malformed", "令牌无效：格式不正确"),  # a header that is not UTF-8
    (jwt.encode({"sub": "alice", "exp": 2_000_000_000}, "x" * 40, algorithm="HS256"),
     "invalid token: the signature does not verify", "令牌无效：签名验证不通过"),
])
async def test_a_bad_token_reads_in_kaohe_words(token: str, english: str, chinese: str) -> None:
    """PyJWT's own English (with the decoder's internals) is not put inside the message."""
    with pytest.raises(NotAuthenticated) as caught:
        await _auth().authenticate({"Authorization": f"Bearer {token}"})
    assert (localize(caught.value.message, "en"), localize(caught.value.message, "zh-CN")) == (english, chinese)


def test_a_bad_service_token_reads_in_kaohe_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAOHE_SERVICE_TOKEN_SECRET", SECRET)
    get_settings.cache_clear()
    try:
        for token, english, chinese in (
                ("e30=.e30.x", "invalid service token: malformed", "服务令牌无效：格式不正确"),
                (jwt.encode({"sub": "gw"}, "y" * 40, algorithm="HS256"),
                 "invalid service token: the signature does not verify", "服务令牌无效：签名验证不通过")):
            with pytest.raises(NotAuthenticated) as caught:
                verify_service_token(token)
            assert (localize(caught.value.message, "en"), localize(caught.value.message, "zh-CN")) == (
                english, chinese)
    finally:
        get_settings.cache_clear()


def _rsa() -> tuple[Any, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))


async def test_rs256_via_jwks_with_key_rotation() -> None:
    old_key, old_jwk = _rsa()
    new_key, new_jwk = _rsa()
    published = {"keys": [{**old_jwk, "kid": "k1"}]}
    fetches: list[int] = []

    def issuer(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "https://idp.example/jwks"
        fetches.append(1)
        return httpx.Response(200, json=published)

    authenticator = _auth(_settings(jwt_jwks_url="https://idp.example/jwks"), httpx.MockTransport(issuer))
    token = jwt.encode(_claims(), old_key, algorithm="RS256", headers={"kid": "k1"})
    assert (await authenticator.authenticate({"Authorization": f"Bearer {token}"})).subject == "alice"
    assert (await authenticator.authenticate({"Authorization": f"Bearer {token}"})).subject == "alice"
    assert len(fetches) == 1  # keys are cached

    published["keys"].append({**new_jwk, "kid": "k2"})  # the issuer rotates
    authenticator.jwks.fetched_at -= 60  # past the minimum refresh interval
    rotated = jwt.encode(_claims(sub="bob"), new_key, algorithm="RS256", headers={"kid": "k2"})
    assert (await authenticator.authenticate({"Authorization": f"Bearer {rotated}"})).subject == "bob"
    assert len(fetches) == 2

    forged_key, _ = _rsa()
    forged = jwt.encode(_claims(), forged_key, algorithm="RS256", headers={"kid": "k1"})
    with pytest.raises(NotAuthenticated, match="the signature does not verify"):
        await authenticator.authenticate({"Authorization": f"Bearer {forged}"})


async def test_api_keys_are_verified_once_then_cached() -> None:
    calls: list[str] = []

    async def verify(key: str) -> dict[str, Any] | None:
        calls.append(key)
        if key == "kh_good":
            return {"id": "7", "name": "portal", "grants": [{"role": "auditor", "scope": "city"}]}
        return None

    authenticator = _auth(verify=verify)
    first = await authenticator.authenticate({"X-API-Key": "kh_good"})
    second = await authenticator.authenticate({"X-API-Key": "kh_good"})
    assert first == second and first.kind == "api_key" and first.subject == "api-key:7"
    assert first.grants == (Grant("auditor", "city"),)
    assert calls == ["kh_good"]
    with pytest.raises(NotAuthenticated, match="invalid or revoked API key"):
        await authenticator.authenticate({"X-API-Key": "kh_bad"})


def test_roles_shorthand_claim() -> None:
    principal = principal_from_claims({"sub": "carol", "roles": ["reviewer", "rater"], "scope": "city/b",
                                       "subject_ids": ["p9"]})
    assert principal.grants == (Grant("reviewer", "city/b"), Grant("rater", "city/b"))
    assert principal.subject_ids == ("p9",)
