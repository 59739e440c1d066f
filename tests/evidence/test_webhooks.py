"""Webhooks (issue 18) against a real HTTP receiver started by the test and a real database with commits:
Standard Webhooks signatures, retries after 500s and timeouts, per-entity ordering, a slow receiver not
holding up another, no loss across a restart of the sender, scope filtering, SSRF refusals, automatic
disabling, manual redelivery, and the events the services' own flows raise."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import re
import time
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.common import notify
from services.common.auth import SYSTEM, issue_service_token
from services.common.db import Database, create_engine, session_scope
from services.common.outbox import EventIn
from services.evidence.webhooks.dispatcher import Dispatcher, Timing
from services.evidence.webhooks.models import EventRecord, WebhookDelivery, WebhookSubscription
from services.evidence.webhooks.signing import sign
from services.evidence.webhooks.ssrf import Refused, UrlPolicy
from tests.conftest import auth
from tests.evidence.conftest import SCORE, Stack
from tests.evidence.receiver import Call, Receiver
from tests.evidence.webhook_stack import FAST, OFFICE, dispatcher, subscribe, until

OFFICE_A = auth(("assessor", "city/a"), subject="office-a")
async def emit(db: Database, type: str, entity: str, unit: str = "city/a") -> str:
    """One event in its own committed transaction, as a service raises it."""
    notice_id = ""
    async for session in session_scope(db):
        notice_id = notify.publish(session, type, entity_id=entity, unit_path=unit, period_id="2026-Q1").id
    return notice_id


def verified(secret: str, call: Call) -> bool:
    """Standard Webhooks verification, written out from the specification: HMAC-SHA256 with the base64-decoded
    secret over `webhook-id.webhook-timestamp.body`, compared with each `v1,` entry of the header."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{call.headers['webhook-id']}.{call.headers['webhook-timestamp']}.".encode() + call.body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    given = [entry.split(",", 1) for entry in call.headers["webhook-signature"].split(" ")]
    return any(version == "v1" and hmac.compare_digest(sig, expected) for version, sig in given)


def test_signature_matches_the_reference_vector() -> None:
    # the Standard Webhooks reference libraries' test vector (libraries/python/tests/test_webhooks.py)
    assert sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                '{"test": 2432232314}') == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


async def test_signed_delivery_of_ids_only_and_rotation_with_overlap(stack: Stack) -> None:
    receiver = await Receiver().start()
    sender = dispatcher(stack.db)
    sender.start()
    try:
        created = await subscribe(stack, receiver.url)
        assert created["secret"].startswith("whsec_") and len(base64.b64decode(created["secret"][6:])) == 32
        listed = (await stack.client.get("/v1/webhooks", headers=OFFICE)).json()["items"]
        assert [s["id"] for s in listed] == [created["id"]] and "secret" not in listed[0]  # shown once only
        await emit(stack.db, "submission.approved", "sub-1")
        await until(lambda: len(receiver.calls) == 1)
        call = receiver.calls[0]
        assert verified(created["secret"], call)
        assert abs(int(call.headers["webhook-timestamp"]) - time.time()) < 30
        body = call.json
        assert body["type"] == "submission.approved"
        # ids and the GraphQL node id (base64 of "Submission:sub-1"), never the document
        assert body["data"]["id"] == "sub-1"
        assert body["data"]["node_id"] == "U3VibWlzc2lvbjpzdWItMQ=="
        assert (body["data"]["unit_path"], body["data"]["period_id"]) == ("city/a", "2026-Q1")

        rotated = (await stack.client.post(f"/v1/webhooks/{created['id']}/rotate-secret", headers=OFFICE)).json()
        await emit(stack.db, "submission.returned", "sub-2")
        await until(lambda: len(receiver.calls) == 2)
        second = receiver.calls[1]
        assert len(second.headers["webhook-signature"].split(" ")) == 2  # new and old during the overlap
        assert verified(rotated["secret"], second) and verified(created["secret"], second)
        assert not verified(created["secret"].replace(created["secret"][8], "A" if created["secret"][8] != "A"
                                                      else "B"), second)
    finally:
        await sender.stop()
        await receiver.stop()


