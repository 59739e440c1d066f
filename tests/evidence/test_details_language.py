"""Error details in the reader's language (newcomer probe, stop 28): kaohe's own reasons in `details` follow
`Accept-Language`; pydantic's own reasons, and a row's reason that quotes one, stay pydantic's English
(docs/api.md, "Language of messages"; docs/decisions.md, "Error details in the reader's language").

Hand-worked (tests/evidence/conftest.py): `output` reads measure facts; p001 is 张三 in city/a, a submitter of
city/a may submit for it. numerator -1 breaks pydantic's ge=0, denominator 1.5 kaohe's whole-number check,
month 2026-3 kaohe's month pattern."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import auth

SUBMITTER_A = auth(("submitter", "city/a"), subject="alice")
BAD_MEASURE = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "output", "fact": "measure",
               "content": {"numerator": "-1", "denominator": "1.5", "month": "2026-3"}}
LEDGER = "subject,name,numerator,denominator\np001,李四,1,2\np001,张三,-1,2\np001,张三,1,1.5\n"


async def _error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


async def test_a_submissions_own_reasons_follow_the_language_pydantics_stay_english(
        client: httpx.AsyncClient) -> None:
    answers = {language: await _error(await client.post(
        "/v1/submissions", json=BAD_MEASURE, headers={**SUBMITTER_A, "Accept-Language": language}))
        for language in ("zh-CN", "en")}
    assert answers["zh-CN"]["message"] == "content.numerator：应大于或等于 0"  # the first problem only
    assert answers["zh-CN"]["details"] == [
        {"field": "content.numerator", "reason": "Input should be greater than or equal to 0"},
        {"field": "content.denominator", "reason": "应为整数（计数）"},
        {"field": "content.month", "reason": "应为月份：年份和 01 至 12 的月份（如 2026-03）"}]
    assert answers["en"]["details"] == [
        {"field": "content.numerator", "reason": "Input should be greater than or equal to 0"},
        {"field": "content.denominator", "reason": "must be a whole number (a count)"},
        {"field": "content.month", "reason": "Should be a month: the year and the month 01 to 12 (2026-03)"}]


async def test_a_files_row_reasons_follow_the_language(client: httpx.AsyncClient) -> None:
    answers = {language: await _error(await client.post(
        "/v1/periods/2026-Q1/submissions/import", headers={**SUBMITTER_A, "Accept-Language": language},
        files={"file": ("ledger.csv", LEDGER.encode())}, data={"indicator": "output", "month": "2026-03"}))
        for language in ("zh-CN", "en")}
    assert answers["zh-CN"]["details"] == {"field": "file", "line": 2, "rows": [
        {"row": 2, "column": "name", "reason": "'李四' 不是考核对象 p001 的名称（张三）"},
        {"row": 3, "column": "numerator", "reason": "numerator: Input should be greater than or equal to 0"},
        {"row": 4, "column": "denominator", "reason": "denominator：应为整数（计数）"}]}
    assert answers["en"]["details"] == {"field": "file", "line": 2, "rows": [
        {"row": 2, "column": "name", "reason": "'李四' is not the name of subject p001 (张三)"},
        {"row": 3, "column": "numerator", "reason": "numerator: Input should be greater than or equal to 0"},
        {"row": 4, "column": "denominator", "reason": "denominator: must be a whole number (a count)"}]}
    assert answers["zh-CN"]["message"] == \
        "第 2 行：'李四' 不是考核对象 p001 的名称（张三）（另有 2 行有误；未报送任何材料）"
