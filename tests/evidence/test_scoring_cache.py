"""Evidence's cache of what scoring says about periods and subjects stays bounded: entries past their TTL are
dropped, and at most `max_entries` are kept (it used to keep every period and subject ever read)."""

from __future__ import annotations

from typing import Any

import httpx

from services.evidence.scoring_client import ScoringClient


def _scoring(asked: list[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        period = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, json={"id": period, "scheme_id": "s", "status": "collecting", "indicators": []})

    return httpx.MockTransport(handler)


async def test_at_most_max_entries_are_kept_and_the_newest_stay() -> None:
    asked: list[str] = []
    client = ScoringClient("http://scoring", transport=_scoring(asked), ttl_seconds=3600, max_entries=3)
    try:
        for period in ("p1", "p2", "p3", "p4", "p5"):
            assert (await client.period(period)).id == period
        assert len(client._cache) == 3
        for period in ("p3", "p4", "p5"):  # the three newest: served from the cache
            await client.period(period)
        assert asked == [f"/v1/periods/p{n}" for n in range(1, 6)]
        await client.period("p1")  # evicted: asked again, and p3 (now the oldest) makes room
        assert asked[-1] == "/v1/periods/p1"
        assert sorted(key for _, key in client._cache) == ["p1", "p4", "p5"]
    finally:
        await client.close()


async def test_expired_entries_are_dropped_when_another_is_stored(monkeypatch: Any) -> None:
    import services.evidence.scoring_client as module

    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    asked: list[str] = []
    client = ScoringClient("http://scoring", transport=_scoring(asked), ttl_seconds=30, max_entries=100)
    try:
        await client.period("p1")
        await client.period("p2")
        now[0] += 31  # both past the 30 s TTL
        await client.period("p3")
        assert [key for _, key in client._cache] == ["p3"]
        await client.period("p3")
        assert asked == ["/v1/periods/p1", "/v1/periods/p2", "/v1/periods/p3"]
    finally:
        await client.close()
