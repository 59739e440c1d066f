"""Signed user tokens whose claims are malformed: each is a 401 with a sentence naming the claim, never a
500, and the connection it came on serves the next request (issue 21, item 5)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from gateway.app import create_app
from services.common.settings import get_settings
from tests.gateway.conftest import JWT_SECRET
from tests.gateway.fakes import FakeBackend
from tests.reliability.fuzzing import served, settings_env

GRANTS_MESSAGE = "the token's grants claim must be a list of {role, scope} objects"

class Ahead(float):
    """Seconds from when the token is made (a test runs minutes after the parameters are collected)."""


MALFORMED = [
    ({"grants": "admin"}, GRANTS_MESSAGE),
    ({"grants": None}, GRANTS_MESSAGE),
    ({"grants": ["admin"]}, GRANTS_MESSAGE),
    ({"grants": [None]}, GRANTS_MESSAGE),
    ({"grants": [{"role": "admin", "scope": None}]}, "the token's grant scope must be a text"),
    ({"grants": [{"role": "admin", "scope": {"a": 1}}]}, "the token's grant scope must be a text"),
    ({"grants": [{"role": ["admin"], "scope": ""}]}, "unknown role ['admin'] in token"),
    ({"grants": {"role": "admin", "scope": ""}}, GRANTS_MESSAGE),
    ({"roles": "admin"}, "the token's roles claim must be a list of role names"),
    ({"roles": ["admin"], "scope": 7}, "the token's scope claim must be a text"),
    ({"grants": [{"role": "admin", "scope": "city/dept-1/../dept-2"}]},
     "the token's scope 'city/dept-1/../dept-2' is not a unit path: segment '..' is not a unit slug (lower-case "
     "letters, digits, '-' and '_', starting with a letter or digit; '.' and '..' are not resolved)"),
    ({"subject_ids": "p1"}, "the token's subject_ids claim must be a list of texts"),
    ({"subject_ids": [{"id": "p1"}]}, "the token's subject_ids claim must be a list of texts"),
    # exp is an integer NumericDate at most KAOHE_JWT_MAX_LIFETIME_SECONDS (a day) ahead (attacker probe, `keys`)
    ({"exp": "99999999999"}, "invalid token: the exp claim must be an integer number of seconds"),
    ({"exp": 1e300}, "invalid token: the exp claim must be an integer number of seconds"),
    ({"exp": Ahead(300.5)}, "invalid token: the exp claim must be an integer number of seconds"),
    ({"exp": Ahead(2 * 86400)}, "invalid token: it is valid for more than 86400 seconds "
                                "(KAOHE_JWT_MAX_LIFETIME_SECONDS)"),
]


def _token(**claims: Any) -> str:
    now = int(time.time())
    claims = {k: now + (int(v) if v.is_integer() else v) if isinstance(v, Ahead) else v  # from when it is made
              for k, v in claims.items()}
    return jwt.encode({"sub": "mallory", "iat": now, "exp": now + 300, **claims}, JWT_SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    """A real gateway (uvicorn, keep-alive connections) over canned services."""
    with settings_env(KAOHE_JWT_SECRET=JWT_SECRET):
        app = create_app(clients=FakeBackend().clients())
        with served(app) as url:
            yield url
    get_settings.cache_clear()


@pytest.mark.parametrize(("claims", "message"), MALFORMED)
def test_a_malformed_claim_is_a_401_and_the_connection_serves_the_next_request(
        gateway_url: str, claims: dict[str, Any], message: str) -> None:
    query = {"query": "{ me { subject } }"}
    # one pooled connection: the good request after the bad one travels on the same socket
    with httpx.Client(base_url=gateway_url, limits=httpx.Limits(max_connections=1)) as http:
        bad = http.post("/graphql", json=query, headers={"Authorization": f"Bearer {_token(**claims)}"})
        assert bad.status_code == 401
        assert bad.json() == {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED",
                                                                             "reason": "not_authenticated"}}]}
        good = http.post("/graphql", json=query,
                         headers={"Authorization": f"Bearer {_token(grants=[{'role': 'auditor', 'scope': ''}])}"})
        assert good.status_code == 200
        assert good.json() == {"data": {"me": {"subject": "mallory"}}}


REFUSED_SUBJECTS = [
    ("system:deadline", "the token's sub claim 'system:deadline' starts with 'system:', which kaohe reserves for "
                        "its own actors"),
    ("System:Deadline", "the token's sub claim 'System:Deadline' starts with 'system:', which kaohe reserves for "
                        "its own actors"),
    ("api-key:3f2a", "the token's sub claim 'api-key:3f2a' starts with 'api-key:', which kaohe reserves for its "
                     "own actors"),
    ("gateway:public", "the token's sub claim 'gateway:public' starts with 'gateway:', which kaohe reserves for "
                       "its own actors"),
    ("cli:root", "the token's sub claim 'cli:root' starts with 'cli:', which kaohe reserves for its own actors"),
    ("system", "the token's sub claim 'system' names one of kaohe's own actors"),
    ("gateway", "the token's sub claim 'gateway' names one of kaohe's own actors"),
    ("x" * 5000, "the token's sub claim is longer than 200 characters"),
    ("x" * 201, "the token's sub claim is longer than 200 characters"),
    ("li\u202ewei", "the token's sub claim contains the control or formatting character U+202E"),
    ("li\u200bwei", "the token's sub claim contains the control or formatting character U+200B"),
    ("li\nwei", "the token's sub claim contains the control or formatting character U+000A"),
    ("li\u2028wei", "the token's sub claim contains the control or formatting character U+2028"),
    ("", "the token's sub claim is empty"),
    ("   ", "the token's sub claim is empty"),
    # the attacker probe's look-alikes of kaohe's actors, and the prefixes kaohe writes itself (branch `keys`)
    ("\u0455ystem:deadline", "the token's sub claim '\u0455ystem:deadline' starts with 'system:', which kaohe "
                             "reserves for its own actors"),  # Cyrillic ѕ
    ("system\uff1adeadline", "the token's sub claim 'system\uff1adeadline' starts with 'system:', which kaohe "
                             "reserves for its own actors"),  # full-width colon
    ("gatewa\u0079\u0301", "the token's sub claim 'gatewa\u0079\u0301' names one of kaohe's own actors"),
    ("s\u0443stem", "the token's sub claim 's\u0443stem' names one of kaohe's own actors"),  # Cyrillic у
    (" system", "the token's sub claim starts or ends with a blank"),
    ("system ", "the token's sub claim starts or ends with a blank"),
    ("system\u00a0", "the token's sub claim starts or ends with a blank"),
    ("li\u00a0wei", "the token's sub claim contains the space character U+00A0 (only the plain space may stand "
                    "between its words)"),
    ("li\u3000wei", "the token's sub claim contains the space character U+3000 (only the plain space may stand "
                    "between its words)"),
    ("migration:0007", "the token's sub claim 'migration:0007' starts with 'migration:', which kaohe reserves for "
                       "its own actors"),
    ("event:6f1c2d3e-0000-4000-8000-000000000001", "the token's sub claim 'event:6f1c2d3e-0000-4000-8000-"
                                                   "000000000001' starts with 'event:', which kaohe reserves for its "
                                                   "own actors"),
    ("User:li", "the token's sub claim 'User:li' starts with 'user:', which kaohe reserves for its own actors"),
    ("rollup:q1", "the token's sub claim 'rollup:q1' starts with 'rollup:', which kaohe reserves for its own actors"),
    ("lookback:q1", "the token's sub claim 'lookback:q1' starts with 'lookback:', which kaohe reserves for its own "
                    "actors"),
]


@pytest.mark.parametrize(("sub", "message"), REFUSED_SUBJECTS)
def test_a_reserved_overlong_or_unreadable_subject_is_a_401(gateway_url: str, sub: str, message: str) -> None:
    """Regression (attacker probe): a token with sub 'system:deadline' approved a submission and the audit named
    the deadline job as the actor; subs of 5000 characters or with U+202E were accepted (docs/identity.md)."""
    token = _token(sub=sub, grants=[{"role": "admin", "scope": ""}])
    response = httpx.post(f"{gateway_url}/graphql", json={"query": "{ me { subject } }"},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED",
                                                                              "reason": "not_authenticated"}}]}


@pytest.mark.parametrize("sub", ["x" * 200, "u-330100-000123", "李伟", "systems-office", "api-keys", "cli",
                                 "cn=Wang Fang", "auth0|5f1c", "users", "eventual", "Zoë"])
def test_ordinary_subjects_up_to_200_characters_are_accepted(gateway_url: str, sub: str) -> None:
    token = _token(sub=sub, grants=[{"role": "auditor", "scope": ""}])
    response = httpx.post(f"{gateway_url}/graphql", json={"query": "{ me { subject } }"},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {"data": {"me": {"subject": sub}}}


def test_a_subject_that_is_not_a_text_is_a_401(gateway_url: str) -> None:
    """PyJWT refuses a `sub` that is not a string before kaohe reads it."""
    token = _token(sub=["system:deadline"], grants=[])
    response = httpx.post(f"{gateway_url}/graphql", json={"query": "{ me { subject } }"},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "invalid token: its claims are not valid"
