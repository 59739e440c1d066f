"""001 篇8, the basic-level court's judges: the monthly scheme, its annual accumulation, and the
tribunals' judicial cost, evaluated end to end from examples/schemes/001-8-*.

Every expected value is worked out by hand from the seed's rules as the schemes write them
(docs/scheme-reference.md) and the facts files; the arithmetic is next to each assertion.
"""

from __future__ import annotations

import pytest

from tests.examples.seeds import holders, run_seed

STEMS = ("001-8-court-judges-monthly", "001-8-court-judges-annual", "001-8-court-judicial-cost")


@pytest.mark.parametrize("stem", STEMS)
def test_court_schemes_validate_and_their_facts_have_no_problems(stem: str) -> None:
    result, subjects = run_seed(stem)
    assert result["problems"] == []
    assert len(subjects) == (8 if stem.endswith("cost") else 16)


def test_monthly_criminal_judges_hand_worked() -> None:
    """三(二) 同岗同位比较: the four criminal judges of 2026-05, ranked among themselves."""
    _, s = run_seed("001-8-court-judges-monthly")
    # j01: quality 40 × (92 + 88 + 95×2) / (100 × 4) = 40 × 370/400 = 37; volume 3 刑事结案 × 2 = 6;
    #      efficiency 15; effect 10; errors 15 − 一般差错 3 = 12; research 省级 5 (bonus) → 85
    # j02: quality 40 × (85 + 90)/200 = 35; volume 2 × 2 = 4; efficiency 15 − 超审限 5 = 10; effect 10;
    #      errors 15; research: one article (same key) at 县级 1 and 地市级 3 counts once at 3 → 77
    # j03: quality 40 × (80 + 90 + 70×2)/400 = 31; volume 4 × 2 = 8; efficiency 15; effect 10 − 投诉属实 3 = 7;
    #      errors 15 − 严重差错 10 = 5; difficult 疑难复杂案件 3 → 69
    # j04: quality 40 × (95 + 93)/200 = 37.6; volume 6; 15; 10; 15; research 国家级 8 → 91.6
    assert {sid: s[sid]["total"] for sid in ("j01", "j02", "j03", "j04")} == {
        "j01": "85.00", "j02": "77.00", "j03": "69.00", "j04": "91.60"}
    assert s["j02"]["scores"]["research"] == "3.00"
    assert {sid: s[sid]["rank"] for sid in ("j01", "j02", "j03", "j04")} == {"j04": 1, "j01": 2, "j02": 3, "j03": 4}


def test_monthly_administrative_judges_tie_broken_by_case_quality() -> None:
    _, s = run_seed("001-8-court-judges-monthly")
    # j11: quality 40 × (92 + 88)/200 = 36; volume 2 行政结案 × 2.5 = 5; 15; effect 10 − 上访 2 = 8; 15 → 79
    # j12: quality 40 × (80 + 90)/200 = 34; volume 5; 15; 10; 15 → 79
    # equal totals: the second order key, quality (36 > 34), puts j11 first
    assert (s["j11"]["total"], s["j12"]["total"]) == ("79.00", "79.00")
    assert (s["j11"]["rank"], s["j12"]["rank"]) == (1, 2)


def test_annual_standing_accumulates_the_months_and_commends_each_posts_leader() -> None:
    _, s = run_seed("001-8-court-judges-annual")
    # the twelve published monthly totals, added (roll-up total: sum):
    # j01 85 × 12 = 1020; j02 80 × 11 + 90 = 970; j03 88 × 12 = 1056; j04 85 × 6 + 85.5 × 6 = 1023
    assert {sid: s[sid]["total"] for sid in ("j01", "j02", "j03", "j04")} == {
        "j01": "1020.00", "j02": "970.00", "j03": "1056.00", "j04": "1023.00"}
    assert {sid: s[sid]["rank"] for sid in ("j01", "j02", "j03", "j04")} == {"j03": 1, "j04": 2, "j01": 3, "j02": 4}
    # bonus tiers by rank within the post: 5000, 4000, 3000, 2000
    assert {sid: s[sid]["rewards"]["年度审判业绩奖金"] for sid in ("j01", "j02", "j03", "j04")} == {
        "j03": "5000.00", "j04": "4000.00", "j01": "3000.00", "j02": "2000.00"}
    # 行政: j11 80 × 12 = 960, j12 79 × 6 + 81 × 6 = 960: tied first, both commended (no quota), and they
    # share the amounts of positions 1 and 2: (5000 + 4000) / 2 = 4500 each
    assert (s["j11"]["total"], s["j12"]["total"], s["j11"]["rank"], s["j12"]["rank"]) == ("960.00", "960.00", 1, 1)
    assert (s["j11"]["rewards"]["年度审判业绩奖金"], s["j12"]["rewards"]["年度审判业绩奖金"]) == ("4500.00", "4500.00")
    commended = holders(s, "年度审判业绩表彰")
    assert {"j03", "j11", "j12"} <= commended
    # one leader per post (two in 行政 where they tie): 刑事, 民事, 执行 one each
    assert len(commended) == 5
    assert {s[sid]["group"] for sid in commended} == {"刑事审判", "民事审判", "行政审判", "执行"}


def test_judicial_cost_graded_against_the_court_average() -> None:
    _, s = run_seed("001-8-court-judicial-cost")
    # cost per person and month = Σ the year's costs / (12 × headcount):
    # t01 54000/72 = 750; t02 80000/96 = 833.33…; t03 77000/84 = 916.67…; t04 48000/48 = 1000;
    # t05 117000/108 = 1083.33…; t06 40000/60 = 666.67…; t07 42000/48 = 875; t08 19500/36 = 541.67…
    # = 9000, 10000, 11000, 12000, 13000, 8000, 10500, 6500 a year; court mean 80000/8 = 10000 a year
    # indices 0.9, 1.0, 1.1, 1.2, 1.3, 0.8, 1.05, 0.65 → bands ≤0.9 → 100 (inclusive), ≤1.1 → 80, else 60
    grades = {sid: (s[sid]["total"], s[sid]["grade"]) for sid in s}
    assert grades == {
        "t01": ("100.00", "优秀"), "t02": ("80.00", "良好"), "t03": ("80.00", "良好"), "t04": ("60.00", "一般"),
        "t05": ("60.00", "一般"), "t06": ("100.00", "优秀"), "t07": ("80.00", "良好"), "t08": ("100.00", "优秀"),
    }
