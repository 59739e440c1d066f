"""After the 公示 the period's staleness follows the current difference from what was published, recorded each
time the set of differing subjects changes; every result version says what made it.

Hand-worked on QUARTERLY (ranked by total within the group; 优秀 ≥ 90 with at most floor(34% × 3) = 1 in 甲组,
良好 ≥ 80, else 一般; 通报表扬 to each group's first; 季度奖金 优秀 1000, 良好 500). Published (publication 1,
Monday 2026-11-23):

    甲组  u1 95.13 rank 1 优秀 通报表扬 1000 | u2 92.50 rank 2 良好 (quota) 500 | u3 81.00 rank 3 良好 500
    乙组  u4 70.01 rank 1 一般 通报表扬 0

1. u3's scores rise to 58 + 38 = 96: u3 96.00 rank 1 优秀 通报表扬 1000, u1 rank 2 良好 (quota) 500 without its
   label, u2 rank 3: three published rows differ though one score moved.
2. u4's service score rises 30 → 39: 79.005 → 79.01: four differ.
3. u4's work score moves again (40.005 → 40.5: 79.50): still those four; nothing new to record.
4. u3 goes back to 50 + 31 = 81: 甲组 is as published again; only u4 differs.
5. u4 goes back: nothing differs; the period is current again.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import auth
from tests.ranking.conftest import QUARTERLY, FakeScoring, first_scores, subject, system_headers
from tests.ranking.test_publication import _outbox

OFFICE = auth(("admin", "city"), subject="office")
AUDITOR = auth(("auditor", ""))
DAY = "the results changed after the 公示 of 2026-11-23 10:00 (UTC+08:00) (publication 1)"


async def _deliver(ranking: httpx.AsyncClient, scoring: FakeScoring, score_set: int, causes: str) -> str:
    """scoring's scores.changed for p1 (as scoring sends it, with its score set and causes); the event's id."""
    event = str(uuid.uuid4())
    payload = {"period_id": "p1", "scheme_id": QUARTERLY["id"], "scheme_version": 1, "label": "2026-Q1",
               "owner_path": "city", "inputs_sha256": "x", "score_set": score_set, "causes": causes}
    response = await ranking.post("/events", json={"id": event, "source": "scoring", "topic": "scores.changed",
                                                   "payload": payload}, headers=system_headers())
    assert (response.status_code, response.json()["applied"]) == (200, True), response.text
    return event


async def _period(ranking: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()
    return body


async def _stale_records(ranking: httpx.AsyncClient) -> list[dict[str, Any]]:
    trail = (await ranking.get("/v1/audit", params={"entity_id": "p1"}, headers=AUDITOR)).json()
    return [r["details"] for r in trail if r["action"] in ("publication.stale", "publication.current")]


async def _notices(ranking: httpx.AsyncClient) -> list[dict[str, Any]]:
    return [e.payload["extra"] for e in await _outbox(ranking)
            if e.topic == "notify" and e.payload["type"] == "results.changed_after_publication"]


async def _refusal(ranking: httpx.AsyncClient) -> str:
    """What 审定 answers (refused: 409)."""
    refused = await ranking.post("/v1/periods/p1/finalize", headers=OFFICE)
    assert refused.status_code == 409
    return str(refused.json()["error"]["message"])


def refused(counts: str) -> str:
    return f"the results of period p1 changed after they were published (公示): {DAY}: {counts}; publish them again " \
        "before 审定"


async def _table(ranking: httpx.AsyncClient) -> list[tuple[Any, ...]]:
    """The current ranking table: subject, version, total, rank, grade, labels, rewards."""
    items = (await ranking.get("/v1/periods/p1/ranking", headers=AUDITOR)).json()["items"]
    return [(r["subject_id"], r["version"], r["total"], r["rank"], r["grade"], r["labels"], r["rewards"])
            for r in items]


async def test_staleness_follows_the_current_difference_and_is_recorded_whenever_it_changes(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores(), owner_path="city")
    first = await _deliver(ranking, scoring, 1, "user:office")
    assert (await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)).status_code \
        == 200
    assert await _table(ranking) == [
        ("u1", 1, "95.13", 1, "优秀", ["通报表扬"], {"季度奖金": "1000.00"}),
        ("u2", 1, "92.50", 2, "良好", [], {"季度奖金": "500.00"}),
        ("u3", 1, "81.00", 3, "良好", [], {"季度奖金": "500.00"}),
        ("u4", 1, "70.01", 1, "一般", ["通报表扬"], {"季度奖金": "0.00"})]

    # 1. one score moves, three published rows differ
    scoring.scores["p1"][2] = subject("u3", "58", "38")
    e1 = await _deliver(ranking, scoring, 2, "event:appeal-u3")
    assert await _table(ranking) == [
        ("u3", 2, "96.00", 1, "优秀", ["通报表扬"], {"季度奖金": "1000.00"}),
        ("u1", 2, "95.13", 2, "良好", [], {"季度奖金": "500.00"}),
        ("u2", 2, "92.50", 3, "良好", [], {"季度奖金": "500.00"}),
        ("u4", 1, "70.01", 1, "一般", ["通报表扬"], {"季度奖金": "0.00"})]
    period = await _period(ranking)
    since = period["stale_since"]
    assert (period["stale"], period["stale_reason"]) == (True, f"{DAY}: 3 changed, 0 added, 0 removed")
    chinese = (await ranking.get("/v1/periods/p1", headers={**AUDITOR, "Accept-Language": "zh-CN"})).json()
    assert chinese["stale_reason"] == ("2026年11月23日 10:00（北京时间） 公示（第 1 次）后结果有变化："
                                       "变动 3 个，新增 0 个，移除 0 个")
    assert await _refusal(ranking) == refused("3 changed, 0 added, 0 removed")
    stale_1 = {"reason": f"{DAY}: 3 changed, 0 added, 0 removed", "publication": 1,
               "changed": ["u1", "u2", "u3"], "added": [], "removed": [],
               "cause": {"event": e1, "score_set": 2, "causes": "event:appeal-u3", "scores_moved": ["u3"]}}
    assert await _stale_records(ranking) == [stale_1]
    notice_1 = {"status": "published", "publication": 1, "changed": 3, "added": 0, "removed": 0}
    assert await _notices(ranking) == [notice_1]
    # the version made by ranking again carries its cause: u3's score moved, u1 was only ranked again
    history = (await ranking.get("/v1/periods/p1/results/u1/history", headers=AUDITOR)).json()
    assert [(h["version"], h["rank"], h["cause"]) for h in history] == [
        (1, 1, {"event": first, "score_set": 1, "causes": "user:office", "scores_moved": ["u1", "u2", "u3", "u4"],
                "own_scores_moved": True}),
        (2, 2, {"event": e1, "score_set": 2, "causes": "event:appeal-u3", "scores_moved": ["u3"],
                "own_scores_moved": False})]
    u3 = (await ranking.get("/v1/periods/p1/results/u3/history", headers=AUDITOR)).json()
    assert u3[-1]["cause"] == {"event": e1, "score_set": 2, "causes": "event:appeal-u3", "scores_moved": ["u3"],
                               "own_scores_moved": True}

    # 2. a second score moves: four differ, recorded again; stale since the first difference
    scoring.scores["p1"][3] = subject("u4", "40.005", "39")
    e2 = await _deliver(ranking, scoring, 3, "event:fact-u4")
    period = await _period(ranking)
    assert (period["stale"], period["stale_reason"], period["stale_since"]) == (
        True, f"{DAY}: 4 changed, 0 added, 0 removed", since)
    assert await _refusal(ranking) == refused("4 changed, 0 added, 0 removed")
    stale_2 = {"reason": f"{DAY}: 4 changed, 0 added, 0 removed", "publication": 1,
               "changed": ["u1", "u2", "u3", "u4"], "added": [], "removed": [],
               "cause": {"event": e2, "score_set": 3, "causes": "event:fact-u4", "scores_moved": ["u4"]}}
    assert await _stale_records(ranking) == [stale_1, stale_2]
    notice_2 = {**notice_1, "changed": 4}
    assert await _notices(ranking) == [notice_1, notice_2]

    # 3. u4 moves again: the same four differ; its new version is audited, the publication's record stands
    scoring.scores["p1"][3] = subject("u4", "40.5", "39")
    await _deliver(ranking, scoring, 4, "event:fact-u4-again")
    u4 = (await ranking.get("/v1/periods/p1/results/u4", headers=AUDITOR)).json()
    assert (u4["version"], u4["total"]) == (3, "79.50")
    assert (await _period(ranking))["stale_reason"] == f"{DAY}: 4 changed, 0 added, 0 removed"
    assert await _stale_records(ranking) == [stale_1, stale_2]
    assert await _notices(ranking) == [notice_1, notice_2]

    # 4. u3 back to its published score: 甲组 is as published again (u1, u2, u3 in version 3); only u4 differs
    scoring.scores["p1"][2] = subject("u3", "50", "31")
    e4 = await _deliver(ranking, scoring, 5, "event:appeal-u3-revoked")
    assert await _table(ranking) == [
        ("u1", 3, "95.13", 1, "优秀", ["通报表扬"], {"季度奖金": "1000.00"}),
        ("u2", 3, "92.50", 2, "良好", [], {"季度奖金": "500.00"}),
        ("u3", 3, "81.00", 3, "良好", [], {"季度奖金": "500.00"}),
        ("u4", 3, "79.50", 1, "一般", ["通报表扬"], {"季度奖金": "0.00"})]
    assert (await _period(ranking))["stale_reason"] == f"{DAY}: 1 changed, 0 added, 0 removed"
    assert await _refusal(ranking) == refused("1 changed, 0 added, 0 removed")
    stale_4 = {"reason": f"{DAY}: 1 changed, 0 added, 0 removed", "publication": 1,
               "changed": ["u4"], "added": [], "removed": [],
               "cause": {"event": e4, "score_set": 5, "causes": "event:appeal-u3-revoked", "scores_moved": ["u3"]}}
    assert await _stale_records(ranking) == [stale_1, stale_2, stale_4]
    assert await _notices(ranking) == [notice_1, notice_2, {**notice_1, "changed": 1}]

    # 5. u4 back too: nothing differs, the period is current again
    scoring.scores["p1"][3] = subject("u4", "40.005", "30")
    e5 = await _deliver(ranking, scoring, 6, "event:fact-u4-revoked")
    period = await _period(ranking)
    assert (period["stale"], period["stale_reason"], period["stale_since"]) == (False, None, None)
    assert await _stale_records(ranking) == [stale_1, stale_2, stale_4, {
        "publication": 1, "cause": {"event": e5, "score_set": 6, "causes": "event:fact-u4-revoked",
                                    "scores_moved": ["u4"]}}]
    assert len(await _notices(ranking)) == 3
