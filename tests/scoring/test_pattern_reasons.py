"""A value refused by its pattern is told in words with the accepted forms, never the regex, in zh-CN and en
(newcomer probe): a period label, a unit slug; worked out by hand from services/common/patterns.py."""

from __future__ import annotations

import httpx

from tests.scoring.conftest import admin

LABEL = {
    "en": "Should be a year (2026), a month (2026-03), a quarter (2026-Q1), a half-year (2026-H1) or an ISO "
    "week (2026-W05)",
    "zh-CN": "应为年度（2026）、月份（2026-03）、季度（2026-Q1）、半年（2026-H1）或 ISO 周（2026-W05）",
}
SLUG = {
    "en": "Should be 1 to 64 lowercase letters, digits, '-' or '_', beginning with a letter or digit",
    "zh-CN": "应为 1 至 64 个小写字母、数字、“-”或“_”，以字母或数字开头",
}


async def test_a_period_label_and_a_slug_are_refused_in_words(scoring: httpx.AsyncClient) -> None:
    for language, colon in (("en", ": "), ("zh-CN", "：")):
        for label in ("2026Q1", "2026年第一季度"):
            body = {"scheme_id": "tiny", "scheme_version": 1, "label": label, "subjects": []}
            response = await scoring.post("/v1/periods", json=body, headers={**admin(), "Accept-Language": language})
            assert response.status_code == 422, response.text
            error = response.json()["error"]
            assert error["message"] == f"label{colon}{LABEL[language]}"
            # kaohe's own words, so in the language asked for in details too (docs/api.md, "Language of messages")
            assert error["details"] == [{"field": "label", "reason": LABEL[language]}]
        response = await scoring.post(
            "/v1/units", json={"name": "市", "slug": "City"}, headers={**admin(), "Accept-Language": language}
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["message"] == f"slug{colon}{SLUG[language]}"
