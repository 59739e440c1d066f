"""Events for integrators under load (issue 18): from a review approval made through the gateway to (a) the
signed webhook received by a local receiver and (b) the GraphQL subscription message received over
graphql-transport-ws, for N approvals while the load mix of bench/load.py runs beside them.

Starts its own stack (`kaohe up`, embedded PostgreSQL, free ports; loopback allowed for webhooks with
KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS), verifies every webhook's signature, and ends with one line:

    events: webhook_p95_ms=… subscription_p95_ms=… lost=0 duplicates_seen=…

`lost` counts measured approvals that reached the receiver or the subscriber not at all (30 s grace after the
last one); `duplicates_seen` counts webhook requests repeating a webhook-id already received (at-least-once).

    python bench/events.py                 # 200 events, load concurrency 4
    python bench/events.py --events 50     # smoke
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import importlib.util
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import httpx

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE.parent)]
_spec = importlib.util.spec_from_file_location("kaohe_bench_load", _HERE / "load.py")
assert _spec is not None and _spec.loader is not None
load = importlib.util.module_from_spec(_spec)
sys.modules["kaohe_bench_load"] = load  # its dataclasses look their module up
_spec.loader.exec_module(load)

from services.common.embedded import free_port  # noqa: E402

SUBSCRIBE = """mutation($url: String!, $scope: String!) { createWebhookSubscription(name: "bench", url: $url,
  scopePath: $scope, eventTypes: ["submission.approved"]) { secret subscription { id } } }"""
WATCH = 'subscription { events(types: ["submission.approved"]) { entityId type } }'


class Receiver:
    """A minimal HTTP/1.1 server (keep-alive) that checks each webhook's signature and notes when it came."""

    def __init__(self) -> None:
        self.port = free_port()
        self.key = b""
        self.arrived: dict[str, float] = {}  # submission id → first arrival
        self.ids: set[str] = set()
        self.duplicates = 0
        self.bad_signatures = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                pairs = (line.partition(":") for line in lines[1:] if line)
                headers = {k.strip().lower(): v.strip() for k, _, v in pairs}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self._note(headers, body)
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the sender closed the connection, or the bench is ending
        finally:
            writer.close()

    def _note(self, headers: dict[str, str], body: bytes) -> None:
        now = time.perf_counter()
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        expected = "v1," + base64.b64encode(hmac.new(self.key, signed, hashlib.sha256).digest()).decode()
        if expected not in headers.get("webhook-signature", "").split(" "):
            self.bad_signatures += 1
            return
        if headers["webhook-id"] in self.ids:
            self.duplicates += 1
            return
        self.ids.add(headers["webhook-id"])
        self.arrived.setdefault(json.loads(body)["data"]["id"], now)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()


