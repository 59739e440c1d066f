"""Ranking's period endpoints against the period's owner, over ranking's REST with the tokens the gateway sends:
an office act off the caller's branch is refused (403) and changes nothing; a read of a period off the branch is
answered exactly as a period ranking does not know (404, the same message but for the id), except what the 公示
makes public to the whole organisation once published (the period's state, the publication list).

Period p1 is owned by city/d1 (scoring's `owner_path`) with u1 (95.125) and u2 (92.5) of city/d1/*; the caller
off the branch holds admin and auditor on city/d2 (the other district); p-zz is a period of nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import auth
from tests.ranking.conftest import QUARTERLY, Clock, FakeScoring, deliver, first_scores

OFFICE = auth(("admin", "city/d1"), subject="office-d1")
OUTSIDE = auth(("admin", "city/d2"), ("auditor", "city/d2"), subject="office-d2")
AUDITOR = auth(("auditor", ""))
READS = ("", "/snapshots", "/reopenings", "/snapshot-check", "/snapshots/1", "/exports/ranking?format=csv",
         "/exports/publication?format=csv")


async def _computed(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores()[:2], owner_path="city/d1")
    await deliver(ranking, "p1", scoring)


def _answer(response: httpx.Response, period_id: str) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"].replace(period_id, "{id}")


async def _state(ranking: httpx.AsyncClient) -> tuple[Any, Any]:
    period = (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()
    trail = (await ranking.get("/v1/audit", params={"entity_type": "period", "entity_id": "p1"},
                               headers=AUDITOR)).json()
    return ({k: period[k] for k in ("status", "published_at", "finalized_at", "reopen_count", "publication_sequence")},
            [record["action"] for record in trail])


async def test_a_read_off_the_branch_is_answered_as_a_period_of_nothing(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    await _computed(ranking, scoring)
    for path in READS:
        outside = await ranking.get(f"/v1/periods/p1{path}", headers=OUTSIDE)
        unknown = await ranking.get(f"/v1/periods/p-zz{path}", headers=OUTSIDE)
        assert _answer(outside, "p1") == _answer(unknown, "p-zz") == (
            404, "not_found", "period {id} has no results yet"), path
    # on the branch the same reads answer (the office's table holds its two rows)
    table = await ranking.get("/v1/periods/p1/exports/ranking", params={"format": "csv"}, headers=OFFICE)
    assert table.status_code == 200 and table.text.count("\r\n") == 3  # the header and u1, u2
    assert (await ranking.get("/v1/periods/p1", headers=OFFICE)).json()["scope_path"] == "city/d1"


async def test_an_office_act_off_the_branch_is_refused_and_changes_nothing(
    ranking: httpx.AsyncClient, scoring: FakeScoring, clock: Clock
) -> None:
    await _computed(ranking, scoring)
    before = await _state(ranking)
    assert before == ({"status": "computed", "published_at": None, "finalized_at": None, "reopen_count": 0,
                       "publication_sequence": 0}, [])
    acts = [("/recompute", None), ("/publication", {"working_days": 5}), ("/finalize", None),
            ("/reopen", {"reason": "更正"})]
    for path, body in acts:
        refused = await ranking.post(f"/v1/periods/p1{path}", json=body, headers=OUTSIDE)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden"), path
    assert await _state(ranking) == before
    # the office over the owner publishes; then the 公示 is public to the organisation, not the office's acts
    assert (await ranking.post("/v1/periods/p1/publication", json={"working_days": 5},
                               headers=OFFICE)).status_code == 200
    published = await ranking.get("/v1/periods/p1", headers=OUTSIDE)
    assert (published.status_code, published.json()["status"], published.json()["problems"]) == (
        200, "published", [])
    listed = await ranking.get("/v1/periods/p1/exports/publication", params={"format": "csv"}, headers=OUTSIDE)
    assert listed.status_code == 200  # the 公示名单 of the whole organisation (its rows as the caller may see them)
    clock.now = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # the window of 5 working days is over
    for path, body in acts[1:3]:
        refused = await ranking.post(f"/v1/periods/p1{path}", json=body, headers=OUTSIDE)
        assert refused.status_code == 403, path
    assert (await _state(ranking))[1] == ["period.published"]


async def test_a_first_computation_off_the_branch_is_refused_before_anything_is_computed(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    """Ranking has no p2 yet: scoring's owner decides before the scores are read (the office of city/d2 makes
    ranking compute nothing for city/d1)."""
    scoring.add_period("p2", QUARTERLY, "2026-Q2", first_scores()[:2], owner_path="city/d1")
    refused = await ranking.post("/v1/periods/p2/recompute", headers=OUTSIDE)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert scoring.calls == ["/v1/periods/p2"]  # the period (its owner), not its scores or scheme
    assert (await ranking.get("/v1/periods/p2", headers=AUDITOR)).status_code == 404
    done = await ranking.post("/v1/periods/p2/recompute", headers=OFFICE)
    assert (done.status_code, done.json()["changed"]) == (200, 2)