async def test_retries_after_500s_and_a_timeout_then_logs_the_attempts(stack: Stack) -> None:
    answers = [500, 500, "slow", 200]

    async def flaky(_call: Call) -> int:
        answer = answers.pop(0) if answers else 200
        if answer == "slow":
            await asyncio.sleep(1.5)  # past the 0.5 s timeout
            return 200
        return int(answer)

    receiver = await Receiver(flaky).start()
    sender = dispatcher(stack.db)
    sender.start()
    try:
        created = await subscribe(stack, receiver.url)
        event = await emit(stack.db, "appeal.filed", "appeal-1")
        log_path = f"/v1/webhooks/{created['id']}/deliveries"
        await until(lambda: len(receiver.calls) >= 4)
        deliveries: list[Any] = []

        async def delivered() -> bool:
            deliveries[:] = (await stack.client.get(log_path, headers=OFFICE)).json()["items"]
            return deliveries[0]["state"] == "delivered"

        for _ in range(200):
            if await delivered():
                break
            await asyncio.sleep(0.05)
        [row] = deliveries
        assert (row["state"], row["attempts"], row["response_status"]) == ("delivered", 4, 200)
        assert row["latency_ms"] is not None and row["event_id"] == event
        # the same webhook-id on every attempt: the receiver can drop repeats
        assert set(receiver.ids()) == {f"msg_{uuid.UUID(event).hex}"}
    finally:
        await sender.stop()
        await receiver.stop()


async def test_events_about_one_entity_arrive_in_order_and_a_slow_receiver_holds_up_nobody(stack: Stack) -> None:
    failures = {"a": 3}

    async def fails_a_first(call: Call) -> int:
        if call.json["data"]["id"] == "a" and failures["a"]:
            failures["a"] -= 1
            return 503
        return 200

    async def hangs(_call: Call) -> int:
        await asyncio.sleep(10)
        return 200

    ordered, slow = await Receiver(fails_a_first).start(), await Receiver(hangs).start()
    sender = dispatcher(stack.db, Timing(timeout=8, base=0.05, cap=0.2, idle=0.05))
    sender.start()
    try:
        await subscribe(stack, ordered.url)
        await subscribe(stack, slow.url)
        started = time.monotonic()
        sent = []
        for step in ("submission.submitted", "submission.returned", "submission.submitted", "submission.approved"):
            for entity in ("a", "b"):
                sent.append((entity, step))
                await emit(stack.db, step, entity)

        def accepted(entity: str) -> list[str]:
            seen: list[str] = []
            for call in ordered.calls:
                body = call.json
                if body["data"]["id"] == entity and call.headers["webhook-id"] not in seen:
                    seen.append(call.headers["webhook-id"])
            return seen

        await until(lambda: len(accepted("b")) == 4)
        assert time.monotonic() - started < 5.0  # "b" never waited for "a"'s retries nor for the slow receiver
        await until(lambda: len(accepted("a")) == 4)
        order_a = [c.json["type"] for c in ordered.calls if c.json["data"]["id"] == "a"]
        # a's first event failed three times; nothing about "a" came before it succeeded, and the rest in order
        assert order_a == ["submission.submitted"] * 4 + ["submission.returned", "submission.submitted",
                                                          "submission.approved"]
        assert len(slow.calls) <= 4  # at most per_subscription requests held by the slow receiver at once
    finally:
        await sender.stop()
        await ordered.stop()
        await slow.stop()


async def test_nothing_is_lost_across_a_restart_of_the_sender(stack: Stack) -> None:
    hold = asyncio.Event()

    async def stalls_until_released(_call: Call) -> int:
        await hold.wait()
        return 200

    receiver = await Receiver(stalls_until_released).start()
    await subscribe(stack, receiver.url)
    first = dispatcher(stack.db, Timing(timeout=30, base=0.05, cap=0.2, idle=0.05, lease_seconds=1.0))
    first.start()
    sent = [await emit(stack.db, "submission.submitted", f"s{i}") for i in range(12)]
    await until(lambda: len(receiver.calls) >= 4)  # the first sender has requests in flight
    await first.stop()  # the process goes away mid-delivery: nothing was recorded as delivered
    hold.set()
    # a new process (its own engine) takes over once the leases run out
    db2 = Database(create_engine(stack.db.engine.url.render_as_string(hide_password=False), pool_size=4), "evidence")
    second = dispatcher(db2)
    second.start()
    try:
        expected = {f"msg_{uuid.UUID(e).hex}" for e in sent}
        await until(lambda: expected <= set(receiver.ids()), 15)
        states: list[str] = []
        for _ in range(100):
            async with db2.sessionmaker() as session:
                states = list((await session.scalars(select(WebhookDelivery.state))).all())
            if states.count("delivered") == 12:
                break
            await asyncio.sleep(0.05)
        assert states == ["delivered"] * 12
    finally:
        await second.stop()
        await db2.dispose()
        await receiver.stop()


