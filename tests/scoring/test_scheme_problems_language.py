"""The scheme checker's problems in the caller's language (issue 22): `scheme_invalid` details, a document that
cannot be read and a document past a structural limit, each in zh-CN and en by `Accept-Language`; the pointers and
codes are the same in both. The expected sentences are written out by hand from the checker's rules (the broken
scheme below is tests/scoring's TINY with six faults, in the order the checker meets them)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.scoring.conftest import TINY, admin

BROKEN = (TINY.replace("title: 小方案\n", "title: 小方案\ntitel: 另一个标题\n")
          .replace("period: quarter", "period: yaer")
          .replace("rule: {kind: manual}", "rule: {kind: magic}")
          .replace("max: 10", "max: -1")
          + 'total: "work + (attend"\n'
          + "grading:\n  bands:\n    - {grade: 优秀, min: 90}\n    - {grade: 合格, min: 60}\n")
KINDS = "manual, ratio, completion, deduction, accrual, per_occurrence, banded, rating, rank_points, cases, journal, " \
        "peer_relative"
PROBLEMS = [  # (pointer, English, Chinese)
    ("/titel", "unknown key 'titel'; did you mean 'title'?", "未知的键 'titel'；是否应为 'title'？"),
    ("/period", "period must be one of month, quarter, half, year, week, not 'yaer'; did you mean 'year'?",
     "period 必须是 month, quarter, half, year, week 之一，现为 'yaer'；是否应为 'year'？"),
    ("/indicators/0/rule/kind", f"the rule kind must be one of {KINDS}, not 'magic'",
     f"计分规则类型 必须是 {KINDS} 之一，现为 'magic'"),
    ("/indicators/1/max", "the max of indicator '考勤' must be greater than 0, not -1",
     "指标“考勤”的满分（max） 必须大于 0，现为 -1"),
    # the position (column 15: just after the 14 characters) comes first in Chinese: the placeholders reorder
    ("/total", "cannot read the expression 'work + (attend': expected ')' but found 'the end' at column 15",
     "无法解析表达式 'work + (attend'：第 15 列：此处应为 ')'，实际为 '结尾'"),
    ("/grading/bands", "the last band must be a catch-all without min, such as {grade: 不称职}",
     "最后一档必须是不写 min 的兜底档，如 {grade: 不称职}"),
]


async def _error(scoring: httpx.AsyncClient, language: str, body: dict[str, Any],
                 path: str = "/v1/schemes/validate") -> tuple[int, dict[str, Any]]:
    response = await scoring.post(path, json=body, headers={**admin(), "Accept-Language": language})
    return response.status_code, response.json()["error"]


async def test_scheme_problems_are_in_the_language_asked_for(scoring: httpx.AsyncClient) -> None:
    for path, body in (("/v1/schemes/validate", {"text": BROKEN}),
                       ("/v1/schemes", {"text": BROKEN, "owner_path": "city"})):
        for language, column, headline in (("en", 1, "the scheme has 6 problems"),
                                           ("zh-CN", 2, "考核方案有 6 处问题")):
            status, error = await _error(scoring, language, body, path)
            assert (status, error["code"], error["message"]) == (422, "scheme_invalid", headline)
            assert error["details"] == [{"pointer": row[0], "message": row[column]} for row in PROBLEMS]


async def test_a_document_that_cannot_be_read_is_refused_in_the_language_asked_for(
        scoring: httpx.AsyncClient) -> None:
    english = await _error(scoring, "en", {"text": "- 1\n- 2\n"})
    chinese = await _error(scoring, "zh-CN,zh;q=0.9", {"text": "- 1\n- 2\n"})
    assert english == (422, {"code": "invalid_input", "details": {"field": "text"},
                             "message": "the document must be a mapping (key: value) at the top level, not list"})
    assert chinese == (422, {"code": "invalid_input", "details": {"field": "text"},
                             "message": "文件的顶层必须是映射（键: 值），现为 list"})


async def test_a_document_past_a_limit_names_the_place_in_the_language_asked_for(
        scoring: httpx.AsyncClient) -> None:
    text = "id: x\nindicators:\n  - code: a\n    max: " + "1" * 5_001 + "\n"
    for language, headline, sentence in (
            ("en", "the scheme has 1 problem", "a number of 5001 characters; at most 100 are read"),
            ("zh-CN", "考核方案有 1 处问题", "数字长达 5001 个字符；最多只读取 100 个字符")):
        status, error = await _error(scoring, language, {"text": text})
        assert (status, error["code"], error["message"]) == (422, "scheme_invalid", headline)
        assert error["details"] == [{"pointer": "/indicators/0/max", "message": sentence}]
