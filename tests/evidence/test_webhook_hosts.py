"""Webhook URLs with odd Unicode hosts are judged when subscribing, not refused by the HTTP client at the first
delivery (probe defects): a host is put in ASCII by IDNA with UTS #46 mapping, which turns ideographic full stops
and fullwidth or circled digits into '.' and digits, and then goes through the address rules; spaces, control and
bidirectional-formatting characters, and labels IDNA refuses, are refused with their own reason (422).

Hand-worked: ①②⑦.0.0.1, 127。0。0。1 and １２７．０．０．１ all read 127.0.0.1, a loopback address; 例子.中国 is
xn--fsqu00a.xn--fiqs8s."""

from __future__ import annotations

import httpx
import pytest

from kaohe.i18n import localize
from services.evidence.webhooks.ssrf import Refused, UrlPolicy, parse_networks
from tests.evidence.conftest import Stack
from tests.evidence.receiver import Receiver
from tests.evidence.webhook_stack import OFFICE, dispatcher, subscribe, until

LOOPBACK = ("webhook URL refused: 127.0.0.1 is a loopback address; webhooks go to public addresses only "
            "(KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS allows a network explicitly)")
CHARACTERS = ("webhook URL refused: the URL's host {host} may hold only letters, digits, '.', '-' and '_' (no spaces, "
              "control or bidirectional-formatting characters)")
IDNA = "webhook URL refused: the URL's host {host} is not a valid internationalised domain name (IDNA)"
CASES = [
    ("http://①②⑦.0.0.1/hook", LOOPBACK),  # circled digits
    ("http://127。0。0。1/hook", LOOPBACK),  # ideographic full stops
    ("http://１２７．０．０．１:8080/hook", LOOPBACK),  # fullwidth digits and full stops
    ("http://127\uff610\uff610\uff611/hook", LOOPBACK),  # halfwidth ideographic full stops
    ("http://hooks example.org/hook", CHARACTERS.format(host="'hooks example.org'")),
    ("http://hooks\u3000example.org/hook", CHARACTERS.format(host="'hooks\\u3000example.org'")),
    ("http://hooks.\u202egro.elpmaxe/hook", CHARACTERS.format(host="'hooks.\\u202egro.elpmaxe'")),
    ("http://portal\u2066.example.org/hook", CHARACTERS.format(host="'portal\\u2066.example.org'")),
    ("http://exa%20mple.org/hook", CHARACTERS.format(host="'exa%20mple.org'")),
    ("https://例子-.中国/hook", IDNA.format(host="'例子-.中国'")),
    ("https://☃.net/hook", IDNA.format(host="'☃.net'")),
]


@pytest.mark.parametrize(("url", "message"), CASES, ids=[url for url, _message in CASES])
async def test_an_odd_host_is_refused_when_subscribing(client: httpx.AsyncClient, url: str, message: str) -> None:
    answer = await client.post("/v1/webhooks", json={"name": "portal", "url": url, "scope_path": "city"},
                               headers=OFFICE)
    assert (answer.status_code, answer.json()["error"]) == (
        422, {"code": "invalid_input", "message": message, "details": {"field": "url"}})
    assert (await client.get("/v1/webhooks", headers=OFFICE)).json()["total_count"] == 0


async def test_the_reasons_read_in_chinese(client: httpx.AsyncClient) -> None:
    chinese = {**OFFICE, "Accept-Language": "zh-CN"}
    answers = [(await client.post("/v1/webhooks", json={"name": "p", "url": url, "scope_path": "city"},
                                  headers=chinese)).json()["error"]["message"]
               for url in ("http://127。0。0。1/hook", "http://hooks.\u202egro.elpmaxe/", "https://☃.net/")]
    assert answers == [
        "Webhook 地址被拒绝：127.0.0.1 属于环回地址；Webhook 只能发往公网地址（可用 "
        "KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS 明确放行某个网段）",
        "Webhook 地址被拒绝：地址的主机 'hooks.\\u202egro.elpmaxe' 只能包含字母、数字、“.”、“-”和“_”"
        "（不得含空格、控制字符或双向文本格式字符）",
        "Webhook 地址被拒绝：地址的主机 '☃.net' 不是有效的国际化域名（IDNA）"]


async def test_an_international_name_is_stored_as_it_is_called(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/webhooks", json={"name": "portal", "url": "https://例子.中国:8443/hook?k=1",
                                                      "scope_path": "city"}, headers=OFFICE)
    assert created.status_code == 201, created.text
    assert created.json()["url"] == "https://xn--fsqu00a.xn--fiqs8s:8443/hook?k=1"
    changed = await client.patch(f"/v1/webhooks/{created.json()['id']}", json={"url": "https://ｅｘａｍｐｌｅ.com/h"},
                                 headers=OFFICE)
    assert changed.json()["url"] == "https://example.com/h"
    refused = await client.patch(f"/v1/webhooks/{created.json()['id']}", json={"url": "http://①②⑦.0.0.1/"},
                                 headers=OFFICE)
    assert (refused.status_code, refused.json()["error"]["message"]) == (422, LOOPBACK)
    assert (await client.get(f"/v1/webhooks/{created.json()['id']}", headers=OFFICE)).json()["url"] == (
        "https://example.com/h")


def test_the_host_rules_before_and_after_resolving() -> None:
    allowed = UrlPolicy(networks=parse_networks("127.0.0.0/8"))
    assert allowed.normalized("http://①②⑦.0.0.1:9000/x") == "http://127.0.0.1:9000/x"
    assert allowed.check("http://127。0。0。1/x") == ("http", "127.0.0.1", 80)
    assert UrlPolicy().normalized("https://Hooks.Example.org/x") == "https://Hooks.Example.org/x"  # ASCII: as given
    with pytest.raises(Refused, match="loopback"):
        UrlPolicy().check("http://①②⑦.0.0.1/x")


async def test_a_fullwidth_loopback_receiver_allowed_explicitly_is_delivered_to(stack: Stack) -> None:
    # the stack allows 127.0.0.0/8 (tests/evidence/conftest.py): the address rules judge the normalised host, and
    # the delivery goes to the URL stored in ASCII (httpx refused the fullwidth one: 'Invalid IDNA hostname')
    receiver = await Receiver().start()
    sender = dispatcher(stack.db)
    sender.start()
    try:
        created = await subscribe(stack, receiver.url.replace("127.0.0.1", "１２７。０。０。１"))
        assert created["url"] == receiver.url
        sent = await stack.client.post(f"/v1/webhooks/{created['id']}/test", headers=OFFICE)
        assert sent.status_code in (200, 201, 202), sent.text
        await until(lambda: len(receiver.calls) == 1)
        assert receiver.calls[0].json["type"] == "webhook.test"
    finally:
        await sender.stop()
        await receiver.stop()


@pytest.mark.parametrize(("https_only", "english", "chinese"), [
    (False, "the URL must start with http:// or https://", "地址必须以 http:// 或 https:// 开头"),
    (True, "the URL must start with https://", "地址必须以 https:// 开头")])
def test_a_url_of_another_scheme_is_refused_wholly_in_the_language_asked_for(
        https_only: bool, english: str, chinese: str) -> None:
    """The "or" between the schemes is a word of the sentence, not English glued into the Chinese (newcomer probe)."""
    with pytest.raises(Refused) as refused:
        UrlPolicy(https_only=https_only).check("ftp://hooks.example.org/hook")
    assert (localize(refused.value, "en"), localize(refused.value, "zh-CN")) == (english, chinese)
