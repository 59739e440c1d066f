"""An ISO week refused by its pattern is told in words, not by the regex, in zh-CN and en (newcomer probe)."""

from __future__ import annotations

import httpx

from tests.conftest import auth

WEEK = {
    "en": "Should be an ISO week: the year, -W and the week number 01 to 53 (2026-W05)",
    "zh-CN": "应为 ISO 周：年份、-W 和 01 至 53 的周次（如 2026-W05）",
}


async def test_a_roster_week_out_of_range_is_refused_in_words(client: httpx.AsyncClient) -> None:
    roster = {"period_id": "q1", "subject_ids": ["p1"], "first_week": "2026-W99", "last_week": "2026-W13"}
    for language, colon in (("en", ": "), ("zh-CN", "：")):
        response = await client.post(
            "/v1/journals/rosters", json=roster, headers={**auth(("admin", "")), "Accept-Language": language}
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert (error["message"], error["details"]) == (
            f"first_week{colon}{WEEK[language]}",
            [{"field": "first_week", "reason": WEEK[language]}],  # kaohe's own words: translated in details too
        )