async def test_subscribers_get_only_events_inside_their_scope(stack: Stack) -> None:
    receiver = await Receiver().start()
    sender = dispatcher(stack.db)
    sender.start()
    try:
        await subscribe(stack, receiver.url, scope="city/a", headers=OFFICE_A,
                        types=["submission.approved", "objection.filed"])
        # an assessor of city/a may not subscribe to the whole city, a reviewer to nothing
        wider = {"name": "x", "url": receiver.url, "scope_path": "city"}
        assert (await stack.client.post("/v1/webhooks", json=wider, headers=OFFICE_A)).status_code == 403
        reviewer = auth(("reviewer", "city/a"))
        assert (await stack.client.post("/v1/webhooks", json={**wider, "scope_path": "city/a"},
                                        headers=reviewer)).status_code == 403
        assert (await stack.client.get("/v1/webhooks", headers=auth(("admin", "city/b")))).json() == {
            "items": [], "next": None, "total_count": 0}
        await emit(stack.db, "submission.approved", "in-a", "city/a")
        await emit(stack.db, "submission.approved", "below-a", "city/a/x")
        await emit(stack.db, "submission.approved", "sibling", "city/ab")  # a prefix, not inside city/a
        await emit(stack.db, "submission.approved", "other", "city/b")
        await emit(stack.db, "submission.returned", "wrong-type", "city/a")
        await emit(stack.db, "objection.filed", "last", "city/a")
        await until(lambda: any(c.json["data"]["id"] == "last" for c in receiver.calls))
        await asyncio.sleep(0.2)
        assert sorted(c.json["data"]["id"] for c in receiver.calls) == ["below-a", "in-a", "last"]
    finally:
        await sender.stop()
        await receiver.stop()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x", "http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data", "http://[::1]/x",
    "http://[::ffff:127.0.0.1]/x", "http://192.168.1.1/x", "http://0.0.0.0/x", "ftp://example.org/x",
    "http://user:pw@example.org/x", "file:///etc/passwd",
])
async def test_ssrf_refusals_of_addresses_and_schemes(url: str) -> None:
    with pytest.raises(Refused):
        await UrlPolicy().resolve(url)


@pytest.mark.parametrize(("url", "address"), [
    ("http://2130706433/x", "127.0.0.1"), ("http://0177.0.0.1/x", "127.0.0.1"), ("http://0x7f.1/x", "127.0.0.1"),
    ("http://127.1/x", "127.0.0.1"), ("http://0x7f000001:8080/x", "127.0.0.1"), ("http://0/x", "0.0.0.0"),
    ("http://012.1.2.3/x", "10.1.2.3"), ("http://2852039166/latest", "169.254.169.254"),
    ("http://localhost/x", "127.0.0.1"), ("http://LOCALHOST./x", "127.0.0.1"), ("http://a.localhost/x", "127.0.0.1"),
])
def test_ssrf_numeric_forms_and_localhost_refused_when_subscribing(url: str, address: str) -> None:
    # getaddrinfo reads 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 as 127.0.0.1 (inet_aton), so the check made when a
    # subscription is created, which resolves no name, must read them the same way (api.md: such a URL is 422)
    with pytest.raises(Refused, match=re.escape(f"{address} is a")):
        UrlPolicy().check(url)
    with pytest.raises(Refused, match="not a valid IP address"):
        UrlPolicy().check("http://1.2.3.256/x")
    allowed = UrlPolicy(networks=(ipaddress.ip_network(address),))
    assert allowed.check(url)[1] == url.split("/")[2].split(":")[0].lower().rstrip(".")