async def subscriber(ws_url: str, bearer: str, arrived: dict[str, float], ready: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": WATCH}}))
        ready.set()
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif message.get("type") == "next":
                arrived.setdefault(message["payload"]["data"]["events"]["entityId"], time.perf_counter())


async def measure(run: Any, client: httpx.AsyncClient, count: int, sent: dict[str, float],
                  answered: dict[str, float], lanes: int = 2) -> None:
    """Submit `count` pieces of evidence (not measured), then approve them over `lanes` concurrent clients, noting
    when each approval was sent and when its answer came back."""
    made: list[dict[str, Any]] = []

    async def submit(i: int) -> None:
        unit = run.units[i % len(run.units)]
        body = await run.must(client, load.token(run.secret, "assessor", unit["path"]), load.SUBMIT, input={
            "periodId": run.period, "subjectId": unit["id"], "indicator": "work", "fact": "score",
            "content": {"points": "40", "assessor": "考核办"}})
        made.append(body["data"]["submitEvidence"])

    for start in range(0, count, 4):
        await asyncio.gather(*(submit(i) for i in range(start, min(start + 4, count))))
    queue = list(made)

    async def lane() -> None:
        while queue:
            one = queue.pop(0)
            sent[one["id"]] = time.perf_counter()
            await run.must(client, load.token(run.secret, "reviewer", ""), load.REVIEW, id=one["id"],
                           v=one["version"])
            answered[one["id"]] = time.perf_counter()
            await asyncio.sleep(0.05)

    await asyncio.gather(*(lane() for _ in range(lanes)))


def percentile(values: list[float], q: float) -> float:
    return float(load.percentile(values, q))


async def main_async(args: argparse.Namespace) -> int:
    secret = secrets.token_urlsafe(32)
    receiver = Receiver()
    await receiver.start()
    stack = load.Stack(secret, {"KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32"})
    webhook_at: dict[str, float] = receiver.arrived
    live_at: dict[str, float] = {}
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    try:
        run = load.Run(stack.gateway, secret)
        async with httpx.AsyncClient(base_url=stack.gateway, timeout=60) as client:
            await run.setup(client, args.subjects)
            city = run.units[0]["path"].rsplit("/", 1)[0]
            created = (await run.must(client, load.token(secret, "admin", ""), SUBSCRIBE,
                                      url=f"http://127.0.0.1:{receiver.port}/hook", scope=city))
            receiver.key = base64.b64decode(created["data"]["createWebhookSubscription"]["secret"][6:])
            ready = asyncio.Event()
            ws_url = stack.gateway.replace("http://", "ws://") + "/graphql"
            watching = asyncio.create_task(subscriber(ws_url, load.token(secret, "auditor", ""), live_at, ready))
            await asyncio.wait_for(ready.wait(), 30)
            background = asyncio.create_task(load.drive(run, seconds=3600, concurrency=args.concurrency,
                                                        max_requests=2_000_000, seed=11))
            await asyncio.sleep(5)  # the mix is running
            started = time.monotonic()
            await measure(run, client, args.events, sent, answered)
            for _ in range(300):  # up to 30 s for the last ones
                if set(sent) <= set(webhook_at) and set(sent) <= set(live_at):
                    break
                await asyncio.sleep(0.1)
            elapsed = time.monotonic() - started
            background.cancel()
            watching.cancel()
            await asyncio.gather(background, watching, return_exceptions=True)
    finally:
        stack.stop()
        await receiver.stop()
    webhook_ms = [(webhook_at[i] - t) * 1000 for i, t in sent.items() if i in webhook_at]
    live_ms = [(live_at[i] - t) * 1000 for i, t in sent.items() if i in live_at]
    lost = sum(1 for i in sent if i not in webhook_at) + sum(1 for i in sent if i not in live_at)
    mix = sum(len(v) for v in run.latencies.values())
    print(f"kaohe events: {len(sent)} approvals in {elapsed:.1f} s beside the load mix ({mix} requests, "
          f"concurrency {args.concurrency}, {sum(run.errors.values())} errors); {len(receiver.ids)} webhooks "
          f"received in all, {receiver.bad_signatures} with a bad signature")
    approval_ms = [(answered[i] - t) * 1000 for i, t in sent.items() if i in answered]
    after_webhook = [(webhook_at[i] - answered[i]) * 1000 for i in answered if i in webhook_at]
    after_live = [(live_at[i] - answered[i]) * 1000 for i in answered if i in live_at]
    for name, values in (("webhook", webhook_ms), ("subscription", live_ms), ("approval call", approval_ms),
                         ("webhook after the answer", after_webhook), ("subscription after", after_live)):
        print(f"  {name:25} n={len(values):4d}  p50={percentile(values, .5):7.1f} ms  "
              f"p95={percentile(values, .95):7.1f} ms  max={max(values, default=0):7.1f} ms")
    print(f"events: webhook_p95_ms={percentile(webhook_ms, .95):.0f} subscription_p95_ms="
          f"{percentile(live_ms, .95):.0f} lost={lost} duplicates_seen={receiver.duplicates}")
    return 0 if lost == 0 and receiver.bad_signatures == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200, help="approvals measured (default 200)")
    parser.add_argument("--concurrency", type=int, default=4, help="clients of the load mix (default 4)")
    parser.add_argument("--subjects", type=int, default=30, help="units enrolled in the period (default 30)")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
