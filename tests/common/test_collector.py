"""Services move their start-up objects out of the cycle collector's sight once per process."""

from __future__ import annotations

import gc
from typing import Any

from services.common import app as common_app


def test_start_up_objects_are_frozen_once_and_later_objects_are_not() -> None:
    common_app._start_up_frozen = False
    gc.unfreeze()
    try:
        alive = [[n] for n in range(1000)]  # containers alive at start-up
        common_app.freeze_start_up_objects()
        frozen = gc.get_freeze_count()
        assert frozen >= 1000
        later = [[n] for n in range(1000)]
        common_app.freeze_start_up_objects()  # a second app in the same process freezes nothing more
        assert gc.get_freeze_count() == frozen
        seen = {id(o) for o in gc.get_objects()}  # the generations the collector walks
        assert not any(id(x) in seen for x in alive)
        assert all(id(x) in seen for x in later)
    finally:
        gc.unfreeze()
        common_app._start_up_frozen = True


async def test_a_settle_asked_in_a_transaction_runs_after_its_commit_and_freezes_what_is_alive() -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncSession

    from services.common import longlived

    session = AsyncSession()  # no bind: only its `info` is used
    before = longlived.settles
    longlived.after_commit(session)  # nothing asked: nothing scheduled
    await asyncio.sleep(0)
    assert longlived.settles == before
    cache = [[n] for n in range(1000)]  # a long-lived cache built by the transaction
    longlived.settle_after_commit(session)
    longlived.after_commit(session)
    assert longlived.settles == before  # scheduled, not run inside the commit's step
    await asyncio.sleep(0)
    assert longlived.settles == before  # nor right after it: whoever waits for the commit goes first
    await asyncio.sleep(longlived.SETTLE_DELAY_S * 2)
    assert longlived.settles == before + 1
    seen = {id(o) for o in gc.get_objects()}
    assert not any(id(x) in seen for x in cache)  # out of the collector's sight
    later = [[n] for n in range(10)]
    assert all(id(x) in {id(o) for o in gc.get_objects()} for x in later)
    longlived.after_commit(session)  # the request was taken: a second commit settles nothing
    await asyncio.sleep(0)
    assert longlived.settles == before + 1


async def test_in_a_request_the_settle_runs_once_the_response_is_sent() -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncSession

    from services.common import longlived

    before = longlived.settles
    sent: list[tuple[str, int]] = []

    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        session = AsyncSession()
        longlived.settle_after_commit(session)
        longlived.after_commit(session)  # the request's transaction commits
        await asyncio.sleep(0)
        sent.append(("before the response", longlived.settles))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message: Any) -> None:
        sent.append((message["type"], longlived.settles))

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    await longlived.SettleAfterResponse(endpoint)({"type": "http"}, receive, send)
    assert sent == [("before the response", before), ("http.response.start", before),
                    ("http.response.body", before)]
    await asyncio.sleep(longlived.SETTLE_DELAY_S * 2)
    assert longlived.settles == before + 1
