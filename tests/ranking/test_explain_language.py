"""Explanations and problems copied from scoring into the results, in the reader's language (issue 22): ranking
reads scoring's scores in English whatever the language of the request that ranks (what it stores and hashes is
the engine's English), and renders them per `Accept-Language` when read (services/common/explanations.py)."""

from __future__ import annotations

import httpx

from tests.conftest import auth
from tests.ranking.conftest import QUARTERLY, FakeScoring, first_scores, scores_changed, system_headers

AUDITOR = auth(("auditor", ""))
EXPLAIN = {"work": "manual mean [f1,f2]: (57 + 57.25) / 2 = 57.125", "service": "manual mean [f3]: (38) / 1 = 38",
           "total": "total: work 57.125 + service 38 = 95.125"}
CHINESE = {"work": "人工评分（平均）[f1,f2]：(57 + 57.25) / 2 = 57.125",
           "service": "人工评分（平均）[f3]：(38) / 1 = 38", "total": "总分：work 57.125 + service 38 = 95.125"}
PROBLEM = {"subject": "u1", "fact": "f9", "message": "score fact needs numeric points, got 'abc'"}


async def test_results_and_problems_are_stored_in_english_and_read_in_either(
        ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    subjects = first_scores()
    subjects[0]["explain"] = EXPLAIN
    scoring.add_period("p1", QUARTERLY, "2026-Q1", subjects)
    scoring.problems["p1"] = [PROBLEM]
    # the event that makes ranking rank arrives in Chinese: scoring is read in English all the same
    response = await ranking.post("/events", json=scores_changed("p1", scoring),
                                  headers={**system_headers(), "Accept-Language": "zh-CN"})
    assert response.status_code == 200, response.text
    assert scoring.languages == ["en"]
    for language, explain, message in (("zh-CN", CHINESE, "评分事实的分值 points 须为数字，现为 'abc'"),
                                       ("en", EXPLAIN, PROBLEM["message"])):
        headers = {**AUDITOR, "Accept-Language": language}
        result = (await ranking.get("/v1/periods/p1/results/u1", headers=headers)).json()
        assert result["explain"] == explain
        table = (await ranking.get("/v1/periods/p1/ranking", headers=headers)).json()
        assert table["items"][0]["explain"] == explain
        period = (await ranking.get("/v1/periods/p1", headers=headers)).json()
        assert period["problems"] == [{**PROBLEM, "message": message}]
    # a text that is none of the engine's (the other subjects' canned ones) is shown as written
    other = (await ranking.get("/v1/periods/p1/results/u2", headers={**AUDITOR, "Accept-Language": "zh-CN"})).json()
    assert other["explain"] == {"work": "manual 55", "service": "manual 37.5"}
