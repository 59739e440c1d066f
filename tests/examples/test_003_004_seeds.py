"""The seed schemes of 003 (篇一, 篇三, 篇十五) and 004 on their example facts.

Every expected value below was worked out by hand from scheme-format.md and the facts file, with
the arithmetic beside the assertion. Scores are exact decimals, rounded half-up only on output.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from kaohe.engine import parse_scheme
from kaohe.engine.scheme import load_document
from tests.examples.seeds import SCHEMES, run_seed

STEMS = [
    "003-1-meiling-staff-quarterly",
    "003-3-shinan-justice-staff",
    "003-15-office-staff-quarterly",
    "003-15-office-staff-annual",
    "004-shaoxing-municipal-departments",
    "004-shaoxing-vertical-departments",
]


@cache
def _run(stem: str) -> dict[str, Any]:
    return run_seed(stem)[0]


def _subjects(stem: str) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in _run(stem)["subjects"]}


@pytest.mark.parametrize("stem", STEMS)
def test_scheme_validates(stem: str) -> None:
    parse_scheme(load_document(SCHEMES / f"{stem}.yaml"))  # raises SchemeInvalid on any problem


@pytest.mark.parametrize("stem", STEMS)
def test_no_problems_and_every_subject_scored(stem: str) -> None:
    result = _run(stem)
    facts = load_document(SCHEMES / f"{stem}.facts.json")
    assert result["problems"] == []
    assert result["scheme"] == facts["scheme"]
    assert result["period"] == facts["period"]
    assert {s["id"] for s in result["subjects"]} == {s["id"] for s in facts["subjects"]}


# ---------------------------------------------------------------------------------------------
# 003 篇一 — 梅岭街道 quarterly staff scheme
# total = (regular + key_projects + attendance + adjust) × 60% + leader_eval × 40%
# 科级干部 (8 people, all hand-designed): leader_poll 95, 92, 88, 85, 80, 75, 70, 60 for k01..k08,
# so ranks 1..8; rank_points: r ≤ 25%×8 = 2 → 90, r ≤ 55%×8 = 4.4 → 80, else 70.
# Quotas in 科级干部 (8 graded): 优秀 floor(25% × 8) = 2, 良好 floor(30% × 8) = floor(2.4) = 2.
# ---------------------------------------------------------------------------------------------
MEILING = "003-1-meiling-staff-quarterly"


def test_meiling_section_chiefs_scores() -> None:
    s = _subjects(MEILING)
    k01 = s["k01"]
    assert k01["scores"]["regular"] == "47.00"  # mean(48 分管领导, 46 科室负责人) = 47
    assert k01["scores"]["key_projects"] == "38.00"
    assert k01["scores"]["attendance"] == "10.00"  # no events: 全勤 10
    assert k01["scores"]["adjust"] == "2.00"  # one commendation, 2
    assert k01["scores"]["leader_poll"] == "95.00"
    assert k01["scores"]["leader_eval"] == "90.00"  # poll rank 1 ≤ 2
    assert k01["total"] == "94.20"  # (47+38+10+2)=97 × 0.6 = 58.2; + 90 × 0.4 = 36 → 94.2

    assert s["k02"]["scores"]["attendance"] == "9.00"  # 10 − late 1 × 1
    assert s["k02"]["scores"]["leader_eval"] == "90.00"  # rank 2 ≤ 2
    assert s["k02"]["total"] == "91.20"  # (46+37+9+0)=92 × 0.6 = 55.2 + 36 = 91.2

    assert s["k03"]["scores"]["adjust"] == "3.00"  # commendation 2 + praise 1
    assert s["k03"]["scores"]["leader_eval"] == "80.00"  # rank 3 ≤ 4.4
    assert s["k03"]["total"] == "92.00"  # (48+39+10+3)=100 × 0.6 = 60 + 80 × 0.4 = 32 → 92

    assert s["k04"]["scores"]["attendance"] == "8.00"  # 10 − late 2
    assert s["k04"]["scores"]["leader_eval"] == "80.00"  # rank 4 ≤ 4.4
    assert s["k04"]["total"] == "84.20"  # (44+35+8)=87 × 0.6 = 52.2 + 32 = 84.2

    # k05 has no key project: key_projects' 40 points move to regular, scaled by (50+40)/50
    assert s["k05"]["scores"]["regular"] == "82.80"  # 46 × 90/50 = 82.8
    assert s["k05"]["scores"]["key_projects"] == "0.00"
    assert s["k05"]["scores"]["leader_eval"] == "70.00"  # rank 5 > 4.4
    assert s["k05"]["total"] == "83.68"  # (82.8+0+10+0)=92.8 × 0.6 = 55.68 + 70 × 0.4 = 28 → 83.68

    assert s["k06"]["scores"]["attendance"] == "2.00"  # 10 − late 3 × 1 − absent_day 1 × 5 = 2
    assert s["k06"]["scores"]["adjust"] == "-2.00"  # criticism −2 (accrual min −10)
    assert s["k06"]["total"] == "70.00"  # (40+30+2−2)=70 × 0.6 = 42 + 28 = 70

    assert s["k07"]["scores"]["attendance"] == "0.00"  # late 4 + 6 = 10 ≥ 10 → zero_when
    assert s["k07"]["total"] == "67.60"  # (38+28+0)=66 × 0.6 = 39.6 + 28 = 67.6

    assert s["k08"]["total"] == "82.60"  # (45+36+10)=91 × 0.6 = 54.6 + 28 = 82.6 (veto acts on grade only)


def test_meiling_section_chiefs_ranks_grades_rewards() -> None:
    s = _subjects(MEILING)
    # totals: k01 94.2, k03 92, k02 91.2, k04 84.2, k05 83.68, k08 82.6, k06 70, k07 67.6
    ranks = {sid: s[sid]["rank"] for sid in ("k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08")}
    assert ranks == {"k01": 1, "k03": 2, "k02": 3, "k04": 4, "k05": 5, "k08": 6, "k06": 7, "k07": 8}
    # bands: > 90 优秀 (k01, k03, k02); ≥ 75 良好 (k04, k05, k08); ≥ 60 称职 (k06, k07)
    assert [s[k]["band_grade"] for k in ("k01", "k03", "k02")] == ["优秀", "优秀", "优秀"]
    assert [s[k]["band_grade"] for k in ("k04", "k05", "k08")] == ["良好", "良好", "良好"]
    # k08: 受党纪政纪处分 → veto {grade: 不称职} (step 2, before quotas)
    assert s["k08"]["grade"] == "不称职"
    assert s["k08"]["grade_reason"] == "veto"
    assert s["k08"]["flags"] == [{"veto": "disciplinary_sanction", "effect": {"grade": "不称职"}, "fact": "f0035"}]
    # 优秀 quota 2: k01 (rank 1) and k03 (rank 2) keep it; k02 (rank 3) drops to 良好
    assert (s["k01"]["grade"], s["k01"]["grade_reason"]) == ("优秀", None)
    assert (s["k03"]["grade"], s["k03"]["grade_reason"]) == ("优秀", None)
    assert (s["k02"]["grade"], s["k02"]["grade_reason"]) == ("良好", "quota")
    # 良好 holders now k02 (3), k04 (4), k05 (5); quota 2 → k05 drops to 称职 (cascade)
    assert (s["k04"]["grade"], s["k04"]["grade_reason"]) == ("良好", None)
    assert (s["k05"]["grade"], s["k05"]["grade_reason"]) == ("称职", "quota")
    assert (s["k06"]["grade"], s["k07"]["grade"]) == ("称职", "称职")
    # rewards: 优秀 2100, 良好 1800, 称职 1500, × months_in_post / 3
    assert s["k01"]["rewards"] == {"季度绩效奖金": "2100.00"}
    assert s["k03"]["rewards"] == {"季度绩效奖金": "2100.00"}
    assert s["k02"]["rewards"] == {"季度绩效奖金": "1800.00"}
    assert s["k04"]["rewards"] == {"季度绩效奖金": "1800.00"}
    assert s["k05"]["rewards"] == {"季度绩效奖金": "1000.00"}  # 1500 × 2/3 (retired after 2 months)
    assert s["k06"]["rewards"] == {"季度绩效奖金": "1500.00"}
    assert s["k08"]["rewards"] == {"季度绩效奖金": "0.00"}  # 不称职 is not in the table


def test_meiling_middle_managers() -> None:
    s = _subjects(MEILING)
    m01 = s["m01"]  # no key project, absent 3 days, the lowest poll (50) of 12
    assert m01["scores"]["regular"] == "72.00"  # 40 × 90/50
    assert m01["scores"]["key_projects"] == "0.00"
    assert m01["scores"]["attendance"] == "0.00"  # absent_day count 3 ≥ 2 → zero_when
    assert m01["scores"]["leader_eval"] == "70.00"  # rank 12 > 55% × 12 = 6.6
    assert m01["total"] == "71.20"  # 72 × 0.6 = 43.2 + 70 × 0.4 = 28 → 71.2
    assert m01["band_grade"] == "称职"
    assert (m01["grade"], m01["grade_reason"]) == ("不称职", "condition")  # absent_days 3 > 2
    assert m01["rewards"] == {"季度绩效奖金": "0.00"}
    # accrual clamped at min −10: warning −3 × 2 + criticism −2 × 3 = −12 → −10
    assert s["m02"]["scores"]["adjust"] == "-10.00"
    # key 2026-创卫: commendation (own points 3) and praise (1) count once at 3; unkeyed praise + 1 → 4
    assert s["m03"]["scores"]["adjust"] == "4.00"


def test_meiling_general_staff() -> None:
    s = _subjects(MEILING)
    # g01 worked 15 days (< 20), g03 under investigation: 不确定等次, no bonus
    for sid in ("g01", "g03"):
        assert s[sid]["grade"] is None
        assert s[sid]["rewards"] == {"季度绩效奖金": "0.00"}
    # g02: poll 99 (top of 30 → 90); every other member of the group has a poll ≤ 97
    g02 = s["g02"]
    assert g02["scores"]["leader_eval"] == "90.00"
    assert g02["total"] == "96.00"  # (49+39+10+2)=100 × 0.6 = 60 + 36 = 96
    assert g02["rank"] == 1  # fillers: at most (42+32+10) × 0.6 + 36 = 86.4
    assert g02["band_grade"] == "优秀"
    # leave_days 18 > 15 → capped at 良好; top of the 良好 holders, quota floor(30% × 28) = 8 → kept
    assert (g02["grade"], g02["grade_reason"]) == ("良好", "condition")
    assert g02["rewards"] == {"季度绩效奖金": "1800.00"}
    g04 = s["g04"]  # poll 97, rank 2 ≤ 7.5 → 90
    assert g04["total"] == "93.60"  # (48+38+10+0)=96 × 0.6 = 57.6 + 36 = 93.6
    assert g04["rank"] == 2
    # the only 优秀 holder of the group, quota floor(25% × 28 graded) = 7
    assert (g04["grade"], g04["grade_reason"]) == ("优秀", None)
    assert g04["rewards"] == {"季度绩效奖金": "2100.00"}


# ---------------------------------------------------------------------------------------------
# 003 篇三 — 市南区司法局 networked annual staff scheme (20 + 50 + 30 + 20), 25 staff, ranked together
# ---------------------------------------------------------------------------------------------
SHINAN = "003-3-shinan-justice-staff"


def test_shinan_top_performer() -> None:
    s01 = _subjects(SHINAN)["s01"]
    sc = s01["scores"]
    assert sc["study"] == "3.00"  # 12 of 12 study tasks: 3 × 12/12
    assert sc["activities"] == "2.00"  # 8 of 8
    assert sc["attendance"] == "4.00"  # every month 21/21 → 1.5 + 1.5 + 1
    assert sc["public"] == "20.00"  # 7 + 8 + 5, no deductions
    # journal: 26 weeks at 48, 24 at 49, 2 excused → (1248 + 1176) / 50 = 48.48; × 50/50
    assert sc["business"] == "48.48"
    # section chief: no 科室负责人 level → that level full (21).
    # round 1: (21 + 21 + 21) / 3 = 21; round 2: (优秀 21 + 良好 15 + 21) / 3 = 19; mean 20
    assert sc["leader_rating"] == "20.00"
    # round 1: (20 × 9 + 4 × 6) / 24 = 8.5; round 2: (18 × 9 + 5 × 6) / 23 (1 abstained) = 8.347826…
    # mean 8.423913…
    assert sc["staff_rating"] == "8.42"
    assert sc["appraisal"] == "28.42"  # 20 + 8.423913
    # 联名 市级 suggestion (2 / 2 participants = 1) + 区级 1 = 2 (= cap 2)
    assert sc["suggestions"] == "2.00"
    assert sc["experience"] == "1.00"  # 市级 1
    # key 2025-调解先进: 市级先进 3 and 区级先进 2 count once at 3; + 岗位竞赛一等奖 0.3
    assert sc["awards"] == "3.30"
    assert sc["target_incentive"] == "7.00"  # +4 +3
    assert sc["incentive"] == "13.30"  # 2 + 1 + 3.3 + 7
    assert s01["total"] == "110.20"  # 20 + 48.48 + 28.423913 + 13.3 = 110.203913
    assert s01["rank"] == 1  # others ≤ 20 + 46 + 30 + ~4.2 (filler bounds), s04 98.67
    assert s01["flags"] == []


def test_shinan_average_staff_member() -> None:
    s02 = _subjects(SHINAN)["s02"]
    sc = s02["scores"]
    assert sc["study"] == "2.50"  # 3 × 10/12
    assert sc["activities"] == "1.75"  # 2 × 7/8
    assert sc["training"] == "1.30"  # 2 − 0.5 − 0.2
    assert sc["exams"] == "1.00"  # 2 − 1
    assert sc["quality"] == "4.80"  # 2.5 + 1.3 + 1
    # on time: 10 months 22/22 → 1.5, 19/22 = 86% → 1, 15/22 = 68% → 0: (15 + 1) / 12 = 1.3333
    assert sc["att_on_time"] == "1.33"
    assert sc["att_no_early_leave"] == "1.50"
    # lunch: 6 × 20/22 (91%) → 1, 6 × 16/22 (73%) → 0.6: (6 + 3.6) / 12 = 0.8
    assert sc["att_lunch"] == "0.80"
    assert sc["attendance"] == "3.63"  # 1.3333 + 1.5 + 0.8 = 3.6333
    assert sc["office_order"] == "1.50"  # 2 − 0.5
    assert sc["discipline"] == "6.88"  # 3.6333 + 1.75 + 1.5 = 6.8833
    assert sc["public"] == "16.68"  # 4.8 + 6.8833 + 5 = 16.6833
    # journal: 48 weeks at 42, 2 missing (count 0), 2 excused → 2016 / 50 = 40.32
    assert sc["business"] == "40.32"
    # round 1: (15 + 15 + 21) / 3 = 17; round 2: (9 + 15 + 15) / 3 = 13; mean 15
    assert sc["leader_rating"] == "15.00"
    # round 1: (6×9 + 12×6 + 6×3) / 24 = 144/24 = 6; round 2: (4×9 + 14×6 + 5×3 + 1) / 24 = 136/24 = 5.6667
    assert sc["staff_rating"] == "5.83"  # (6 + 5.6667) / 2 = 5.8333
    assert sc["appraisal"] == "20.83"
    assert sc["suggestions"] == "1.00"  # 市级 2 split between s01 and s02
    assert sc["awards"] == "1.50"  # collective 市级先进: 3 × 0.5
    assert sc["target_incentive"] == "-2.00"  # +2 − 4 (accrual min −10)
    assert sc["incentive"] == "0.50"  # 1 + 0 + 1.5 − 2
    assert s02["total"] == "78.34"  # 16.6833 + 40.32 + 20.8333 + 0.5 = 78.3367


def test_shinan_caps_and_merges() -> None:
    sc = _subjects(SHINAN)["s04"]["scores"]
    assert sc["study"] == "0.00"  # 0 of 12 study tasks fed back
    # 区级 1 + 市级 2 / 3 participants = 1.6667 (under the cap 2)
    assert sc["suggestions"] == "1.67"
    # key 2025-扫黑: 二等功 4 and 市级先进 3 → 4; 省级竞赛 1.5; collective 区级先进 2 × 0.5 = 1 → 6.5 → max 5
    assert sc["awards"] == "5.00"
    assert sc["target_incentive"] == "10.00"  # 4 + 4 + 4 = 12 → max 10
    assert sc["incentive"] == "16.67"  # 1.6667 + 0 + 5 + 10
    assert sc["appraisal"] == "21.00"  # all 良好: 15 + 6
    # public 17 (study 0) + business 44 + appraisal 21 + incentive 16.6667 = 98.6667
    assert _subjects(SHINAN)["s04"]["total"] == "98.67"


def test_shinan_attendance_band_edges() -> None:
    s05 = _subjects(SHINAN)["s05"]
    sc = s05["scores"]
    # 18/20 = 90% → 1.5 (min inclusive), 16/20 = 80% → 1, 14/20 = 70% → 0.6, 13/20 = 65% → 0, 3 months each
    # (4.5 + 3 + 1.8 + 0) / 12 = 0.775 → half-up 0.78
    assert sc["att_on_time"] == "0.78"
    assert sc["att_lunch"] == "0.30"  # 12/20 = 60% → 0.3 every month
    assert sc["attendance"] == "2.58"  # 0.775 + 1.5 + 0.3 = 2.575 → half-up 2.58
    # leader: round 1 (9 + 9 + 15) / 3 = 11, round 2 (9 + 3 + 15) / 3 = 9 → 10
    assert sc["leader_rating"] == "10.00"
    assert sc["staff_rating"] == "2.50"  # round 1 all 较好 3, round 2 (12×3 + 12×1)/24 = 2 → 2.5
    # public 7 + (2.575 + 2 + 2) + 5 = 18.575; business 40; appraisal 12.5; incentive 0
    assert s05["total"] == "71.08"  # 71.075 → half-up


def test_shinan_serious_violation_zeroes_the_total() -> None:
    s03 = _subjects(SHINAN)["s03"]
    assert s03["scores"]["serious_violation"] == "0.00"  # 2 − 2
    assert s03["total"] == "0.00"  # veto zero_total
    assert s03["rank"] == 25  # the only total of 0 among 25
    assert s03["flags"] == [{"veto": "serious_violation", "effect": "zero_total", "fact": "f00503"}]


# ---------------------------------------------------------------------------------------------
# 003 篇十五 — quarterly 共性目标 40 + 个性目标 60, 18% 优秀 quota per category
# individual = 60 × (80 × post_a/100 + 20 × post_b/100) / 100 = 0.48 × post_a + 0.12 × post_b
# post_a = weighted 分管领导 60 / 科室负责人 40
# ---------------------------------------------------------------------------------------------
QUARTERLY = "003-15-office-staff-quarterly"


def test_quarterly_section_chiefs() -> None:
    s = _subjects(QUARTERLY)
    q01 = s["q01"]
    assert q01["scores"]["common"] == "39.50"  # 15 + 15 (3/3 reports) + 9.5
    assert q01["scores"]["post_a"] == "95.20"  # 96 × 0.6 + 94 × 0.4 = 57.6 + 37.6
    assert q01["scores"]["individual"] == "56.50"  # 0.48 × 95.2 + 0.12 × 90 = 45.696 + 10.8 = 56.496
    assert q01["total"] == "96.00"  # 39.5 + 56.496 = 95.996
    assert s["q02"]["scores"]["post_a"] == "95.00"  # only 分管领导 scored: weights renormalised
    assert s["q02"]["total"] == "94.64"  # 14 + 15 + 9 + (45.6 + 11.04)
    assert s["q03"]["scores"]["monthly_report"] == "10.00"  # 15 × 2/3
    assert s["q03"]["total"] == "85.06"  # 15 + 10 + 8 + 0.48 × 87.2 + 0.12 × 85 = 33 + 52.056
    assert s["q04"]["total"] == "93.96"  # 15 + 15 + 9 + 44.16 + 10.8
    assert s["q05"]["scores"]["attendance"] == "8.00"  # 15 − absent 5 − late 2
    assert s["q05"]["total"] == "68.44"  # 8 + 10 + 7 + 0.48 × 73 + 0.12 × 70 = 25 + 43.44
    assert s["q06"]["total"] == "86.12"  # 15 + 15 + 8.5 + 0.48 × 79.2 + 9.6 = 38.5 + 47.616
    ranks = {k: s[k]["rank"] for k in ("q01", "q02", "q03", "q04", "q05", "q06")}
    assert ranks == {"q01": 1, "q02": 2, "q04": 3, "q06": 4, "q03": 5, "q05": 6}
    # 优秀 quota floor(18% × 6) = 1. q04 has a 全市通报 → max 基本称职 (step 2), so the 优秀 holders are
    # q01 (rank 1) and q02 (rank 2): q02 drops to 称职.
    assert (s["q01"]["grade"], s["q01"]["grade_reason"]) == ("优秀", None)
    assert (s["q02"]["band_grade"], s["q02"]["grade"], s["q02"]["grade_reason"]) == ("优秀", "称职", "quota")
    assert (s["q04"]["band_grade"], s["q04"]["grade"], s["q04"]["grade_reason"]) == ("优秀", "基本称职", "veto")
    assert s["q04"]["flags"] == [
        {"veto": "city_efficiency_notice", "effect": {"max_grade": "基本称职"}, "fact": "f029"}
    ]
    assert s["q05"]["grade"] == "基本称职"
    # 诫勉谈话 below 70; 季度考核奖 1200 for 优秀 and 称职 only
    assert s["q05"]["labels"] == ["诫勉谈话"]
    assert s["q01"]["labels"] == []
    assert s["q01"]["rewards"] == {"季度考核奖": "1200.00"}
    assert s["q02"]["rewards"] == {"季度考核奖": "1200.00"}
    assert s["q04"]["rewards"] == {"季度考核奖": "0.00"}
    assert s["q05"]["rewards"] == {"季度考核奖": "0.00"}


def test_quarterly_general_cadres_tie_at_quota() -> None:
    s = _subjects(QUARTERLY)
    # q07: 15 + 15 + 9 + 0.48 × 95 + 0.12 × 90 = 39 + 56.4 = 95.4
    # q08: post_a 97 × 0.6 + 92 × 0.4 = 95 → the same 95.4, same individual 56.4 → tied at rank 1
    assert s["q08"]["scores"]["post_a"] == "95.00"
    assert (s["q07"]["total"], s["q08"]["total"]) == ("95.40", "95.40")
    assert (s["q07"]["rank"], s["q08"]["rank"]) == (1, 1)
    # graded: 9 (q16 on probation) → quota floor(18% × 9) = 1; two tied at the boundary, exclude → both drop
    for sid in ("q07", "q08"):
        assert (s[sid]["band_grade"], s[sid]["grade"], s[sid]["grade_reason"]) == ("优秀", "称职", "quota")
        assert s[sid]["rewards"] == {"季度考核奖": "1200.00"}
    assert s["q15"]["total"] == "89.74"  # 39 + 0.48 × 85.2 + 0.12 × 82 = 39 + 50.736 = 89.736
    assert s["q15"]["rank"] == 3
    assert s["q15"]["grade"] == "称职"
    assert s["q13"]["scores"]["attendance"] == "13.00"  # early_leave 2 × 1
    assert s["q13"]["total"] == "81.46"  # 13 + 15 + 8 + 0.48 × 77.2 + 8.4 = 36 + 45.456
    q16 = s["q16"]  # probation: ungraded but still ranked
    assert q16["total"] == "86.00"  # 38 + 48
    assert q16["grade"] is None
    assert q16["rank"] == 5  # after q07, q08 (95.4), q15 (89.736), q09 (88.4)
    assert q16["rewards"] == {"季度考核奖": "0.00"}
    q10 = s["q10"]
    assert q10["total"] == "59.00"  # 12 + 5 + 6 + 0.48 × 60 + 0.12 × 60 = 23 + 36
    assert q10["rank"] == 10
    assert q10["grade"] == "不称职"
    assert q10["labels"] == ["诫勉谈话"]


def test_quarterly_workers() -> None:
    s = _subjects(QUARTERLY)
    q17 = s["q17"]
    assert q17["total"] == "90.00"  # 15 + 15 + 9 + 0.48 × 85 + 0.12 × 85 = 39 + 51
    assert q17["rank"] == 1
    assert (q17["band_grade"], q17["grade"]) == ("优秀", "优秀")  # 90 is 优秀 ("90分以上"), quota 1
    assert q17["rewards"] == {"季度考核奖": "1200.00"}
    assert s["q20"]["total"] == "74.58"  # 15 + 10 + 7 + 0.48 × 71.2 + 8.4 = 32 + 42.576
    assert s["q22"]["total"] == "70.58"  # 13 + 15 + 6 + 0.48 × 61.2 + 7.2 = 34 + 36.576
    assert s["q22"]["labels"] == []  # 70.576 is not below 70


# ---------------------------------------------------------------------------------------------
# 003 篇十五 — the annual roll-up: mean of the four quarterly totals, 18% quota per category
# ---------------------------------------------------------------------------------------------
ANNUAL = "003-15-office-staff-annual"


def test_annual_rollup() -> None:
    s = _subjects(ANNUAL)
    assert s["q01"]["total"] == "93.90"  # (96.00 + 93.50 + 92.00 + 94.10) / 4 = 375.6 / 4
    assert s["q02"]["total"] == "91.71"  # (94.64 + 91.00 + 89.20 + 92.00) / 4 = 366.84 / 4
    assert s["q04"]["total"] == "87.24"  # (93.96 + 85 + 84 + 86) / 4 = 348.96 / 4
    assert s["q05"]["total"] == "69.01"  # (68.44 + 72 + 65.5 + 70.1) / 4 = 276.04 / 4
    # 科级干部: the others' quarters after Q1 are at most 88 → q01 rank 1, q02 rank 2; quota floor(1.08) = 1
    assert (s["q01"]["rank"], s["q02"]["rank"]) == (1, 2)
    assert (s["q01"]["grade"], s["q01"]["grade_reason"]) == ("优秀", None)
    assert (s["q02"]["band_grade"], s["q02"]["grade"], s["q02"]["grade_reason"]) == ("优秀", "称职", "quota")
    assert s["q05"]["grade"] == "基本称职"
    assert s["q01"]["rewards"] == {"年度优秀奖金": "800.00"}
    assert s["q02"]["rewards"] == {"年度优秀奖金": "0.00"}
    # 一般干部: q07 (95.4 + 94 + 93 + 92.6) / 4 = 93.75; q08 (95.4 + 88 + 90 + 89) / 4 = 90.60
    assert (s["q07"]["total"], s["q08"]["total"]) == ("93.75", "90.60")
    assert (s["q07"]["grade"], s["q08"]["grade"], s["q08"]["grade_reason"]) == ("优秀", "称职", "quota")
    # q16 on probation: (86 + 85 + 86.5 + 87) / 4 = 86.125 → half-up 86.13, ungraded
    assert s["q16"]["total"] == "86.13"
    assert s["q16"]["grade"] is None
    # 工勤人员: q17 (90 + 91 + 89 + 90.5) / 4 = 90.125 → 优秀 (≥ 90), alone in its band
    assert s["q17"]["total"] == "90.13"
    assert (s["q17"]["rank"], s["q17"]["grade"]) == (1, "优秀")
    assert s["q17"]["rewards"] == {"年度优秀奖金": "800.00"}


# ---------------------------------------------------------------------------------------------
# 004 — 绍兴 municipal departments 25/25/15/20/15 (+ 加减分) and vertical departments 30/20/30/20
# ---------------------------------------------------------------------------------------------
MUNICIPAL = "004-shaoxing-municipal-departments"
VERTICAL = "004-shaoxing-vertical-departments"


def test_municipal_top_department() -> None:
    d01 = _subjects(MUNICIPAL)["d01"]
    sc = d01["scores"]
    assert sc["sector_review"] == "97.00"  # (96 + 98 + 97) / 3
    assert sc["sector"] == "24.25"  # 25 × 97/100
    # (40 × 95 + 30 × 96 + 15 × 94 + 15 × 98) / 100 = 95.6; 25 × 0.956 = 23.9
    assert sc["key_work"] == "23.90"
    # enterprise (96 + 94)/2 = 95, counties 576/6 = 96 → 15 × (50 × 0.95 + 50 × 0.96)/100 = 14.325
    assert sc["grassroots"] == "14.33"
    # 四办 388/4 = 97, 党群 384/4 = 96, 政府部门 294/3 = 98 → (3880 + 2880 + 2940)/100 = 97 → 20 × 0.97
    assert sc["departments"] == "19.40"
    assert sc["leader_scores"] == "97.00"  # 970 / 10
    assert sc["leaders"] == "14.55"  # 15 × 0.97
    assert sc["adjust"] == "2.00"
    assert d01["total"] == "98.43"  # 24.25 + 23.9 + 14.325 + 19.4 + 14.55 + 2 = 98.425 → half-up
    assert d01["rank"] == 1  # others score 80–93 on every 百分制 sheet: ≤ 93 + 1


def test_municipal_adjustment_floor() -> None:
    d02 = _subjects(MUNICIPAL)["d02"]
    sc = d02["scores"]
    assert sc["sector"] == "21.25"  # 25 × 85/100
    assert sc["key_work"] == "20.53"  # (3200 + 2460 + 1260 + 1290)/100 = 82.1 → 25 × 0.821 = 20.525
    assert sc["grassroots"] == "11.93"  # (79 + 80)/2 = 79.5 → 15 × 0.795 = 11.925
    assert sc["departments"] == "17.00"  # 85 on all three
    assert sc["leaders"] == "12.75"  # 9 leaders scored, 765/9 = 85 → 15 × 0.85
    assert sc["adjust"] == "-5.00"  # −3 − 4 = −7 → min −5
    assert d02["total"] == "78.45"  # 21.25 + 20.525 + 11.925 + 17 + 12.75 − 5
    assert d02["rank"] == 40  # every other department has at least 80 (all sheets ≥ 80, adjust ≥ 0)


def test_vertical_departments() -> None:
    s = _subjects(VERTICAL)
    v01 = s["v01"]
    assert v01["scores"]["sector"] == "28.20"  # 30 × 94/100
    assert v01["scores"]["grassroots"] == "18.30"  # (91 + 92)/2 = 91.5 → 20 × 0.915
    # (40 × 94 + 30 × 92 + 30 × 91)/100 = 92.5 → 30 × 0.925 = 27.75
    assert v01["scores"]["departments"] == "27.75"
    assert v01["scores"]["leaders"] == "18.80"  # (9 × 95 + 85)/10 = 94 → 20 × 0.94
    assert v01["total"] == "93.05"
    assert v01["rank"] == 1  # the others' sheets are 78–90 → at most 90
    assert "key_work" not in v01["scores"]  # no 重点工作 for 垂直管理部门
    # v02: 30 × 0.88 + 20 × 0.85 + 30 × 0.85 + 20 × 0.85 = 26.4 + 17 + 25.5 + 17 = 85.9
    # v03: 30 × 0.86 + 17 + 25.5 + 20 × 0.88 = 25.8 + 17 + 25.5 + 17.6 = 85.9 → tie broken by sector
    assert (s["v02"]["total"], s["v03"]["total"]) == ("85.90", "85.90")
    assert s["v03"]["rank"] == s["v02"]["rank"] + 1
