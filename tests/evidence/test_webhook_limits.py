"""Bounds on webhooks (attacker probe): at most KAOHE_EVIDENCE_WEBHOOK_SUBSCRIPTIONS_PER_SCOPE (20) subscriptions
on one scope, at most KAOHE_EVIDENCE_WEBHOOK_TEST_PENDING_PER_SUBSCRIPTION (3) test deliveries pending per
subscription, and no URL to port 0 or to a well-known port other than 80 and 443 (docs/decisions.md)."""

from __future__ import annotations

import pytest

from services.evidence.webhooks.ssrf import Refused, UrlPolicy
from tests.conftest import auth
from tests.evidence.conftest import Stack
from tests.evidence.webhook_stack import OFFICE, subscribe

PORTAL = "https://hooks.example.org/in"


async def test_a_scope_takes_20_subscriptions_and_the_21st_is_409(stack: Stack) -> None:
    for _ in range(20):
        await subscribe(stack, PORTAL, scope="city/a")
    refused = await stack.client.post("/v1/webhooks", json={"name": "more", "url": PORTAL, "scope_path": "city/a"},
                                      headers=OFFICE)
    assert refused.status_code == 409
    assert refused.json()["error"] == {
        "code": "conflict", "details": {"limit": 20},
        "message": "scope city/a already has 20 webhook subscriptions; delete one first"}
    # another scope has its own 20; deleting one on city/a makes room again
    other = await subscribe(stack, PORTAL, scope="city/b")
    assert other["scope_path"] == "city/b"
    # the list is paged by cursor, oldest first, and counts what the caller manages: 21 in pages of 8, 8 and 5
    pages, after = [], None
    for _ in range(4):
        page = (await stack.client.get("/v1/webhooks", params={"limit": 8, **({"after": after} if after else {})},
                                       headers=OFFICE)).json()
        pages.append(page)
        after = page["next"]
        if after is None:
            break
    assert [(len(p["items"]), p["total_count"]) for p in pages] == [(8, 21), (8, 21), (5, 21)]
    listed = [row for p in pages for row in p["items"]]
    assert [r["scope_path"] for r in listed] == ["city/a"] * 20 + ["city/b"]
    assert len({r["id"] for r in listed}) == 21
    office_b = (await stack.client.get("/v1/webhooks", headers=auth(("auditor", "city/b")))).json()
    assert ([r["id"] for r in office_b["items"]], office_b["total_count"]) == ([other["id"]], 1)
    forged = await stack.client.get("/v1/webhooks", params={"after": "bm90LWEtY3Vyc29y"}, headers=OFFICE)
    assert forged.status_code == 422
    first = listed[0]
    assert (await stack.client.delete(f"/v1/webhooks/{first['id']}", headers=OFFICE)).status_code == 204
    assert (await subscribe(stack, PORTAL, scope="city/a"))["scope_path"] == "city/a"


async def test_three_test_sends_may_be_pending_the_fourth_is_409(stack: Stack) -> None:
    created = await subscribe(stack, PORTAL, scope="city/a")
    for _ in range(3):
        sent = await stack.client.post(f"/v1/webhooks/{created['id']}/test", headers=OFFICE)
        assert sent.status_code == 202, sent.text
    fourth = await stack.client.post(f"/v1/webhooks/{created['id']}/test", headers=OFFICE)
    assert fourth.status_code == 409
    assert fourth.json()["error"] == {
        "code": "conflict", "details": {"limit": 3},
        "message": f"webhook subscription {created['id']} already has 3 test deliveries pending; send another once "
                   "they are delivered or given up"}
    # the bound is per subscription
    second = await subscribe(stack, PORTAL, scope="city/a")
    assert (await stack.client.post(f"/v1/webhooks/{second['id']}/test", headers=OFFICE)).status_code == 202


@pytest.mark.parametrize("url", ["http://1.1.1.1:22/", "http://example.org:0/", "https://example.org:25/x",
                                 "http://example.org:1023/", "https://example.org:8/"])
async def test_port_0_and_well_known_ports_other_than_80_and_443_are_refused(stack: Stack, url: str) -> None:
    port = url.split(":")[2].split("/")[0]
    refused = await stack.client.post("/v1/webhooks", json={"name": "x", "url": url, "scope_path": "city"},
                                      headers=OFFICE)
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == (
        f"webhook URL refused: port {port} is refused: a webhook goes to port 80, 443 or one from 1024 on")


@pytest.mark.parametrize(("url", "port"), [("http://example.org:80/", 80), ("https://example.org:443/", 443),
                                           ("https://example.org:1024/", 1024), ("https://example.org:8443/", 8443),
                                           ("https://example.org/", 443), ("http://example.org/", 80)])
def test_web_ports_and_ports_from_1024_pass(url: str, port: int) -> None:
    assert UrlPolicy().check(url) == (url.split(":")[0], "example.org", port)
    with pytest.raises(Refused):
        UrlPolicy().check("http://example.org:443000/")


async def test_an_auditor_of_another_scope_meets_its_own_bound(stack: Stack) -> None:
    auditor = auth(("auditor", "city/b"), subject="aud-b")
    for _ in range(20):
        await subscribe(stack, PORTAL, scope="city/b", headers=auditor)
    refused = await stack.client.post("/v1/webhooks", json={"name": "x", "url": PORTAL, "scope_path": "city/b"},
                                      headers=auditor)
    assert refused.status_code == 409 and refused.json()["error"]["details"] == {"limit": 20}