EMBEDS = "webhooks go to public addresses only"
# an IPv6 address → the start of its refusal: each form that carries an IPv4 address is judged by that address
# (refused when it is loopback, private, link-local, reserved…), and IPv6's own special ranges are refused
SPECIAL_IPV6 = {
    "::ffff:127.0.0.1": "::ffff:7f00:1 embeds 127.0.0.1 (IPv4-mapped), a loopback address",
    "::ffff:10.0.0.1": "::ffff:a00:1 embeds 10.0.0.1 (IPv4-mapped), a private address",
    "::127.0.0.1": "::7f00:1 embeds 127.0.0.1 (IPv4-compatible), a loopback address",
    "::169.254.169.254": "::a9fe:a9fe embeds 169.254.169.254 (IPv4-compatible), a link-local address",
    "2002:7f00:1::": "2002:7f00:1:: embeds 127.0.0.1 (6to4), a loopback address",
    "2002:a00:1::": "2002:a00:1:: embeds 10.0.0.1 (6to4), a private address",
    "2002:a9fe:a9fe::1": "2002:a9fe:a9fe::1 embeds 169.254.169.254 (6to4), a link-local address",
    "2002:c0a8:101::": "2002:c0a8:101:: embeds 192.168.1.1 (6to4), a private address",
    "2002:f000:1::": "2002:f000:1:: embeds 240.0.0.1 (6to4), a private address",  # 240/4: private before reserved
    "2001:0:7f00:1::f7f7:f7f7": "2001:0:7f00:1::f7f7:f7f7 embeds 127.0.0.1 (Teredo server), a loopback address",
    # server 65.54.227.120 (public), client 10.0.0.1 stored inverted (f5ff:fffe)
    "2001:0:4136:e378:8000:63bf:f5ff:fffe": "2001:0:4136:e378:8000:63bf:f5ff:fffe embeds 10.0.0.1 (Teredo client), "
                                            "a private address",
    "64:ff9b::7f00:1": "64:ff9b::7f00:1 embeds 127.0.0.1 (NAT64), a loopback address",
    "64:ff9b::a9fe:a9fe": "64:ff9b::a9fe:a9fe embeds 169.254.169.254 (NAT64), a link-local address",
    "64:ff9b:1::a00:1": "64:ff9b:1::a00:1 embeds 10.0.0.1 (NAT64), a private address",
    "64:ff9b:1::808:808": "64:ff9b:1::808:808 is a reserved address",  # local-use NAT64 (RFC 8215)
    "2001:0:4136:e378:8000:63bf:f7f7:f7f7": "2001:0:4136:e378:8000:63bf:f7f7:f7f7 is a private address",  # Teredo
    "::1": "::1 is a loopback address", "::": ":: is a non-routable (unspecified) address",
    "fe80::1": "fe80::1 is a link-local address", "fc00::1": "fc00::1 is a private address",
    "fd12:3456::1": "fd12:3456::1 is a private address", "fec0::1": "fec0::1 is a site-local address",
    "ff02::1": "ff02::1 is a multicast address", "2001:db8::1": "2001:db8::1 is a private address",
    "100::1": "100::1 is a private address",  # discard-only
}
PUBLIC_IPV6 = ["2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", sorted(SPECIAL_IPV6))
async def test_ssrf_ipv6_forms_embedding_a_special_ipv4_and_ipv6_special_ranges(address: str) -> None:
    expected = re.escape(SPECIAL_IPV6[address]) + ".*" + re.escape(EMBEDS)
    with pytest.raises(Refused, match=expected):  # when subscribing: the URL's literal address
        UrlPolicy().check(f"http://[{address}]/hook")

    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", address]

    with pytest.raises(Refused, match=expected):  # when delivering: a name that resolves to it
        await UrlPolicy().resolve("https://hooks.example.org/hook", resolver)


@pytest.mark.parametrize("address", PUBLIC_IPV6)
async def test_ssrf_public_ipv6_forms_pass(address: str) -> None:
    target = await UrlPolicy().resolve(f"http://[{address}]/hook")
    assert target.address == str(ipaddress.ip_address(address))


