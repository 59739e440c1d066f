"""Who is calling the gateway: an OIDC-style JWT (RS256 via a JWKS URL, or HS256 with a shared
secret) or a portal's API key (verified by the scoring service, which stores keys hashed).

A token's roles come from its `grants` claim (`[{"role": "submitter", "scope": "city/a"}]`) or
the shorthand `roles` + `scope`; `subject_ids` names the assessed subjects the caller *is*.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

import httpx
import jwt

from kaohe.i18n import _
from services.common.auth import (
    API_KEY_ACTOR_PREFIX,
    Grant,
    Principal,
    grants_from_claim,
    subject_ids_from_claim,
    subject_problem,
    token_problem,
)
from services.common.errors import NotAuthenticated
from services.common.settings import Settings

API_KEY_HEADER = "X-API-Key"
JWKS_TTL_SECONDS = 300
JWKS_MIN_REFRESH_SECONDS = 10
API_KEY_CACHE_SECONDS = 30  # a revoked key works on another gateway instance for at most this long
TOKEN_CACHE_ENTRIES = 10_000
LEEWAY_SECONDS = 30


class JwksCache:
    """Signing keys from a JWKS URL, cached and refreshed on expiry or on an unknown key id."""

    def __init__(self, url: str, http: httpx.AsyncClient) -> None:
        self.url, self.http = url, http
        self.keys: dict[str, Any] = {}
        self.fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> Any:
        """The public key for `kid` (the only key when the token names none)."""
        stale = time.monotonic() - self.fetched_at > JWKS_TTL_SECONDS
        if stale or (kid not in self.keys and time.monotonic() - self.fetched_at > JWKS_MIN_REFRESH_SECONDS):
            await self._refresh()
        if kid is None and len(self.keys) == 1:
            return next(iter(self.keys.values()))
        if kid not in self.keys:
            raise NotAuthenticated(_("the token's signing key is unknown"))
        return self.keys[kid]

    async def _refresh(self) -> None:
        async with self._lock:
            try:
                response = await self.http.get(self.url, timeout=5)
                response.raise_for_status()
                body = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                if self.keys:  # keep serving the keys we have while the issuer is down
                    return
                raise NotAuthenticated(_("cannot fetch signing keys: %(exc)s", exc=type(exc).__name__)) from None
            self.keys = {k.get("kid"): jwt.PyJWK(k).key for k in body.get("keys", []) if k.get("kty") == "RSA"}
            self.fetched_at = time.monotonic()


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Map verified token claims to a principal; a malformed claim or an unknown role is a 401."""
    raw = claims["grants"] if "grants" in claims else _shorthand_grants(claims)
    subject = claims.get("sub", "")
    if not isinstance(subject, str):
        raise NotAuthenticated(_("the token's sub claim must be a text"))
    problem = subject_problem(subject)
    if problem is not None:
        raise NotAuthenticated(problem)
    return Principal(subject=subject, grants=grants_from_claim(raw), kind="user",
                     subject_ids=subject_ids_from_claim(claims.get("subject_ids", [])))


def _shorthand_grants(claims: dict[str, Any]) -> list[dict[str, Any]]:
    """`roles` + `scope`: the same scope for every role."""
    roles, scope = claims.get("roles", []), claims.get("scope", "")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise NotAuthenticated(_("the token's roles claim must be a list of role names"))
    if not isinstance(scope, str):
        raise NotAuthenticated(_("the token's scope claim must be a text"))
    return [{"role": role, "scope": scope} for role in roles]


