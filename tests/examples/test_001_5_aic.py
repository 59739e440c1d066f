"""001 篇5, the AIC bureau's rule-of-law indicator system: a three-level weighted tree whose tasks
must be proven by named documents, one of them a ratio over three years, from
examples/schemes/001-5-aic-rule-of-law.*.

Expected values are worked out by hand from the seed's rules as the scheme writes them
(docs/scheme-reference.md §3.4–3.5) and the facts file. Bureau b01 scores 100 on every task with
every document, except where the facts say otherwise (the three tasks below).
"""

from __future__ import annotations

from tests.examples.seeds import run_seed

STEM = "001-5-aic-rule-of-law"


def test_aic_scheme_validates_and_its_facts_have_no_problems() -> None:
    result, subjects = run_seed(STEM)
    assert result["problems"] == []
    assert len(subjects) == 6


def test_documents_and_the_three_year_look_back_hand_worked() -> None:
    _, s = run_seed(STEM)
    b01 = s["b01"]["scores"]
    # 一(一) 任务一: 5 of 5 leaders trained → 100; 2 of its 3 documents (本单位学法计划和学法工作总结 of
    # 各科室局 missing), when_missing proportional: 100 × 2/3 = 66.67
    assert b01["s1a_t1"] == "66.67"
    assert "本单位学法计划和学法工作总结 (各科室局)" in s["b01"]["explain"]["s1a_t1"]
    # 一(一) 任务二, "3年内": promotions 2012 2/2, 2013 1/2, 2014 3/3 → 6/7 → 100 × 6/7 = 85.71
    assert b01["s1a_t2"] == "85.71"
    # 三(二) 任务一: one of its two documents missing, when_missing zero → 0
    assert b01["s3b_t1"] == "0.00"
    # 一(一) = 40% × 66.667 + 30% × 85.714 + 30% × 100 = 1730/21 = 82.38; 一 = (82.38 + 100) / 2 = 91.19
    assert (b01["s1a"], b01["s1"]) == ("82.38", "91.19")
    # 三(二) = 4 × 20% × 100 = 80; 三 = 20% × 100 + 40% × 80 + 40% × 100 = 92
    assert (b01["s3b"], b01["s3"]) == ("80.00", "92.00")
    # total = 10% × 91.190 + 15% × 100 + 10% × 92 + 20% × 100 + 15% × 100 + 3 × 10% × 100
    #       = 9.119 + 15 + 9.2 + 20 + 15 + 30 = 98.319 → 98.32, 优秀 (≥ 90)
    assert (s["b01"]["total"], s["b01"]["grade"]) == ("98.32", "优秀")
