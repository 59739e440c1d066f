"""dumps_result and format_table."""

from __future__ import annotations

import json

from kaohe.engine import rank_period
from kaohe.engine.ranking import dumps_result, format_table
from kaohe.engine.scheme.model import Label, Reward
from kaohe.i18n import use_locale

from ._support import D, grading, period, scheme, subject


def sample() -> dict:  # type: ignore[type-arg]
    subjects = [subject("p001", "88.405", name="张三", scores={"regular": "46"}), subject("p002", "91")]
    the_scheme = scheme(
        grading=grading(), labels=(Label("通报表扬", top=1),),
        rewards=(Reward("季度绩效奖金", by_grade={"优秀": D(2100), "良好": D(1800)}),),
    )
    return rank_period(period(the_scheme, subjects))


def test_dumps_result_keeps_chinese_and_spec_order() -> None:
    text = dumps_result(sample())
    assert "张三" in text and "\\u" not in text
    assert text.endswith("}\n")
    assert text.index('"scheme"') < text.index('"inputs_sha256"') < text.index('"subjects"')
    assert json.loads(text)["subjects"][1]["total"] == "88.41"
    assert dumps_result(sample()) == text


def test_format_table_is_plain_aligned_text() -> None:
    use_locale("zh-CN")  # as `kaohe --lang zh-CN evaluate` runs
    try:
        table = format_table(sample())
    finally:
        use_locale(None)
    lines = table.splitlines()
    assert lines[0] == "test-scheme v1 · 2026-Q1"
    assert lines[2].split() == ["名次", "对象", "组别", "总分", "等次", "标签", "奖励"]
    assert format_table(sample()).splitlines()[2].split() == ["Rank", "Subject", "Group", "Total", "Grade", "Labels",
                                                              "Rewards"]
    assert "p002" in lines[3] and "优秀" in lines[3] and "通报表扬" in lines[3] and "2100.00" in lines[3]
    assert "p001 张三" in lines[4] and "88.41" in lines[4] and "良好" in lines[4]
    assert "\x1b" not in table  # no terminal colour codes


def test_a_row_of_several_rewards_and_a_grade_reason_follows_the_language() -> None:
    """Several rewards are listed with the language's separator (Chinese: full-width ；), a grade's reason in the
    language's parentheses (Chinese: （…） without a space): no ASCII ; in a Chinese table."""
    result = {"scheme": "s", "version": 1, "period": "2026-Q1", "subjects": [
        {"id": "p001", "name": "张三", "group": "科室", "rank": 1, "total": "95.00", "grade": "良好",
         "band_grade": "优秀", "grade_reason": "quota", "labels": ["通报表扬"],
         "rewards": {"季度奖金": "2000.00", "通报表扬奖金": "500.00"}}]}
    use_locale("zh-CN")
    try:
        chinese = format_table(result).splitlines()[3]
    finally:
        use_locale(None)
    english = format_table(result).splitlines()[3]
    assert chinese.split() == ["1", "p001", "张三", "科室", "95.00", "良好（名额限制）", "通报表扬", "季度奖金",
                               "2000.00；通报表扬奖金", "500.00"]
    assert english.split() == ["1", "p001", "张三", "科室", "95.00", "良好", "(quota", "limit)", "通报表扬", "季度奖金",
                               "2000.00;", "通报表扬奖金", "500.00"]
