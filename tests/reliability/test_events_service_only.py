"""`POST /events` is for kaohe's own services: a person's or an API key's token, even one holding `admin` over
the whole organisation, is refused on every service and writes nothing (issue 21, item 2). The gateway signs such
tokens for every call it makes, so a grant carried through it must never pass for a service."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from services.common.auth import Grant, Principal, issue_service_token
from tests.reliability.conftest import ALL_SERVICES, row_counts, service_app

ADMIN_EVERYWHERE = (Grant("admin", ""),)
NOT_SERVICES = {
    "user": Principal(subject="dept-admin", grants=ADMIN_EVERYWHERE, kind="user"),
    "api_key": Principal(subject="api-key:7", grants=ADMIN_EVERYWHERE, kind="api_key"),
}
EVENTS = {  # one event each service consumes
    "evidence": ("period.status", {"period_id": "2026-Q1", "status": "finalized"}),
    "scoring": ("period.status", {"period_id": "2026-Q1", "status": "finalized"}),
    "ranking": ("scores.changed", {"period_id": "2026-Q1"}),
}


def _headers(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_service_token(principal)}"}


@pytest.mark.parametrize("service", ALL_SERVICES)
@pytest.mark.parametrize("kind", sorted(NOT_SERVICES))
async def test_only_services_post_events(api: Any, service: str, kind: str) -> None:
    client: httpx.AsyncClient = await api(service)
    topic, payload = EVENTS[service]
    event = {"id": str(uuid.uuid4()), "source": "ranking", "topic": topic, "payload": payload}
    before = await row_counts(service_app(service).state.db, service)
    refused = await client.post("/events", json=event, headers=_headers(NOT_SERVICES[kind]))
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "forbidden"
    assert await row_counts(service_app(service).state.db, service) == before


async def test_a_refused_event_is_not_taken_as_applied(api: Any) -> None:
    """The refused attempt left no inbox record: the same event from ranking itself is applied."""
    client: httpx.AsyncClient = await api("evidence")
    event = {"id": str(uuid.uuid4()), "source": "ranking", "topic": "period.status",
             "payload": {"period_id": "2026-Q1", "status": "finalized"}}
    assert (await client.post("/events", json=event, headers=_headers(NOT_SERVICES["user"]))).status_code == 403
    ranking = Principal(subject="ranking", kind="service")
    assert (await client.post("/events", json=event, headers=_headers(ranking))).json() == {"applied": True}


async def test_a_period_status_without_its_fields_is_a_422(api: Any) -> None:
    client: httpx.AsyncClient = await api("evidence")
    event = {"id": str(uuid.uuid4()), "source": "ranking", "topic": "period.status", "payload": {"status": "x"}}
    refused = await client.post("/events", json=event, headers=_headers(Principal(subject="ranking", kind="service")))
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == "period.status needs a period_id and a status"
