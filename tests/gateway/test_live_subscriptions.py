"""GraphQL subscriptions over graphql-transport-ws (issue 18), over the real services and two gateway instances:
an event made through one instance reaches a subscriber connected to the other (evidence LISTENs on
PostgreSQL and streams its event log to each instance), filtered by the subscriber's scope; authentication at
`connection_init`, the per-identity connection limit, and the idle and token-expiry disconnects."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from gateway.app import create_app
from gateway.auth import development_token
from services.common.auth import Grant
from services.common.settings import get_settings
from tests.conftest import PgServer
from tests.gateway.live import Live, live_stack
from tests.reliability.fuzzing import served

SCHEME = {"id": "live", "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
          "groups": ["街道"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}]}
NODE = """query($id: ID!) { node(id: $id) { __typename ... on Submission { id status subjectId }
  ... on Period { id } } }"""
WATCH = """subscription($types: [String!]) { events(types: $types) { type entityType entityId nodeId unitPath
  subjectId occurredAt } }"""


@pytest.fixture(scope="module")
def stack(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, str]]:
    """The live stack (gateway 1) and a second gateway instance on the same services: (live, ws URL of gateway 2)."""
    with live_stack(pg_server, Path(tmp_path_factory.mktemp("subscriptions")),
                    KAOHE_GATEWAY_WS_CONNECTIONS_PER_IDENTITY="2", KAOHE_GATEWAY_WS_IDLE_SECONDS="2") as live:
        get_settings.cache_clear()
        with served(create_app()) as second:
            yield live, second.replace("http://", "ws://") + "/graphql"


def _open(opened: ExitStack, url: str, payload: dict[str, Any]) -> tuple[ClientConnection, dict[str, Any]]:
    """A connection (closed when `opened` ends, if not before) and the answer to its `connection_init`."""
    ws = opened.enter_context(connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10))  # type: ignore[list-item]
    ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    try:
        answer = json.loads(ws.recv(timeout=10))
    except ConnectionClosed as closed:
        return ws, {"closed": closed.rcvd.code if closed.rcvd else None,
                    "reason": closed.rcvd.reason if closed.rcvd else ""}
    return ws, answer


@pytest.fixture
def opened() -> Iterator[ExitStack]:
    """Where a test's WebSocket connections are opened (as context managers: websockets' own API)."""
    with ExitStack() as connections:
        yield connections


def _closed_code(ws: ClientConnection, seconds: float) -> int | None:
    try:
        while True:
            ws.recv(timeout=seconds)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return None


def _token(role: str, scope: str, *, subject: str, ttl: int = 600) -> str:
    return development_token(get_settings(), subject=subject, ttl_seconds=ttl,
                             grants=[Grant(role, scope)])  # type: ignore[arg-type]


def test_events_reach_a_subscriber_on_another_instance_within_its_scope(stack: tuple[Live, str],
                                                                        opened: ExitStack) -> None:
    live, ws_url = stack
    city = live.unit("市", "city")
    a = live.unit("甲街道", "a", city["id"])
    b = live.unit("乙街道", "b", city["id"])
    period = live.opened_period(SCHEME, "2026-Q2", [(a["id"], "街道"), (b["id"], "街道")])
    reviewer_a = _token("reviewer", "city/a", subject="chief-a")
    ws, ack = _open(opened, ws_url, {"Authorization": f"Bearer {reviewer_a}"})
    assert ack == {"type": "connection_ack"}
    ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": WATCH, "variables": {"types": ["submission.submitted", "submission.approved"]}}}))
    time.sleep(0.5)  # the second instance opens its stream from evidence
    for unit in (b, a):  # b's first: once a's arrive, b's have gone through the same stream and were left out
        live.approved(live.token("assessor", "city"), live.token("reviewer", "city"), {
            "periodId": period, "subjectId": unit["id"], "indicator": "work", "fact": "score",
            "content": {"points": "90"}})
    received = []
    while len(received) < 2:
        message = json.loads(ws.recv(timeout=15))
        assert message["type"] == "next", message
        received.append(message["payload"]["data"]["events"])
    assert [(e["type"], e["entityType"], e["unitPath"], e["subjectId"]) for e in received] == [
        ("submission.submitted", "Submission", "city/a", a["id"]),
        ("submission.approved", "Submission", "city/a", a["id"])]
    assert received[0]["entityId"] == received[1]["entityId"]
    # an instant as GraphQL writes every one: UTC ending in Z, with its fraction (newcomer probe: it was +00:00)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", e["occurredAt"]) for e in received), received
    ws.send(json.dumps({"id": "1", "type": "complete"}))
    ws.close()

    # the event's node id fetches the record through `node`, checked as `submission` checks it
    assert received[1]["nodeId"] == base64.b64encode(f"Submission:{received[1]['entityId']}".encode()).decode()
    found = live(reviewer_a, NODE, id=received[1]["nodeId"])["node"]
    assert found == {"__typename": "Submission", "id": received[1]["entityId"], "status": "approved",
                     "subjectId": a["id"]}
    outsider = live.error(_token("reviewer", "city/b", subject="chief-b"), NODE, id=received[1]["nodeId"])
    assert outsider["extensions"]["code"] == "NOT_FOUND"  # evidence does not tell another unit it exists
    unknown = live.error(reviewer_a, NODE, id=base64.b64encode(b"Submission:no-such-id").decode())
    assert unknown["extensions"]["code"] == "NOT_FOUND"
    for malformed in ("not base64!", base64.b64encode(b"Secret:1").decode(), base64.b64encode(b"Submission").decode()):
        assert live.error(reviewer_a, NODE, id=malformed)["extensions"]["code"] == "BAD_USER_INPUT"
    period_node = base64.b64encode(f"Period:{period}".encode()).decode()
    assert live(reviewer_a, NODE, id=period_node)["node"] == {"__typename": "Period", "id": period}


def test_connection_init_authenticates_and_limits_each_identity(stack: tuple[Live, str], opened: ExitStack) -> None:
    _live, ws_url = stack
    nobody, refused = _open(opened, ws_url, {})
    assert refused["closed"] == 4403
    forged, refused = _open(opened, ws_url, {"Authorization": "Bearer not-a-token"})
    assert refused["closed"] == 4403
    token = _token("auditor", "city", subject="auditor-1")
    first, ack1 = _open(opened, ws_url, {"Authorization": f"Bearer {token}"})
    second, ack2 = _open(opened, ws_url, {"authorization": f"Bearer {token}"})
    third, refused = _open(opened, ws_url, {"Authorization": f"Bearer {token}"})
    assert (ack1["type"], ack2["type"], refused["closed"]) == ("connection_ack", "connection_ack", 4403)
    other, ack = _open(opened, ws_url, {"Authorization": f"Bearer {_token('auditor', 'city', subject='auditor-2')}"})
    assert ack["type"] == "connection_ack"  # the limit is per identity
    for ws in (nobody, forged, first, second, third, other):
        ws.close()
    time.sleep(0.3)
    again, ack = _open(opened, ws_url, {"Authorization": f"Bearer {token}"})  # closing gave the slots back
    assert ack["type"] == "connection_ack"
    again.close()


def test_idle_and_expired_connections_are_closed(stack: tuple[Live, str], opened: ExitStack) -> None:
    _live, ws_url = stack
    idle, ack = _open(opened, ws_url, {"Authorization": f"Bearer {_token('auditor', 'city', subject='idle')}"})
    assert ack["type"] == "connection_ack"
    started = time.monotonic()
    assert _closed_code(idle, 10) == 4408  # no subscription for 2 s (KAOHE_GATEWAY_WS_IDLE_SECONDS)
    assert 1.5 < time.monotonic() - started < 6
    short = _token("auditor", "city", subject="short", ttl=3)
    expiring, ack = _open(opened, ws_url, {"Authorization": f"Bearer {short}"})
    assert ack["type"] == "connection_ack"
    expiring.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": WATCH}}))
    assert _closed_code(expiring, 10) == 4401  # busy, but its token ran out


def test_a_revoked_api_key_loses_its_subscription_connection(stack: tuple[Live, str], opened: ExitStack,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # api.md: a revoked key "stops working at once on the gateway that revoked it and within 30 s on every other";
    # a subscription connection made with it is no exception (it used to live on for the connection's life)
    live, ws_url = stack
    admin = _token("admin", "", subject="key-admin")
    create = ('mutation { createApiKey(name: "portal", grants: [{role: "auditor", scope: "city"}]) '
              '{ key apiKey { id } } }')
    here, there = live(admin, create)["createApiKey"], live(admin, create)["createApiKey"]
    first_url = live.urls["gateway"].replace("http://", "ws://") + "/graphql"
    same, ack = _open(opened, first_url, {"X-API-Key": here["key"]})
    other, ack2 = _open(opened, ws_url, {"X-API-Key": there["key"]})
    assert (ack["type"], ack2["type"]) == ("connection_ack", "connection_ack")
    for ws in (same, other):
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": WATCH}}))
    assert _closed_code(same, 1.5) is None  # a live key keeps its connection
    live(admin, 'mutation($id: ID!) { revokeApiKey(id: $id) }', id=here["apiKey"]["id"])
    assert _closed_code(same, 5) == 4403  # revoked through this instance: at once (the watchdog's second)
    monkeypatch.setattr("gateway.auth.API_KEY_CACHE_SECONDS", 2)  # the other instance's 30 s, shortened
    live(admin, 'mutation($id: ID!) { revokeApiKey(id: $id) }', id=there["apiKey"]["id"])
    assert _closed_code(other, 8) == 4403  # revoked elsewhere: once the other instance's cache runs out