async def test_ssrf_names_are_resolved_and_checked_then_pinned() -> None:
    async def rebinding(host: str, port: int) -> list[str]:
        return {"inside.example.org": ["93.184.216.34", "10.0.0.7"], "ok.example.org": ["93.184.216.34"]}[host]

    with pytest.raises(Refused, match=r"10\.0\.0\.7 is a private address"):
        await UrlPolicy().resolve("https://inside.example.org/hook", rebinding)
    target = await UrlPolicy().resolve("https://ok.example.org/hook?x=1", rebinding)
    assert (target.url, target.host_header, target.server_name) == (
        "https://93.184.216.34:443/hook?x=1", "ok.example.org", "ok.example.org")
    allow_listed = UrlPolicy(hosts=("hooks.partner.cn", "*.example.org"), any_host=False)
    assert (await allow_listed.resolve("https://ok.example.org/h", rebinding)).address == "93.184.216.34"
    with pytest.raises(Refused, match="not in the allowed webhook hosts"):
        allow_listed.check("https://evil.test/h")
    with pytest.raises(Refused, match="not in the allowed webhook hosts"):
        allow_listed.check("https://example.org/h")  # *.example.org is the subdomains only
    production = UrlPolicy(any_host=False, https_only=True)
    with pytest.raises(Refused):
        production.check("https://ok.example.org/h")  # nothing allowed until an admin lists hosts


