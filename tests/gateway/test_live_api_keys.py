"""API keys through the gateway over the real services (issue 17): an administrator creates a key (shown once),
lists it with its creator and last use, and revokes it; grants stay within what the creator administers; a
revoked key is refused at once by the gateway that revoked it and by any other instance within
API_KEY_CACHE_SECONDS (docs/identity.md)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import httpx
import pytest

from gateway.auth import API_KEY_CACHE_SECONDS, Authenticator
from services.common.auth import SYSTEM, Grant
from services.common.errors import NotAuthenticated
from services.common.settings import get_settings
from tests.gateway.live import Live, module_stack

live = module_stack("api-keys")
CREATE = """mutation($n: String!, $g: [GrantInput!]!) { createApiKey(name: $n, grants: $g) {
  key apiKey { id name createdBy createdAt lastUsedAt grants { role scope } } } }"""
LIST = "{ apiKeys { totalCount nodes { id name createdBy lastUsedAt grants { role scope } } } }"
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) }"
ME = "{ me { subject kind grants { role scope } } }"


def with_key(live: Live, key: str, query: str, **variables: Any) -> httpx.Response:
    return httpx.post(f"{live.url}/graphql", json={"query": query, "variables": variables},
                      headers={"X-API-Key": key}, timeout=30)


def test_a_key_is_created_shown_once_listed_used_and_revoked(live: Live) -> None:
    office = live.token("admin", "city/a", subject="王主任")
    created = live(office, CREATE, n="区门户", g=[{"role": "auditor", "scope": "city/a"}])["createApiKey"]
    key, row = created["key"], created["apiKey"]
    assert key.startswith("khk_") and len(key) > 40
    assert row["name"] == "区门户" and row["createdBy"] == "王主任" and row["lastUsedAt"] is None
    assert row["grants"] == [{"role": "auditor", "scope": "city/a"}]
    stored = live.service("scoring", "GET", "/v1/api-keys").json()
    assert key not in str(stored)  # only its SHA-256 is kept
    assert [r["id"] for r in stored] == [row["id"]]

    used = with_key(live, key, ME)
    assert used.json() == {"data": {"me": {"subject": f"api-key:{row['id']}", "kind": "api_key",
                                           "grants": [{"role": "auditor", "scope": "city/a"}]}}}
    listed = live(office, LIST)["apiKeys"]
    assert listed["totalCount"] == 1 and listed["nodes"][0]["id"] == row["id"]
    assert listed["nodes"][0]["lastUsedAt"] is not None  # the gateway's verification recorded it
    assert "key" not in listed["nodes"][0]
    # an administrator of another street does not see it, nor may revoke it
    other = live.token("admin", "city/b")
    assert live(other, LIST)["apiKeys"]["totalCount"] == 0
    assert live.error(other, REVOKE, id=row["id"])["extensions"]["code"] == "NOT_FOUND"

    assert live(office, REVOKE, id=row["id"]) == {"revokeApiKey": row["id"]}
    refused = with_key(live, key, ME)  # cached by this gateway a moment ago, refused at once all the same
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["message"] == "invalid or revoked API key"
    assert live(office, LIST)["apiKeys"]["totalCount"] == 0


def test_grants_stay_within_what_the_creator_administers(live: Live) -> None:
    office = live.token("admin", "city/a")
    for scope in ("city/b", "", "city"):
        refused = live.error(office, CREATE, n="越权", g=[{"role": "auditor", "scope": scope}])
        assert refused["extensions"]["code"] == "FORBIDDEN", scope
    below = live(office, CREATE, n="下级", g=[{"role": "submitter", "scope": "city/a/x"}])["createApiKey"]
    assert below["apiKey"]["grants"] == [{"role": "submitter", "scope": "city/a/x"}]
    assert live.error(live.token("auditor", ""), CREATE, n="审计", g=[{"role": "auditor", "scope": ""}])[
        "extensions"]["code"] == "FORBIDDEN"
    bad = live.error(office, CREATE, n="坏", g=[{"role": "king", "scope": "city/a"}])
    assert bad["extensions"]["code"] == "BAD_USER_INPUT"

    # a key of an administrator cannot make keys (a leaked key would outlive its revocation in them)
    admin_key = live(office, CREATE, n="管理", g=[{"role": "admin", "scope": "city/a"}])["createApiKey"]["key"]
    answer = with_key(live, admin_key, CREATE, n="再生", g=[{"role": "auditor", "scope": "city/a"}]).json()
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert answer["errors"][0]["message"] == "an API key cannot create API keys: a person of the office creates them"
    direct = live.service("scoring", "POST", "/v1/api-keys", principal=_key_principal(),
                          json={"name": "再生", "grants": [{"role": "auditor", "scope": "city/a"}]})
    assert direct.status_code == 403  # scoring refuses it too


def _key_principal() -> Any:
    from services.common.auth import Principal

    return Principal(subject="api-key:x", grants=(Grant("admin", "city/a"),), kind="api_key")


async def test_another_gateway_instance_refuses_a_revoked_key_within_the_bound(live: Live) -> None:
    """A second gateway instance (its own Authenticator, verifying with the real scoring) trusts a key it has
    verified for API_KEY_CACHE_SECONDS: just before that it still answers from memory, just after it asks
    scoring again and refuses the revoked key."""
    office = live.token("admin", "city/a")
    created = live(office, CREATE, n="第二实例", g=[{"role": "auditor", "scope": "city/a"}])["createApiKey"]
    key, key_id = created["key"], created["apiKey"]["id"]
    verifications: list[str] = []

    async def verify(secret: str) -> dict[str, Any] | None:
        verifications.append(hashlib.sha256(secret.encode()).hexdigest())
        answer = live.service("scoring", "POST", "/v1/api-keys/verify", SYSTEM, json={"key": secret})
        return answer.json() if answer.status_code == 200 else None

    now = [time.monotonic()]
    async with httpx.AsyncClient() as http:
        other = Authenticator(get_settings(), http, verify)
        other.clock = lambda: now[0]
        assert (await other.authenticate({"X-API-Key": key})).subject == f"api-key:{key_id}"
        assert live(office, REVOKE, id=key_id) == {"revokeApiKey": key_id}  # through the live gateway
        now[0] += API_KEY_CACHE_SECONDS - 1
        assert (await other.authenticate({"X-API-Key": key})).subject == f"api-key:{key_id}"
        assert len(verifications) == 1
        now[0] += 2  # past the bound
        with pytest.raises(NotAuthenticated, match="invalid or revoked API key"):
            await other.authenticate({"X-API-Key": key})
        assert len(verifications) == 2
    assert API_KEY_CACHE_SECONDS == 30  # the bound docs/identity.md and the revokeApiKey description state
