"""What the gateway remembers between requests to go faster, and where that must stop: parsed and
validated query texts, verified bearer tokens until they expire, and signed service tokens."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
import strawberry.schema.schema as strawberry_schema

from gateway import auth, clients
from gateway.schema import build_schema
from services.common.auth import Grant, Principal, verify_service_token
from services.common.errors import NotAuthenticated
from services.common.settings import get_settings
from tests.gateway.fakes import FakeBackend, context
from tests.gateway.test_identity import SECRET, _auth, _claims

AUDITOR = Principal(subject="auditor", grants=(Grant("auditor", ""),))
PAGE = "query($f: Int) { subjects(periodId: \"p1\", first: $f) { totalCount nodes { id } } }"


async def _run(schema: Any, query: str, **variables: Any) -> Any:
    backend = FakeBackend()
    backend_clients = backend.clients()
    try:
        return await schema.execute(query, variable_values=variables, context_value=context(backend_clients, AUDITOR))
    finally:
        await backend_clients.aclose()


async def test_a_query_text_is_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    costed: list[int] = []
    original = strawberry_schema.validate

    def counting(*args: Any, **kwargs: Any) -> Any:
        costed.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", counting)
    schema = build_schema()
    first = await _run(schema, PAGE, f=2)
    assert first.errors is None and costed == [1]
    again = await _run(schema, PAGE, f=1)  # same text, other variables: no second validation
    assert again.errors is None and costed == [1]
    assert [n["id"] for n in again.data["subjects"]["nodes"]] == ["s-a"]
    too_many = await _run(schema, PAGE, f=101)  # variables are still checked at run time
    assert [e.extensions["code"] for e in too_many.errors] == ["BAD_USER_INPUT"]
    other = await _run(build_schema(), PAGE, f=2)  # each schema (production or not) has its own cache
    assert other.errors is None and costed == [1, 1]


async def test_an_invalid_text_is_refused_every_time() -> None:
    schema = build_schema()
    deep = '{ period(id: "p1") { indicators { ' + "children { " * 10 + "code" + " }" * 13
    aliased = "{ " + " ".join(f"a{i}: me {{ subject }}" for i in range(31)) + " }"
    costly = "{ " + " ".join(f'a{i}: subjects(periodId: "p1", first: 100) {{ nodes {{ id score {{ total '
                             "indicators { code value } } } }" for i in range(29)) + " }"
    messages: list[str] = []
    for query in (deep, deep, aliased, aliased, costly, costly, "{ nope }", "{ nope }"):
        result = await _run(schema, query)
        assert result.errors and result.data is None, query
        messages.append(result.errors[0].message[:40])
    assert messages[::2] == messages[1::2], messages  # the same refusal the second time


async def test_a_bearer_token_is_verified_once_and_trusted_until_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    authenticator = _auth()
    verified: list[str] = []
    original = authenticator.verify_jwt

    async def counting(token: str) -> dict[str, Any]:
        verified.append(token)
        return await original(token)

    monkeypatch.setattr(authenticator, "verify_jwt", counting)
    exp = int(time.time()) + 60
    headers = {"Authorization": "Bearer " + jwt.encode(_claims(exp=exp), SECRET, algorithm="HS256")}
    first = await authenticator.authenticate(headers)
    assert await authenticator.authenticate(headers) == first and len(verified) == 1
    monkeypatch.setattr(auth.time, "time", lambda: exp + auth.LEEWAY_SECONDS + 1)
    await authenticator.authenticate(headers)  # past its expiry (and leeway) it is verified again, by PyJWT
    assert len(verified) == 2
    forged = {"Authorization": "Bearer " + jwt.encode(_claims(exp=exp), "another-secret-of-enough-length!",
                                                      algorithm="HS256")}
    for _ in range(2):  # a failure is never remembered as a success
        with pytest.raises(NotAuthenticated):
            await authenticator.authenticate(forged)


def test_a_service_token_is_reused_for_half_its_lifetime(monkeypatch: pytest.MonkeyPatch) -> None:
    clients._TOKENS.clear()
    now = [1000.0]
    monkeypatch.setattr(clients.time, "monotonic", lambda: now[0])
    token = clients.service_token(AUDITOR)
    assert clients.service_token(AUDITOR) == token
    assert verify_service_token(token) == AUDITOR
    other = Principal(subject="auditor", grants=(Grant("auditor", "city"),))
    assert verify_service_token(clients.service_token(other)) == other
    now[0] += get_settings().service_token_ttl_seconds / 2
    fresh = clients.service_token(AUDITOR)
    assert fresh != token and verify_service_token(fresh) == AUDITOR
