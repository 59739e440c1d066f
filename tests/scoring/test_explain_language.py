"""Score explanations and stored problems in the reader's language (issue 22): the engine's English is what is
stored and hashed; scoring's reads render it per `Accept-Language` (services/common/explanations.py). Worked by
hand from tests/scoring's TINY scheme and facts (p1: work 50, 2 lates, rank 1 of 2; p2: work 40, rank 2), plus a
fact whose points are no number, and the translations in kaohe/locale."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from services.scoring.scores.models import ScoreVersion
from tests.scoring.conftest import admin, app_db, fact_event, ok, service_headers

ENGLISH = {
    "p1": {"work": "manual mean [f1]: (50) / 1 = 50", "attend": "deduction [f3]: 10 − late 2 × 1 = 8",
           "rankp": "rank_points by work 50: rank 1 of 2 → 30", "total": "total: work 50 + attend 8 + rankp 30 = 88"},
    "p2": {"work": "manual mean [f2]: (40) / 1 = 40", "attend": "deduction []: 10 − 0 = 10",
           "rankp": "rank_points by work 40: rank 2 of 2 → 20", "total": "total: work 40 + attend 10 + rankp 20 = 70"},
}
CHINESE = {
    "p1": {"work": "人工评分（平均）[f1]：(50) / 1 = 50", "attend": "扣分 [f3]：10 − late 2 × 1 = 8",
           "rankp": "按 work 50 排名计分：2 个中排第 1 → 30", "total": "总分：work 50 + attend 8 + rankp 30 = 88"},
    "p2": {"work": "人工评分（平均）[f2]：(40) / 1 = 40", "attend": "扣分 []：10 − 0 = 10",
           "rankp": "按 work 40 排名计分：2 个中排第 2 → 20", "total": "总分：work 40 + attend 10 + rankp 20 = 70"},
}
BAD = {"id": "f9", "subject": "p2", "indicator": "work", "fact": "score", "points": "abc"}


async def _read(client: httpx.AsyncClient, path: str, language: str) -> Any:
    return await ok(await client.get(path, headers={**admin(), "Accept-Language": language}))


async def test_scores_explanations_and_problems_follow_the_readers_language(period: httpx.AsyncClient) -> None:
    await ok(await period.post("/events", json=fact_event("upsert", BAD), headers=service_headers()))
    await ok(await period.post("/v1/periods/q1/recompute", headers=admin()))
    bodies = {language: await _read(period, "/v1/periods/q1/scores", language) for language in ("zh-CN", "en")}
    assert {s["id"]: s["explain"] for s in bodies["en"]["subjects"]} == ENGLISH
    assert {s["id"]: s["explain"] for s in bodies["zh-CN"]["subjects"]} == CHINESE
    assert bodies["en"]["problems"] == [{"fact": "f9", "message": "score fact needs numeric points, got 'abc'"}]
    assert bodies["zh-CN"]["problems"] == [{"fact": "f9", "message": "评分事实的分值 points 须为数字，现为 'abc'"}]
    # only the words change: values, hashes and the score set are the same in both
    for key in ("inputs_sha256", "score_set", "period_key"):
        assert bodies["zh-CN"][key] == bodies["en"][key]
    assert [s["scores"] for s in bodies["zh-CN"]["subjects"]] == [s["scores"] for s in bodies["en"]["subjects"]]
    # what is stored is the English, whoever asked last
    async with app_db().sessionmaker() as session:
        stored = (await session.scalars(select(ScoreVersion.explain).where(
            ScoreVersion.subject_id == "p1", ScoreVersion.indicator == "attend"))).all()
    assert stored == ["deduction [f3]: 10 − late 2 × 1 = 8"]


async def test_a_score_history_follows_the_readers_language(period: httpx.AsyncClient) -> None:
    await ok(await period.post("/v1/periods/q1/recompute", headers=admin()))
    path = "/v1/periods/q1/subjects/p1/history?indicator=attend"
    chinese, english = await _read(period, path, "zh-CN,zh;q=0.9"), await _read(period, path, "en")
    assert [h["explain"] for h in chinese] == ["扣分 [f3]：10 − late 2 × 1 = 8"]
    assert [h["explain"] for h in english] == ["deduction [f3]: 10 − late 2 × 1 = 8"]


async def test_a_manual_score_above_the_max_says_it_was_held(period: httpx.AsyncClient) -> None:
    """f1 corrected to 75 points on work (max 60): the score is 60 (§3.4, clamped) and the explanation says the 75
    was held to the max, in both languages; rank_points still ranks p1 first (60 against 40): 60 + 8 + 30 = 98."""
    corrected = {"id": "f1", "subject": "p1", "indicator": "work", "fact": "score", "points": "75"}
    await ok(await period.post("/events", json=fact_event("upsert", corrected, revision=2), headers=service_headers()))
    await ok(await period.post("/v1/periods/q1/recompute", headers=admin()))
    bodies = {language: await _read(period, "/v1/periods/q1/scores", language) for language in ("zh-CN", "en")}
    (english,) = [s for s in bodies["en"]["subjects"] if s["id"] == "p1"]
    (chinese,) = [s for s in bodies["zh-CN"]["subjects"] if s["id"] == "p1"]
    assert english["explain"]["work"] == "manual mean [f1]: (75) / 1 = 75, held to max 60"
    assert chinese["explain"]["work"] == "人工评分（平均）[f1]：(75) / 1 = 75，超过上限，按上限 60 计"
    assert english["explain"]["total"] == "total: work 60 + attend 8 + rankp 30 = 98"