async def test_a_delivery_refused_for_a_name_does_not_tell_the_subscriber_what_it_resolves_to(
        stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    """A subscriber reads its deliveries' errors: for a host name, kaohe says only that the name is not public (the
    address and the reason go to the server's log), so subscriptions cannot map how the server resolves names.
    An address written in the URL is named, as when subscribing."""
    async def internal(host: str, port: int) -> list[str]:
        if host == "nowhere.example.org":
            raise OSError("Name or service not known")
        return ["10.0.0.7"]

    sender = Dispatcher(stack.db, policy=UrlPolicy(), resolver=internal)
    secrets = ["whsec_" + base64.b64encode(b"k" * 24).decode()]
    inside = await sender.send("https://inside.example.org/h", "msg_1", {}, secrets)
    nowhere = await sender.send("https://nowhere.example.org/h", "msg_2", {}, secrets)
    literal = await sender.send("https://10.0.0.7/h", "msg_3", {}, secrets)
    assert [(o.ok, str(o.error)) for o in (inside, nowhere, literal)] == [
        (False, "refused: inside.example.org does not resolve to a public address"),
        (False, "refused: nowhere.example.org does not resolve to a public address"),
        (False, "refused: 10.0.0.7 is a private address; webhooks go to public addresses only "
                "(KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS allows a network explicitly)"),
    ]
    assert "10.0.0.7 is a private address" in caplog.text and "cannot resolve nowhere.example.org" in caplog.text


async def test_ssrf_through_the_api_and_redirects_not_followed(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = await stack.client.post("/v1/webhooks", json={"name": "x", "url": "http://169.254.169.254/",
                                                            "scope_path": "city"}, headers=OFFICE)
    assert refused.status_code == 422 and "link-local" in refused.text
    receiver = await Receiver(lambda _call: asyncio.sleep(0, 302)).start()
    sender = dispatcher(stack.db)
    sender.start()
    try:
        created = await subscribe(stack, receiver.url)
        await emit(stack.db, "submission.approved", "x")
        await until(lambda: len(receiver.calls) >= 2)  # retried: a redirect is a failure
        assert {c.path for c in receiver.calls} == {"/hook"}  # /elsewhere never called
        rows = (await stack.client.get(f"/v1/webhooks/{created['id']}/deliveries", headers=OFFICE)).json()["items"]
        assert rows[0]["response_status"] == 302 and rows[0]["state"] == "pending"
    finally:
        await sender.stop()
        await receiver.stop()
    # without the explicit network, the loopback receiver is refused at send time as well
    strict = Dispatcher(stack.db, policy=UrlPolicy(), timing=FAST)
    outcome = await strict.send(receiver.url, "msg_x", {"type": "webhook.test"}, [])
    await strict.stop()
    assert not outcome.ok and outcome.error is not None and "loopback" in outcome.error


async def test_sustained_failure_disables_with_an_event_and_manual_redelivery(stack: Stack) -> None:
    down = {"yes": True}

    async def dead_until_fixed(_call: Call) -> int:
        return 500 if down["yes"] else 200

    dead, watcher = await Receiver(dead_until_fixed).start(), await Receiver().start()
    # give up a delivery after its first failure and disable after failing for 0.3 s (hours in production)
    timing = Timing(timeout=0.5, base=0.05, cap=0.1, idle=0.05, retry_window=timedelta(0),
                    disable_after=timedelta(seconds=0.3))
    sender = dispatcher(stack.db, timing)
    sender.start()
    try:
        created = await subscribe(stack, dead.url)
        await subscribe(stack, watcher.url, types=["webhook.disabled"])
        failed_event = await emit(stack.db, "submission.approved", "e0")
        await asyncio.sleep(0.4)
        await emit(stack.db, "submission.approved", "e1")
        await until(lambda: any(c.json["type"] == "webhook.disabled" for c in watcher.calls))
        notice = next(c.json for c in watcher.calls if c.json["type"] == "webhook.disabled")
        assert notice["data"]["id"] == created["id"] and "every delivery failed" in notice["data"]["reason"]
        shown = (await stack.client.get(f"/v1/webhooks/{created['id']}", headers=OFFICE)).json()
        assert shown["status"] == "disabled"
        # stored without a language, shown in the reader's, its time in the office's zone (Asia/Shanghai), to the minute
        local = datetime.fromisoformat(shown["failing_since"]).astimezone(ZoneInfo("Asia/Shanghai"))
        since = f"{local:%Y-%m-%d %H:%M} (UTC+08:00)"
        since_zh = f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）"
        english = re.fullmatch(re.escape(f"every delivery failed since {since} (") + r"(\d+)"
                               + re.escape(" attempts; the last: the receiver answered HTTP 500)"),
                               shown["disabled_reason"])
        assert english is not None, shown["disabled_reason"]
        chinese = await stack.client.get(f"/v1/webhooks/{created['id']}", headers={**OFFICE, "Accept-Language": "zh"})
        assert chinese.json()["disabled_reason"] == (
            f"自 {since_zh} 起每次推送均失败（共尝试 {english[1]} 次；最近一次：接收方返回 HTTP 500）")
        log_path = f"/v1/webhooks/{created['id']}/deliveries"
        failed_rows = {language: (await stack.client.get(log_path, headers={**OFFICE, "Accept-Language": language}))
                       .json()["items"] for language in ("en", "zh-CN")}
        assert {row["last_error"] for row in failed_rows["en"]} == {"the receiver answered HTTP 500"}
        assert {row["last_error"] for row in failed_rows["zh-CN"]} == {"接收方返回 HTTP 500"}
        calls_when_disabled = len(dead.calls)
        await emit(stack.db, "submission.approved", "e2")  # not queued for a disabled subscription
        await asyncio.sleep(0.3)
        assert len(dead.calls) == calls_when_disabled

        down["yes"] = False
        resumed = await stack.client.patch(f"/v1/webhooks/{created['id']}", json={"paused": False}, headers=OFFICE)
        assert resumed.json()["status"] == "active"
        log = (await stack.client.get(f"/v1/webhooks/{created['id']}/deliveries", headers=OFFICE)).json()["items"]
        first = next(d for d in log if d["event_id"] == failed_event)
        assert first["state"] == "failed"
        again = await stack.client.post(f"/v1/webhooks/deliveries/{first['id']}/redeliver", headers=OFFICE)
        assert again.status_code == 202 and again.json()["redelivery_of"] == first["id"]
        # someone outside the subscription's scope learns nothing, not even which subscription the delivery is of
        outsider = await stack.client.post(f"/v1/webhooks/deliveries/{first['id']}/redeliver", headers=OFFICE_A)
        assert outsider.status_code == 404 and created["id"] not in outsider.text
        await until(lambda: any(c.headers["webhook-id"] == f"msg_{uuid.UUID(failed_event).hex}"
                                and c.json["data"]["id"] == "e0" for c in dead.calls[calls_when_disabled:]))
        test = await stack.client.post(f"/v1/webhooks/{created['id']}/test", headers=OFFICE)
        assert test.status_code == 202
        await until(lambda: any(c.json["type"] == "webhook.test" for c in dead.calls))
    finally:
        await sender.stop()
        await dead.stop()
        await watcher.stop()


async def test_flows_raise_events_and_other_services_notices_are_logged_once(stack: Stack) -> None:
    client = stack.client
    assessor = auth(("assessor", "city/a"), subject="assessor-a")
    reviewer = auth(("reviewer", "city/a"), subject="chief")
    first = (await client.post("/v1/submissions", json=SCORE, headers=assessor)).json()
    await client.post(f"/v1/submissions/{first['id']}/decisions", json={"action": "approve", "version": 1},
                      headers=reviewer)
    second = (await client.post("/v1/submissions", json={**SCORE, "subject_id": "p001"}, headers=assessor)).json()
    await client.post(f"/v1/submissions/{second['id']}/decisions",
                      json={"action": "return", "reason": "补充材料", "version": 1}, headers=reviewer)
    notice = {"id": str(uuid.uuid4()), "type": "objection.filed", "entity_id": "obj-1", "unit_path": "city/a",
              "occurred_at": "2026-03-02T01:00:00+00:00", "period_id": "2026-Q1", "subject_id": "p001",
              "extra": {}}
    event = EventIn(id=uuid.uuid4(), source="ranking", topic="notify", payload=notice).model_dump(mode="json")
    service = {"Authorization": f"Bearer {issue_service_token(SYSTEM)}"}
    for _ in range(2):  # the outbox may deliver twice
        assert (await client.post("/events", json=event, headers=service)).status_code == 200
    assert (await client.post("/events", json=event, headers=OFFICE)).status_code == 403
    async with stack.db.sessionmaker() as session:
        rows = (await session.scalars(select(EventRecord).order_by(EventRecord.seq))).all()
        assert not (await session.scalars(select(WebhookSubscription))).all()
    assert [(r.type, r.entity_id, r.unit_path) for r in rows] == [
        ("submission.submitted", first["id"], "city/a"), ("submission.approved", first["id"], "city/a"),
        ("submission.submitted", second["id"], "city/a"), ("submission.returned", second["id"], "city/a"),
        ("objection.filed", "obj-1", "city/a")]
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)


def test_an_address_that_is_only_not_global_reads_as_non_public() -> None:
    """100.64.0.0/10 (shared address space) is neither private nor reserved, only not global: "a non-public
    address" (English with its article right), 非公网 in Chinese."""
    from kaohe.i18n import localize
    from services.evidence.webhooks.ssrf import refusal

    found = refusal(ipaddress.ip_address("100.64.0.1"))
    assert found is not None
    assert localize(found, "en").startswith("100.64.0.1 is a non-public address; webhooks go to public addresses")
    assert localize(found, "zh-CN").startswith("100.64.0.1 属于非公网地址；Webhook 只能发往公网地址")


async def test_an_unknown_event_type_lists_the_types_in_the_language_asked_for(stack: Stack) -> None:
    """Newcomer probe: a Chinese list is joined with 、, an English one with commas."""
    types = ["submission.submitted", "submission.returned", "submission.rejected", "submission.approved",
             "submission.revoked", "review.due_soon", "review.overdue", "journal.missing", "rating_task.opened",
             "rating_task.closing", "rating_task.closed", "rectification.issued", "rectification.answered",
             "rectification.overdue", "appeal.filed", "appeal.answered", "results.computed",
             "results.changed_after_publication", "publication.opened", "publication.closed", "objection.filed",
             "objection.answered", "period.finalised", "period.reopened", "webhook.disabled", "webhook.test"]
    body = {"name": "x", "url": "https://hooks.example.org/in", "scope_path": "city", "event_types": ["nope"]}
    for language, expected in (
            ("en", f"event_types: unknown event type 'nope'; the types are {', '.join(types)}"),
            ("zh-CN", f"event_types：未知的事件类型 'nope'；可用的类型为 {'、'.join(types)}")):
        refused = await stack.client.post("/v1/webhooks", json=body, headers={**OFFICE, "Accept-Language": language})
        assert (refused.status_code, refused.json()["error"]["message"]) == (422, expected)
