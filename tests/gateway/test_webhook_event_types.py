"""(newcomer probe M6) The event types a webhook may receive, readable by those who may manage subscriptions
(admin, assessor, auditor) through GraphQL: api.md pointed integrators to evidence's internal
`GET /v1/webhooks/event-types`, which needs a service token. The gateway answers from the list itself, so no
service is asked (the backend records every call)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from tests.gateway.fakes import FakeBackend

QUERY = "{ webhookEventTypes { type entityType description } }"
API = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented() -> list[str]:
    """The types of api.md's table in "Receiving events", `.returned` and the like spelled out in full."""
    text = API.read_text(encoding="utf-8")
    table = text[text.index("| type | entity (GraphQL type) | when |"):]
    table = table[:table.index("\n\n")]
    found: list[str] = []
    for line in table.splitlines()[2:]:
        first = line.split("|")[1]
        family = ""
        for name in re.findall(r"`([a-z_.]+)`", first):
            if name.startswith("."):
                found.append(family + name)
            else:
                family = name.split(".")[0]
                found.append(name)
    return found


async def test_those_who_manage_webhooks_read_the_event_types(gateway: httpx.AsyncClient, bearer: Any,
                                                             backend: FakeBackend) -> None:
    body = (await gateway.post("/graphql", json={"query": QUERY}, headers=bearer(("auditor", "city/a")))).json()
    types = body["data"]["webhookEventTypes"]
    # api.md's table: submission 5, review 2, journal 1, rating_task 3, rectification 3, appeal 2, results 2,
    # publication 2, objection 2, period 2, webhook 2
    assert len(types) == 26
    assert [t["type"] for t in types] == documented()
    assert types[0] == {"type": "submission.submitted", "entityType": "Submission",
                        "description": "a submission (or a new version of it) awaits review"}
    assert {"type": "webhook.test", "entityType": "WebhookSubscription"}.items() <= types[-1].items()
    for role in ("admin", "assessor"):
        again = (await gateway.post("/graphql", json={"query": QUERY}, headers=bearer((role, "")))).json()
        assert again["data"]["webhookEventTypes"] == types
    for role in ("submitter", "reviewer", "rater"):
        refused = (await gateway.post("/graphql", json={"query": QUERY}, headers=bearer((role, "")))).json()
        assert refused["data"]["webhookEventTypes"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gateway.post("/graphql", json={"query": QUERY})
    assert anonymous.status_code == 401
    assert backend.requests == []
