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
LIST = """{ webhookSubscriptions { nodes { id status deliveries(first: 5) { nodes { id type state attempts
  responseStatus payload } } } } }"""
SUBSCRIPTIONS = """query($first: Int, $after: String) { webhookSubscriptions(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id scopePath } } } }"""
DELIVERIES = """query($first: Int, $after: String) { webhookSubscriptions { nodes { id deliveries(first: $first,
  after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { id type } } } } }"""
TEST = "mutation($id: ID!) { sendTestWebhook(id: $id) { id type state } }"


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

    [listed] = live(office_a, LIST)["webhookSubscriptions"]["nodes"]
    [delivery] = listed["deliveries"]["nodes"]
    assert (delivery["type"], delivery["state"], delivery["attempts"], delivery["responseStatus"]) == (
        "submission.approved", "delivered", 1, 204)
    assert live(live.token("admin", "city/b"), LIST)["webhookSubscriptions"] == {"nodes": []}
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
    assert live(office_a, LIST)["webhookSubscriptions"] == {"nodes": []}


def _pages(live: Live, token: str, first: int, field: str = "webhookSubscriptions",
           query: str = SUBSCRIPTIONS) -> list[dict[str, Any]]:
    """Every page of a connection, following `endCursor` (at most ten)."""
    pages: list[dict[str, Any]] = []
    after = None
    while len(pages) < 10:
        page = live(token, query, first=first, after=after)[field]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("more than ten pages")


def test_subscriptions_and_deliveries_are_paged_connections_within_the_callers_scope(
        live: Live, receiver: Receiver) -> None:
    """Five subscriptions on hq/x and two on hq/y, listed in pages of two, oldest first: each office sees its own
    (5 and 2), an auditor over hq all seven; a subscription's log of five test deliveries, newest first, in pages
    of two; thirty aliases of both lists are too costly."""
    hq = live.unit("总部", "hq")
    x, y = live.unit("甲处", "x", hq["id"]), live.unit("乙处", "y", hq["id"])
    assert (x["path"], y["path"]) == ("hq/x", "hq/y")
    office_x, office_y, auditor = live.token("admin", "hq/x"), live.token("admin", "hq/y"), live.token("auditor", "hq")
    made = [live(office, CREATE, url=receiver.url, scope=scope)["createWebhookSubscription"]["subscription"]["id"]
            for office, scope in [(office_x, "hq/x")] * 5 + [(office_y, "hq/y")] * 2]

    pages = _pages(live, office_x, 2)
    assert [[e["node"]["id"] for e in p["edges"]] for p in pages] == [made[0:2], made[2:4], made[4:5]]
    assert [p["totalCount"] for p in pages] == [5, 5, 5]
    assert [(p["pageInfo"]["hasNextPage"], p["pageInfo"]["hasPreviousPage"]) for p in pages] == [
        (True, False), (True, True), (False, True)]
    assert all(p["pageInfo"]["endCursor"] == p["edges"][-1]["cursor"] for p in pages)
    assert {e["node"]["scopePath"] for p in pages for e in p["edges"]} == {"hq/x"}
    [only_y] = _pages(live, office_y, 2)  # hq/x's five are invisible to hq/y's office, and not counted
    assert ([e["node"]["id"] for e in only_y["edges"]], only_y["totalCount"]) == (made[5:7], 2)
    everything = _pages(live, auditor, 3)
    assert [[e["node"]["id"] for e in p["edges"]] for p in everything] == [made[0:3], made[3:6], made[6:7]]
    assert [p["totalCount"] for p in everything] == [7, 7, 7]
    counted = live(office_x, SUBSCRIPTIONS, first=0)["webhookSubscriptions"]
    assert (counted["totalCount"], counted["edges"], counted["pageInfo"]["hasNextPage"]) == (5, [], True)

    sent: list[str] = []
    for count in range(1, 6):  # one at a time: at most three test deliveries may be pending
        sent.append(live(office_x, TEST, id=made[0])["sendTestWebhook"]["id"])
        deadline = time.monotonic() + 30
        while len(receiver.calls) < count and time.monotonic() < deadline:
            time.sleep(0.05)
    logs = []
    after = None
    for _ in range(4):
        listed = live(office_x, DELIVERIES, first=2, after=after)["webhookSubscriptions"]["nodes"]
        log = next(s["deliveries"] for s in listed if s["id"] == made[0])
        assert {len(s["deliveries"]["nodes"]) for s in listed if s["id"] != made[0]} == {0}
        logs.append(log)
        if not log["pageInfo"]["hasNextPage"]:
            break
        after = log["pageInfo"]["endCursor"]
    newest_first = sent[::-1]
    assert [[d["id"] for d in p["nodes"]] for p in logs] == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
    assert {d["type"] for p in logs for d in p["nodes"]} == {"webhook.test"}
    assert [p["totalCount"] for p in logs] == [5, 5, 5]
    assert [(p["pageInfo"]["hasNextPage"], p["pageInfo"]["hasPreviousPage"]) for p in logs] == [
        (True, False), (True, True), (False, True)]
    assert [s["deliveries"]["nodes"] for s in live(office_y, DELIVERIES)["webhookSubscriptions"]["nodes"]] == [[], []]

    bad = live.raw(office_x, SUBSCRIPTIONS, first=2, after="bm90LWEtY3Vyc29y")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    too_many = live.raw(office_x, SUBSCRIPTIONS, first=101)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    one = "webhookSubscriptions { nodes { id deliveries { nodes { id payload } } } }"
    costly = live.raw(auditor, "{ " + " ".join(f"a{i}: {one}" for i in range(30)) + " }")
    assert [(e["extensions"]["code"], e["message"]) for e in costly["errors"]] == [
        ("QUERY_TOO_COSTLY", "query cost 37830 is over the limit of 20000; ask for fewer items or fields")]
    assert "data" not in costly or costly["data"] is None