class Authenticator:
    """Verifies bearer tokens and API keys for the gateway."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient, verify_api_key: Any) -> None:
        self.settings = settings
        self.jwks = JwksCache(settings.jwt_jwks_url, http) if settings.jwt_jwks_url else None
        self.verify_api_key = verify_api_key  # async (key) -> {"id", "name", "grants", "created_by", …}
        self._api_keys: dict[str, tuple[float, Principal]] = {}  # SHA-256 of the key → (verified at, principal)
        self.clock = time.monotonic  # when a key was verified (tests move it)
        # verified bearer tokens (by SHA-256) → (their `exp`, the principal): a token is checked once
        # and then trusted until it expires; failures are never kept
        self._tokens: dict[str, tuple[float, Principal]] = {}

    async def authenticate(self, headers: Any) -> Principal | None:
        """The caller, None when no credentials were sent; 401 when they are not valid."""
        api_key = headers.get(API_KEY_HEADER)
        if api_key:
            return await self._from_api_key(api_key)
        scheme, _space, token = headers.get("Authorization", "").partition(" ")
        if not token:
            return None
        if scheme.lower() != "bearer":
            raise NotAuthenticated(_("use Authorization: Bearer <token> or X-API-Key"))
        token = token.strip()
        digest = hashlib.sha256(token.encode()).hexdigest()
        cached = self._tokens.get(digest)
        if cached is not None and time.time() < cached[0] + LEEWAY_SECONDS:
            return cached[1]
        claims = await self.verify_jwt(token)
        principal = principal_from_claims(claims)
        if len(self._tokens) >= TOKEN_CACHE_ENTRIES:
            self._forget_expired()
        self._tokens[digest] = (float(claims["exp"]), principal)
        return principal

    def _forget_expired(self) -> None:
        now = time.time()
        for digest in [d for d, (exp, _principal) in self._tokens.items() if now >= exp + LEEWAY_SECONDS]:
            del self._tokens[digest]
        while len(self._tokens) >= TOKEN_CACHE_ENTRIES:  # all still valid: drop the oldest
            del self._tokens[next(iter(self._tokens))]

    async def verify_jwt(self, token: str) -> dict[str, Any]:
        """Signature, expiry, issuer and audience."""
        options: Any = {"require": ["exp", "sub"], "verify_aud": self.settings.jwt_audience is not None}
        try:
            header = jwt.get_unverified_header(token)
            key, algorithms = await self._key_for(header)
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=algorithms, audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer, options=options, leeway=LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated(_("token expired")) from None
        except jwt.PyJWTError as exc:
            raise NotAuthenticated(_("invalid token: %(exc)s", exc=token_problem(exc))) from None
        self._check_lifetime(claims["exp"])
        return claims

    def _check_lifetime(self, exp: Any) -> None:
        """`exp` is an integer NumericDate (PyJWT reads "99999999999" and 1e300 as numbers) at most
        KAOHE_JWT_MAX_LIFETIME_SECONDS ahead: a verified token is remembered until its `exp`."""
        if type(exp) is not int:
            raise NotAuthenticated(_("invalid token: the exp claim must be an integer number of seconds"))
        limit = self.settings.jwt_max_lifetime_seconds
        if exp > time.time() + limit + LEEWAY_SECONDS:
            raise NotAuthenticated(_("invalid token: it is valid for more than %(limit)d seconds "
                                     "(KAOHE_JWT_MAX_LIFETIME_SECONDS)", limit=limit))

    async def _key_for(self, header: dict[str, Any]) -> tuple[Any, list[str]]:
        if header.get("alg") == "RS256" and self.jwks is not None:
            return await self.jwks.key(header.get("kid")), ["RS256"]
        if header.get("alg") == "HS256" and self.settings.jwt_secret is not None:
            return self.settings.jwt_secret.get_secret_value(), ["HS256"]
        raise NotAuthenticated(_("tokens signed with %(alg)r are not accepted here", alg=header.get('alg')))

    def forget_api_key(self, key_id: str) -> None:
        """Stop trusting the key `key_id` here at once (it was revoked through this instance)."""
        subject = f"{API_KEY_ACTOR_PREFIX}{key_id}"
        for digest in [d for d, (_expiry, p) in self._api_keys.items() if p.subject == subject]:
            del self._api_keys[digest]

    async def _from_api_key(self, key: str) -> Principal:
        if len(key) > 200:
            raise NotAuthenticated(_("invalid API key"))
        digest = hashlib.sha256(key.encode()).hexdigest()
        cached = self._api_keys.get(digest)
        if cached and self.clock() - cached[0] < API_KEY_CACHE_SECONDS:
            return cached[1]
        found = await self.verify_api_key(key)
        if not found:
            raise NotAuthenticated(_("invalid or revoked API key"))
        creator_subjects = found.get("creator_subject_ids")
        principal = Principal(
            subject=f"{API_KEY_ACTOR_PREFIX}{found['id']}", kind="api_key", name=str(found.get("name") or ""),
            grants=tuple(Grant(role=g["role"], scope=g.get("scope", "")) for g in found.get("grants", [])),
            creator=str(found.get("created_by") or ""),
            creator_subject_ids=None if creator_subjects is None else tuple(creator_subjects),
        )
        self._api_keys[digest] = (self.clock(), principal)
        return principal


def development_token(settings: Settings, *, subject: str, grants: list[Grant], ttl_seconds: int,
                      subject_ids: list[str] | None = None) -> str:
    """An HS256 token for development, signed with `KAOHE_JWT_SECRET`."""
    if settings.jwt_secret is None:
        raise ValueError(_("KAOHE_JWT_SECRET is not set; development tokens need the HS256 secret"))
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "iat": now, "exp": now + ttl_seconds,
                              "grants": [g.to_json() for g in grants], "subject_ids": subject_ids or []}
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")
