"""Results from scores.changed: applied once, hand-computed ranks and grades, history only on change."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import auth, token_for
from tests.ranking.conftest import (
    QUARTERLY,
    FakeScoring,
    deliver,
    first_scores,
    scores_changed,
    subject,
    system_headers,
)

AUDITOR = auth(("auditor", ""))


def brief(item: dict[str, Any]) -> tuple[Any, ...]:
    return (item["subject_id"], item["total"], item["rank"], item["band_grade"], item["grade"],
            item["grade_reason"], item["labels"], item["rewards"])


async def test_event_delivered_twice_is_applied_once(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    event_id = uuid.uuid4()
    first = await deliver(ranking, "p1", scoring, event_id)
    again = await deliver(ranking, "p1", scoring, event_id)
    assert first == {"applied": True, "changed": 4, "unchanged": 0, "removed": 0, "frozen": False}
    assert again == {"applied": False, "reason": "already applied"}
    assert scoring.calls.count("/v1/periods/p1/scores") == 1
    history = await ranking.get("/v1/periods/p1/results/u1/history", headers=AUDITOR)
    assert [item["version"] for item in history.json()] == [1]


async def test_results_match_hand_computed_ranks_grades_labels_rewards(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    await deliver(ranking, "p1", scoring)
    table = (await ranking.get("/v1/periods/p1/ranking", headers=AUDITOR)).json()
    # 甲组: 95.125, 92.5, 81 → ranks 1-3; 优秀 quota floor(34% × 3) = 1 so u2 drops to 良好 (quota).
    # 乙组: u4 70.005 alone → rank 1, 一般. 通报表扬 is top 1 of each scope; 季度奖金 by grade.
    assert table["total_count"] == 4
    assert [brief(item) for item in table["items"]] == [
        ("u1", "95.13", 1, "优秀", "优秀", None, ["通报表扬"], {"季度奖金": "1000.00"}),
        ("u2", "92.50", 2, "优秀", "良好", "quota", [], {"季度奖金": "500.00"}),
        ("u3", "81.00", 3, "良好", "良好", None, [], {"季度奖金": "500.00"}),
        ("u4", "70.01", 1, "一般", "一般", None, ["通报表扬"], {"季度奖金": "0.00"}),
    ]
    assert table["items"][0]["scores"] == {"work": "57.13", "service": "38.00"}
    period = (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()
    assert (period["status"], period["scope_path"], period["label"]) == ("computed", "city", "2026-Q1")
    group = (await ranking.get("/v1/periods/p1/ranking", params={"group": "乙组"}, headers=AUDITOR)).json()
    assert [item["subject_id"] for item in group["items"]] == ["u4"]
    paged = (await ranking.get("/v1/periods/p1/ranking", params={"offset": 1, "limit": 2}, headers=AUDITOR)).json()
    assert (paged["total_count"], [i["subject_id"] for i in paged["items"]]) == (4, ["u2", "u3"])


async def test_new_result_version_only_when_the_result_changed(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    await deliver(ranking, "p1", scoring)
    # u3 climbs to 93 and overtakes u2: u2's rank changes too; u1 (still first) and u4 do not change.
    scoring.scores["p1"][2] = subject("u3", "55", "38")
    outcome = await deliver(ranking, "p1", scoring)
    assert outcome == {"applied": True, "changed": 2, "unchanged": 2, "removed": 0, "frozen": False}
    unchanged = await deliver(ranking, "p1", scoring)
    assert (unchanged["changed"], unchanged["unchanged"]) == (0, 4)
    history = (await ranking.get("/v1/periods/p1/results/u2/history", headers=AUDITOR)).json()
    assert [(h["version"], h["rank"], h["grade"]) for h in history] == [(1, 2, "良好"), (2, 3, "良好")]
    u1 = (await ranking.get("/v1/periods/p1/results/u1/history", headers=AUDITOR)).json()
    assert [h["version"] for h in u1] == [1]
    current = (await ranking.get("/v1/periods/p1/results/u3", headers=AUDITOR)).json()
    assert (current["version"], current["rank"], current["total"]) == (2, 2, "93.00")
    # A subject scoring no longer lists leaves the table; its history stays.
    del scoring.scores["p1"][3]
    removed = await deliver(ranking, "p1", scoring)
    assert removed["removed"] == 1
    table = (await ranking.get("/v1/periods/p1/ranking", headers=AUDITOR)).json()
    assert [i["subject_id"] for i in table["items"]] == ["u1", "u3", "u2"]


async def test_scope_checks_on_table_single_and_batch_reads(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    await deliver(ranking, "p1", scoring)
    district = auth(("admin", "city/d1"))
    table = (await ranking.get("/v1/periods/p1/ranking", headers=district)).json()
    assert [i["subject_id"] for i in table["items"]] == ["u1", "u2"]
    # outside the caller's scope: answered as a subject that does not exist (nothing confirms it is there)
    assert (await ranking.get("/v1/periods/p1/results/u3", headers=district)).status_code == 404
    batch = await ranking.get("/v1/periods/p1/results", params={"subject_ids": "u1,u3,u4,nobody"}, headers=district)
    assert [i["subject_id"] for i in batch.json()] == ["u1"]
    own = {"Authorization": f"Bearer {token_for(('subject', 'city/d2/u4'), subject='u4-account')}"}
    own_table = (await ranking.get("/v1/periods/p1/ranking", headers=own)).json()
    assert own_table["items"] == []  # nothing before 公示 (tests/ranking/test_visibility.py)
    person = {"Authorization": f"Bearer {token_for(subject='zhang', subject_ids=('u2',))}"}
    assert (await ranking.get("/v1/periods/p1/results/u2", headers=person)).status_code == 403
    assert (await ranking.get("/v1/periods/p1/results/u1", headers=person)).status_code == 404  # not theirs
    hist = await ranking.get("/v1/periods/p1/results/u1/history", headers=person)
    assert hist.status_code == 404
    # A like-named sibling subtree is not inside the scope (city/d1 does not cover city/d10).
    sibling = auth(("admin", "city/d"))
    assert (await ranking.get("/v1/periods/p1/ranking", headers=sibling)).json()["total_count"] == 0
    assert (await ranking.get("/v1/periods/p1/ranking")).status_code == 401


async def test_events_only_from_services_and_batch_cap(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    event = {"id": str(uuid.uuid4()), "source": "scoring", "topic": "scores.changed",
             "payload": {"period_id": "p1", "scheme_id": QUARTERLY["id"], "scheme_version": 1, "label": "2026-Q1"}}
    refused = await ranking.post("/events", json=event, headers=auth(("admin", "")))
    assert refused.status_code == 403
    bad = {**event, "payload": {"scheme_id": "x"}}
    assert (await ranking.post("/events", json=bad, headers=system_headers())).status_code == 422
    other = {**event, "topic": "fact.changed"}
    assert (await ranking.post("/events", json=other, headers=system_headers())).json()["applied"] is False
    ids = ",".join(f"s{i}" for i in range(201))
    capped = await ranking.get("/v1/periods/p1/results", params={"subject_ids": ids}, headers=AUDITOR)
    assert capped.status_code == 422
    assert capped.json()["error"]["details"] == {"field": "subject_ids"}
    too_long = await ranking.get("/v1/periods/p1/results", params={"subject_ids": "u1," + "x" * 101}, headers=AUDITOR)
    assert too_long.status_code == 422  # no subject id is longer than 100 characters


async def test_office_recompute_needs_admin_over_the_whole_period(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    district = auth(("admin", "city/d1"))
    assert (await ranking.post("/v1/periods/p1/recompute", headers=district)).status_code == 403
    assert (await ranking.get("/v1/periods/p1", headers=AUDITOR)).status_code == 404  # rolled back
    done = await ranking.post("/v1/periods/p1/recompute", headers=auth(("admin", "city")))
    assert done.json() == {"period_id": "p1", "changed": 4, "unchanged": 0, "removed": 0, "frozen": False}


async def test_scoring_owner_path_is_the_office_scope(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores()[:2], owner_path="city/d1")
    done = await ranking.post("/v1/periods/p1/recompute", headers=auth(("admin", "city/d1")))
    assert done.json()["changed"] == 2
    assert (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()["scope_path"] == "city/d1"


async def test_scoring_down_fails_the_event_so_it_is_redelivered(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    event = scores_changed("p1", scoring)
    real = scoring.scores.pop("p1")
    failed = await ranking.post("/events", json=event, headers=system_headers())
    assert (failed.status_code, failed.json()["error"]["code"]) == (503, "unavailable")
    scoring.scores["p1"] = real
    retried = await ranking.post("/events", json=event, headers=system_headers())
    assert retried.json()["applied"] is True  # the failed attempt left no inbox record behind


async def test_period_problems_only_for_office_and_auditors_and_ids_are_bounded(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    scoring.problems["p1"] = [{"subject": "u1", "fact": "f9", "message": "缺少佐证材料"}]
    await deliver(ranking, "p1", scoring)
    seen = (await ranking.get("/v1/periods/p1", headers=AUDITOR)).json()["problems"]
    assert seen == [{"subject": "u1", "fact": "f9", "message": "缺少佐证材料"}]
    hidden = await ranking.get("/v1/periods/p1", headers=auth(("assessor", "city/d1")))
    assert (hidden.status_code, hidden.json()["problems"]) == (200, [])
    too_long = await ranking.get(f"/v1/periods/{'p' * 101}/ranking", headers=AUDITOR)
    assert too_long.status_code == 422
