"""Webhooks through the gateway over the real services (issue 18): a subscription created with GraphQL, an
approval made with GraphQL, and the signed webhook received by a real HTTP receiver started by the test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from services.common.embedded import free_port
from tests.conftest import PgServer
from tests.gateway.live import Live, live_stack

SCHEME = {"id": "hooks", "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
          "groups": ["街道"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}]}
CREATE = """mutation($url: String!, $scope: String!) { createWebhookSubscription(name: "portal", url: $url,
  scopePath: $scope, eventTypes: ["submission.approved", "submission.returned"]) {
  secret subscription { id status scopePath eventTypes } } }"""
LIST = """{ webhookSubscriptions { id status deliveries(limit: 5) { id type state attempts responseStatus
  payload } } }"""


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        super().__init__(("127.0.0.1", free_port()), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert isinstance(self.server, Receiver)
        self.server.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def live(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_stack(pg_server, Path(tmp_path_factory.mktemp("hooks")),
                    KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8") as stack:
        yield stack


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return expected in headers["webhook-signature"].split(" ")


def test_an_approval_through_the_gateway_reaches_the_subscriber_signed(live: Live, receiver: Receiver) -> None:
    city = live.unit("市", "city")
    a = live.unit("甲街道", "a", city["id"])
    b = live.unit("乙街道", "b", city["id"])
    period = live.opened_period(SCHEME, "2026-Q2", [(a["id"], "街道"), (b["id"], "街道")])
    office_a = live.token("admin", "city/a")
    refused = live.raw(live.token("reviewer", "city/a"), CREATE, url=receiver.url, scope="city/a")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    wider = live.raw(office_a, CREATE, url=receiver.url, scope="city")
    assert wider["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    ssrf = live.raw(office_a, CREATE, url="http://169.254.169.254/latest", scope="city/a")
    assert ssrf["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # probe defects: hosts the HTTP client would refuse at delivery are refused now, with their reason
    characters = ("webhook URL refused: the URL's host {host} may hold only letters, digits, '.', '-' and '_' (no "
                  "spaces, control or bidirectional-formatting characters)")
    for url, message in (
            ("http://hooks example.org/", characters.format(host="'hooks example.org'")),
            ("http://hooks.\u202egro.elpmaxe/", characters.format(host="'hooks.\\u202egro.elpmaxe'")),
            ("https://☃.net/", "webhook URL refused: the URL's host '☃.net' is not a valid internationalised domain "
                               "name (IDNA)")):
        odd = live.raw(office_a, CREATE, url=url, scope="city/a")
        assert [(e["extensions"]["code"], e["message"]) for e in odd["errors"]] == [("BAD_USER_INPUT", message)]
    created = live(office_a, CREATE, url=receiver.url, scope="city/a")["createWebhookSubscription"]
    assert created["subscription"]["status"] == "active" and created["secret"].startswith("whsec_")

    for unit in (a, b):  # only city/a's approval is for this subscriber
        live.approved(live.token("assessor", "city"), live.token("reviewer", "city"), {
            "periodId": period, "subjectId": unit["id"], "indicator": "work", "fact": "score",
            "content": {"points": "90"}})
    deadline = time.monotonic() + 30
    while not receiver.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert len(receiver.calls) == 1
    headers, body = receiver.calls[0]
    assert _verified(created["secret"], headers, body)
    sent = json.loads(body)
    assert (sent["type"], sent["data"]["subject_id"], sent["data"]["unit_path"]) == ("submission.approved",
                                                                                   a["id"], "city/a")
    assert base64.b64decode(sent["data"]["node_id"]).decode() == f"Submission:{sent['data']['id']}"

    [listed] = live(office_a, LIST)["webhookSubscriptions"]
    [delivery] = listed["deliveries"]
    assert (delivery["type"], delivery["state"], delivery["attempts"], delivery["responseStatus"]) == (
        "submission.approved", "delivered", 1, 204)
    assert live(live.token("admin", "city/b"), LIST)["webhookSubscriptions"] == []
    again = live(office_a, "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { state redeliveryOf } }",
                 id=delivery["id"])["redeliverWebhook"]
    assert again == {"state": "pending", "redeliveryOf": delivery["id"]}
    deadline = time.monotonic() + 30
    while len(receiver.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receiver.calls[1][0]["webhook-id"] == headers["webhook-id"]  # the same event, told again
    gone = live(office_a, "mutation($id: ID!) { deleteWebhookSubscription(id: $id) }",
                id=created["subscription"]["id"])
    assert gone["deleteWebhookSubscription"] == created["subscription"]["id"]
    assert live(office_a, LIST)["webhookSubscriptions"] == []
