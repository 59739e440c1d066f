"""Look-back windows through the scoring service (001 篇5 "3年内", scheme-reference §3.5): a leaf with
`lookback: {periods: 3}` reads its facts of this year and of the same scheme's two years before, under the
same owner; nothing else of other periods. Real Postgres, facts arriving as evidence's events."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.scoring.conftest import admin, fact_event, make_org, ok, service_headers, verify

LOOKBACK = """
id: lookback
version: 1
title: 回溯考核
subject_kind: person
period: year
groups: [A]
indicators:
  - code: exam
    name: 3年内提任前经法律知识考核的领导干部比例
    max: 100
    lookback: {periods: 3}
    rule: {kind: ratio, target: 1}
  - code: work
    name: 工作
    max: 100
    rule: {kind: manual}
"""

D = Decimal
ENROLLED = [{"id": "p1", "group": "A"}, {"id": "p2", "group": "A"}]


def _exam(fact_id: str, subject: str, numerator: int, denominator: int) -> dict[str, Any]:
    return {"id": fact_id, "subject": subject, "indicator": "exam", "fact": "measure", "numerator": numerator,
            "denominator": denominator}


def _work(fact_id: str, subject: str, points: str) -> dict[str, Any]:
    return {"id": fact_id, "subject": subject, "indicator": "work", "fact": "score", "points": points}


async def _period(client: httpx.AsyncClient, period_id: str, label: str, facts: list[dict[str, Any]], *,
                  owner: str = "city", scheme: str = "lookback") -> None:
    await ok(await client.post("/v1/periods", json={
        "id": period_id, "scheme_id": scheme, "scheme_version": 1, "label": label, "owner_path": owner,
        "subjects": ENROLLED}, headers=admin()), 201)
    for fact in facts:
        await ok(await client.post("/events", json=fact_event("upsert", fact, period_id), headers=service_headers()))


async def _scores(client: httpx.AsyncClient, period_id: str) -> dict[str, tuple[Decimal, ...]]:
    """Each subject's exam, work and total as numbers (the service gives full-precision decimal texts)."""
    await ok(await client.post(f"/v1/periods/{period_id}/recompute", headers=admin()))
    body = await ok(await client.get(f"/v1/periods/{period_id}/scores", headers=service_headers()))
    return {s["id"]: tuple(Decimal(v) for v in (s["scores"]["exam"], s["scores"]["work"], s["total"]))
            for s in body["subjects"]}


@pytest.fixture
async def years(api: Any) -> httpx.AsyncClient:
    client: httpx.AsyncClient = await api("scoring")
    await make_org(client)
    draft = await ok(await client.post("/v1/schemes", json={"text": LOOKBACK, "owner_path": "city"},
                                       headers=admin()), 201)
    await ok(await client.post(f"/v1/schemes/lookback/versions/{draft['version']}/publish",
                               json={"revision": draft["revision"]}, headers=admin()))
    await _period(client, "y2011", "2011", [_exam("e2011", "p1", 0, 5)])  # before the window
    await _period(client, "y2012", "2012", [_exam("e2012", "p1", 0, 1)])
    await _period(client, "y2013", "2013", [_exam("e2013", "p1", 1, 2), _exam("e2013b", "p2", 1, 1),
                                            _work("w2013", "p1", "50")])  # work does not look back
    await _period(client, "y2013a", "2013", [_exam("e2013a", "p1", 0, 10)], owner="city/a")  # another owner
    await _period(client, "y2014", "2014", [_exam("e2014", "p1", 2, 2), _work("w2014", "p1", "80"),
                                            _work("w2014b", "p2", "70")])
    return client


async def test_a_look_back_leaf_reads_the_same_schemes_earlier_periods_of_its_window(years: httpx.AsyncClient) -> None:
    # p1 exam: 2014 2/2 + 2013 1/2 + 2012 0/1 = 3/5 = 0.6 of target 1 → 100 × 0.6 = 60 (2011's 0/5 is outside
    #   the window; city/a's 2013 period is another owner's); work 80 (2013's 50 is not read): total 140.
    # p2 exam: nothing in 2014, 2013 1/1 → 100; work 70: total 170.
    assert await _scores(years, "y2014") == {"p1": (D("60"), D("80"), D("140")), "p2": (D("100"), D("70"), D("170"))}
    # 2013 looks back to 2012 and 2011: p1 1/2 + 0/1 + 0/5 = 1/8 → 12.5; work 50. p2 1/1 → 100, no work.
    assert await _scores(years, "y2013") == {"p1": (D("12.5"), D("50"), D("62.5")), "p2": (D("100"), D("0"), D("100"))}
    verified = await verify(years, "y2014")
    assert verified["mismatches"] == [], verified  # verification reads the same earlier facts


async def test_new_facts_of_this_and_earlier_periods_reach_a_look_back_period(years: httpx.AsyncClient) -> None:
    assert (await _scores(years, "y2014"))["p1"] == (D("60"), D("80"), D("140"))
    # a second 2014 fact 1/3: (2 + 1 + 1 + 0) / (2 + 3 + 2 + 1) = 4/8 → 50
    await ok(await years.post("/events", json=fact_event("upsert", _exam("e2014c", "p1", 1, 3), "y2014"),
                              headers=service_headers()))
    assert (await _scores(years, "y2014"))["p1"] == (D("50"), D("80"), D("130"))
    # 2012's fact corrected to 1/1: (2 + 1 + 1 + 1) / 8 = 5/8 → 62.5
    # every period computed, earliest first (a first computation is a change too: it makes the later ones due)
    for period_id in ("y2011", "y2012", "y2013", "y2013a", "y2014"):
        await ok(await years.post(f"/v1/periods/{period_id}/recompute", headers=admin()))
    assert await _pending(years) == dict.fromkeys(("y2011", "y2012", "y2013", "y2013a", "y2014"), False)
    await ok(await years.post("/events", json=fact_event("upsert", _exam("e2012", "p1", 1, 1), "y2012", revision=1),
                              headers=service_headers()))
    await ok(await years.post("/v1/periods/y2012/recompute", headers=admin()))  # as the recompute loop does
    # 2012's inputs changed, so the periods whose window holds 2012 are due: 2013 (2012, 2011) and 2014 (2013,
    # 2012); not 2011 (before it) nor city/a's 2013 (another owner)
    assert await _pending(years) == {"y2011": False, "y2012": False, "y2013": True, "y2013a": False, "y2014": True}
    assert (await _scores(years, "y2014"))["p1"] == (D("62.5"), D("80"), D("142.5"))


async def _pending(client: httpx.AsyncClient) -> dict[str, bool]:
    return {p: (await ok(await client.get(f"/v1/periods/{p}", headers=admin())))["recompute_pending"]
            for p in ("y2011", "y2012", "y2013", "y2013a", "y2014")}
