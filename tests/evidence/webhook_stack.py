"""Helpers the webhook and sweep-event tests share (their `stack` fixture is in conftest.py): loopback receivers
allowed, a fast dispatcher, subscribing, waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from services.common.db import Database
from services.evidence.webhooks.dispatcher import Dispatcher, Timing
from services.evidence.webhooks.ssrf import UrlPolicy, parse_networks
from tests.conftest import auth
from tests.evidence.conftest import Stack

OFFICE = auth(("admin", "city"), subject="office")
LOOPBACK = UrlPolicy(networks=parse_networks("127.0.0.0/8"))
# The lease outlasts a send (0.5 s) and its record on a loaded machine: a lease that ran out mid-attempt would
# send the delivery again beside it (the lease test sets its own).
FAST = Timing(timeout=0.5, base=0.05, cap=0.2, idle=0.05, lease_seconds=10.0)


async def subscribe(stack: Stack, url: str, *, scope: str = "city", types: list[str] | None = None,
                    headers: dict[str, str] = OFFICE) -> dict[str, Any]:
    response = await stack.client.post("/v1/webhooks", json={"name": "portal", "url": url, "scope_path": scope,
                                                             "event_types": types or []}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def dispatcher(db: Database, timing: Timing = FAST, **kwargs: Any) -> Dispatcher:
    return Dispatcher(db, policy=LOOPBACK, timing=timing, **kwargs)
