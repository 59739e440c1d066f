"""The gateway app over canned services, with HS256 tokens for any principal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.auth import development_token
from services.common.auth import Grant
from services.common.settings import get_settings
from tests.gateway.fakes import FakeBackend

JWT_SECRET = "gateway-tests-secret-0123456789abcdef"


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@asynccontextmanager
async def open_gateway(monkeypatch: pytest.MonkeyPatch, backend: FakeBackend,
                       **env: str) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on a gateway app whose services are `backend`, with `KAOHE_*` settings `env`."""
    monkeypatch.setenv("KAOHE_JWT_SECRET", JWT_SECRET)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        app = create_app(clients=backend.clients())
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
                client.app = app  # type: ignore[attr-defined]
                yield client
    finally:
        get_settings.cache_clear()


@pytest.fixture
async def gateway(monkeypatch: pytest.MonkeyPatch, backend: FakeBackend) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on a gateway app whose services are `backend`."""
    async with open_gateway(monkeypatch, backend) as http:
        yield http


@pytest.fixture
def bearer() -> Callable[..., dict[str, str]]:
    """`bearer(("submitter", "city/a"))` → an Authorization header for those grants."""

    def make(*grants: tuple[str, str], subject: str = "tester", subject_ids: list[str] | None = None) -> dict[str, Any]:
        token = development_token(get_settings(), subject=subject, ttl_seconds=300, subject_ids=subject_ids,
                                  grants=[Grant(role, scope) for role, scope in grants])  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    return make


# The real evidence service behind the gateway (its database rolled back, scoring faked over HTTP):
# tests/gateway/test_evidence_surface.py.
from tests.evidence.conftest import client, clock, scoring  # noqa: E402, F401
