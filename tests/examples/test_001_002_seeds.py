"""The 001 (办公室年度考核方案 篇2/3/7) and 002 (无锡) seed schemes evaluated end to end.

Every expected value below was worked out by hand from scheme-format.md and the facts files
examples/schemes/00[12]-*.facts.json, never copied from the engine; the arithmetic is written next
to each assertion. Full-precision values are carried through and rounded half-up only at output
(spec §1). Ranks that depend on the "filler" units (the ones not discussed here) come from the
complete list of totals, which is reproduced in a comment where it matters.
"""

from __future__ import annotations

import pytest

from kaohe.engine.scheme import load_document
from tests.examples.seeds import SCHEMES, holders, run_seed

STEMS = {
    "001-2-urumqi-supervision": "urumqi-supervision-annual",
    "001-3-road-bureau": "road-bureau-service-year",
    "001-7-procuratorate-office": "procuratorate-office-annual",
    "002-wuxi-municipal-departments": "wuxi-municipal-departments",
}


@pytest.mark.parametrize("stem", sorted(STEMS))
def test_scheme_validates_and_facts_have_no_problems(stem: str) -> None:
    result, subjects = run_seed(stem)
    assert result["problems"] == []
    facts = load_document(SCHEMES / f"{stem}.facts.json")
    assert result["scheme"] == STEMS[stem]
    assert result["period"] == facts["period"]
    assert set(subjects) == {s["id"] for s in facts["subjects"]}
    assert 20 <= len(subjects) <= 60


# ---------------------------------------------------------------------------------------------
# 001 篇2: 乌鲁木齐市政府督查工作考核 (36 units, 2025) — 10/10/30/50, cases ×25% / ×50%
# ---------------------------------------------------------------------------------------------


def test_001_2_urumqi_supervision() -> None:
    _, s = run_seed("001-2-urumqi-supervision")

    # qx01 天山区: no goal events → goals_submit 2, goals_final 5; goals_progress (3+3)/2 = 3 → 10
    qx01 = s["qx01"]
    assert qx01["scores"]["goals_submit"] == "2.00"
    assert qx01["scores"]["goals_progress"] == "3.00"
    assert qx01["scores"]["goals"] == "10.00"
    # internal: 4 items × (2.5+2.5)/2 = 10
    assert qx01["scores"]["internal"] == "10.00"
    # proposal_cases (cases): Σw·p = 96×2 + 92×1 + 90×1 = 374, Σw = 4 → 25 × 374/(100×4) = 23.375
    assert qx01["scores"]["proposal_cases"] == "23.38"  # 23.375 half-up
    # solved_rate 3/4 = 0.75 ≥ target 0.6 → 1; the other four rates 4/4 → 1 each → 5
    assert qx01["scores"]["solved_rate"] == "1.00"
    assert qx01["scores"]["proposal_overall"] == "5.00"
    assert qx01["scores"]["proposals"] == "28.38"  # 23.375 + 5 = 28.375
    # supervision: Σw·p = 98×2 + 95 + 94×2 + 97 = 576, Σw = 6 → 50 × 576/600 = 48
    assert qx01["scores"]["supervision"] == "48.00"
    # total = 10 + 10 + 28.375 + 48 = 96.375 → "96.38" (half-up of the unrounded total)
    assert qx01["total"] == "96.38"
    assert qx01["rank"] == 1
    assert "表彰" in qx01["labels"]
    assert qx01["rewards"] == {"督查工作表彰奖励": "5000.00"}

    # qx02 沙依巴克区: goals_submit 2 − 1 (late_submission) = 1; progress (3+2.5)/2 = 2.75; final 5
    qx02 = s["qx02"]
    assert qx02["scores"]["goals_submit"] == "1.00"
    assert qx02["scores"]["goals"] == "8.75"
    # internal 2.5 × 3 + (2.0+2.0)/2 = 9.5
    assert qx02["scores"]["internal"] == "9.50"
    # proposal_cases (90+88)/2 = 89 → 25 × 0.89 = 22.25
    assert qx02["scores"]["proposal_cases"] == "22.25"
    # solved_rate 1/2 = 0.5 < 0.6 → 1 × 0.5/0.6 = 0.8333…
    assert qx02["scores"]["solved_rate"] == "0.83"
    assert qx02["scores"]["proposal_overall"] == "4.83"  # 4 + 0.8333…
    assert qx02["scores"]["proposals"] == "27.08"  # 22.25 + 4.8333… = 27.0833…
    assert qx02["scores"]["supervision"] == "47.00"  # (95+93+94)/3 = 94 → 50 × 0.94
    # total = 8.75 + 9.5 + 27.0833… + 47 = 92.3333…
    assert qx02["total"] == "92.33"
    assert qx02["rank"] == 2  # the veto bars a label only; the rank stays
    # 敷衍推诿 veto {no_label: 表彰}: not commended although ranked 2nd
    assert qx02["labels"] == []
    assert qx02["flags"] == [{"veto": "shirking_responsibility", "effect": {"no_label": "表彰"}, "fact": "f0044"}]
    assert qx02["rewards"] == {"督查工作表彰奖励": "0.00"}

    # kf02 高新区: no proposal case at all → proposal_cases `missing: full` = 25; its five rates are
    # 0/0 → zero_denominator full → 1 each = 5; proposals = 30
    kf02 = s["kf02"]
    assert kf02["scores"]["proposal_cases"] == "25.00"
    assert kf02["scores"]["reply_pass_rate"] == "1.00"
    assert kf02["scores"]["proposals"] == "30.00"
    # goals: 2 + 2.5 + (5 − 2 late_final_report) = 7.5; internal 4 × 2.0 = 8
    assert kf02["scores"]["goals"] == "7.50"
    assert kf02["scores"]["internal"] == "8.00"
    # supervision: (85×2 + 80 + 90)/4 = 85 → 42.5
    assert kf02["scores"]["supervision"] == "42.50"
    assert kf02["total"] == "88.00"  # 7.5 + 8 + 30 + 42.5

    # bm26 市信访局: goals_submit 2 − (late ×2 → 2, inaccurate 0.5) = −0.5 → floor 0
    bm26 = s["bm26"]
    assert bm26["scores"]["goals_submit"] == "0.00"
    assert bm26["scores"]["goals_final"] == "2.00"  # 5 − 2 − 1
    assert bm26["scores"]["goals"] == "3.75"  # 0 + (1.5+2.0)/2 + 2
    # internal 1.5 + (2.0+1.8)/2 + (1.5+1.7)/2 + (1.2+1.4)/2 = 1.5 + 1.9 + 1.6 + 1.3 = 6.3
    assert bm26["scores"]["internal"] == "6.30"
    # proposal_cases (70 + 65 + 72×2)/4 = 69.75 → 25 × 0.6975 = 17.4375
    assert bm26["scores"]["proposal_cases"] == "17.44"
    # completion_rate 3/4 < 100% with below: zero → 0; meeting 2/4 = 0.5 → 0.5/0.9 = 0.5556;
    # satisfaction 0.75/0.95 = 0.78947; solved 0.25/0.6 = 0.41667; reply 0.75
    assert bm26["scores"]["completion_rate"] == "0.00"
    assert bm26["scores"]["meeting_rate"] == "0.56"
    assert bm26["scores"]["satisfaction_rate"] == "0.79"
    # overall = 3/4 + 0 + 5/12 + 5/9 + 15/19 = 1718/684 = 2.51170
    assert bm26["scores"]["proposal_overall"] == "2.51"
    # supervision (72 + 70×2 + 66 + 75)/5 = 70.6 → 35.3
    assert bm26["scores"]["supervision"] == "35.30"
    # total = 3.75 + 6.3 + (17.4375 + 2.51170) + 35.3 = 65.29920
    assert bm26["total"] == "65.30"
    assert bm26["rank"] == 36
    assert bm26["labels"] == ["取消目标管理工作评优资格"]

    # Ranking (scope all, 36 units) by total: 1 qx01 96.38, 2 qx02 92.33, 3 bm10 91.64, 4 qx05 91.61,
    # 5 bm01 91.06, 6 bm22 90.52, 7 bm19 90.18, 8 bm23 89.87, 9 qx04 89.33, 10 bm24 89.18,
    # 11 bm25 88.934, 12 bm20 88.925, 13 kf01 88.80, … 19 kf02 88.00, … 32 bm16 84.60,
    # 33 bm08 84.18, 34 bm06 83.01, 35 bm13 82.85, 36 bm26 65.30.
    # 表彰: qx02 is removed before the rank test; n = ceil(30% × 36) = ceil(10.8) = 11 (also
    # ceil(30% × 35) = ceil(10.5) = 11) → the 11 best of the others: ranks 1, 3–12.
    assert holders(s, "表彰") == set("qx01 bm10 qx05 bm01 bm22 bm19 bm23 qx04 bm24 bm25 bm20".split())
    assert "表彰" not in s["kf01"]["labels"]  # 13th
    assert s["kf02"]["rank"] == 19
    # 后5名: rank > 36 − 5 = 31
    assert holders(s, "取消目标管理工作评优资格") == {"bm16", "bm08", "bm06", "bm13", "bm26"}
    assert s["bm20"]["rewards"] == {"督查工作表彰奖励": "5000.00"}
    assert s["kf01"]["rewards"] == {"督查工作表彰奖励": "0.00"}


# ---------------------------------------------------------------------------------------------
# 001 篇3: 公路分局创业服务年活动考核 (22 units, 2013) — 重点工作×50% + 日常×50%, 90/80/70
# ---------------------------------------------------------------------------------------------


def test_001_3_road_bureau() -> None:
    _, s = run_seed("001-3-road-bureau")

    # ks01 办公室 (机关科室): road_quality not assigned, transfer_to service_env:
    # service_env (18+19)/2 = 18.5 × (20+20)/20 = 37; road_quality 0
    ks01 = s["ks01"]
    assert ks01["scores"]["service_env"] == "37.00"
    assert ks01["scores"]["road_quality"] == "0.00"
    # key_work = 37 + 0 + 17.5 + 13.5 + 14 + (10 − 2 conduct_issue) = 90
    assert ks01["scores"]["key_work"] == "90.00"
    # daily = (50 − 2 − 1×2) + 30 + (20 − 2) = 46 + 30 + 18 = 94
    assert ks01["scores"]["daily_org"] == "46.00"
    assert ks01["scores"]["daily"] == "94.00"
    # total = 90 × 50% + 94 × 50% = 92
    assert ks01["total"] == "92.00"
    assert ks01["grade"] == "优秀"
    assert ks01["rank"] == 4

    # db01 城关道班: key = 18+18+18+13+13+(10−2) = 88; daily = (50−3−2−1) + 30 + (20−2) = 92
    # total = (88 + 92)/2 = 90 exactly → 优秀 ("90分(含90分)以上")
    db01 = s["db01"]
    assert db01["scores"]["key_work"] == "88.00"
    assert db01["scores"]["daily"] == "92.00"
    assert db01["total"] == "90.00"
    assert db01["band_grade"] == "优秀"
    assert db01["grade"] == "优秀"
    assert db01["grade_reason"] is None
    assert db01["rank"] == 6

    # db02 东山道班: key = (19+19.5)/2 + (18.5+18.48)/2 + (18+18.5)/2 + (13.5+14)/2 + (12.5+12)/2 + 10
    #                    = 19.25 + 18.49 + 18.25 + 13.75 + 12.25 + 10 = 91.99
    # daily = (50 − 3 − 3 − 1) + (30 − 5) + 20 = 43 + 25 + 20 = 88
    # total = (91.99 + 88)/2 = 89.995: printed "90.00" (half-up) but the band uses the exact
    # value, 89.995 < 90 → 良好
    db02 = s["db02"]
    assert db02["scores"]["road_quality"] == "18.49"
    assert db02["scores"]["key_work"] == "91.99"
    assert db02["scores"]["daily"] == "88.00"
    assert db02["total"] == "90.00"
    assert db02["band_grade"] == "良好"
    assert db02["grade"] == "良好"
    assert db02["rank"] == 7  # after db01 (90 > 89.995)

    # db03 西河道班: conduct 10 − 5 − 2 = 3; key = 16 + 15 + 15.5 + 11.5 + 11 + 3 = 72
    # daily_org 50 − 2×3 − 3×2 = 38; complaints: 2 + 1 = 3 verified ≥ 3 → zero_when → 0;
    # checks 20 − 4×2 − 2 = 10 → daily 48; total = (72 + 48)/2 = 60 → 不合格
    db03 = s["db03"]
    assert db03["scores"]["conduct"] == "3.00"
    assert db03["scores"]["daily_complaints"] == "0.00"
    assert db03["scores"]["daily"] == "48.00"
    assert db03["total"] == "60.00"
    assert db03["grade"] == "不合格"
    assert db03["rank"] == 22

    # db04 / db05: both key 83, daily 88 → total 85.5, equal on every order key → shared rank 11,
    # the next unit (db11, 85.125) is 13th (competition ranking)
    # db04: key 17+17+17+12+12+8 = 83; daily (50−3) + (30−5) + (20−2×2) = 47 + 25 + 16 = 88
    # db05: key 17+17+17+12+12+8 = 83; daily (50−2−1) + (30−5) + (20−4) = 47 + 25 + 16 = 88
    for sid in ("db04", "db05"):
        assert s[sid]["scores"]["key_work"] == "83.00"
        assert s[sid]["scores"]["daily"] == "88.00"
        assert s[sid]["total"] == "85.50"
        assert s[sid]["rank"] == 11
        assert s[sid]["grade"] == "良好"
    assert s["db11"]["rank"] == 13

    # Grades of all 22 (totals: db06 95, db09 93.5, db08 92.5, ks01 92, db10 90.625, db01 90 |
    # db02 89.995 … db12 83.25 | ks07 78.75, ks04 77.5, ks05 77.5, ks06 77.375 | db03 60)
    grades = [subject["grade"] for subject in s.values()]
    assert grades.count("优秀") == 6
    assert grades.count("良好") == 11
    assert grades.count("合格") == 4
    assert grades.count("不合格") == 1
    # ks04 and ks05 tie on total 77.5; the tie-break key_work 73 > 72 puts ks04 first
    assert s["ks04"]["total"] == s["ks05"]["total"] == "77.50"
    assert (s["ks04"]["rank"], s["ks05"]["rank"]) == (19, 20)


# ---------------------------------------------------------------------------------------------
# 001 篇7: 检察分院对县(市)院办公室的考核 (20 offices, 2025) — deductions, 加分, 保密一票否决
# ---------------------------------------------------------------------------------------------


def test_001_7_procuratorate_office() -> None:
    _, s = run_seed("001-7-procuratorate-office")

    # jc03 阿克苏市: information 最高检 3×4 + 自治区 5×2 = 22 → capped at 20; documents 10 − 1 = 9;
    # statistics 9.5; honors 部级 15 + 自治区级 10 (different keys) = 25 → capped at 15
    # total = 15 + 20 + 15 + 20 + 9 + 10 + 9.5 + 15 = 113.5
    jc03 = s["jc03"]
    assert jc03["scores"]["information"] == "20.00"
    assert jc03["scores"]["honors"] == "15.00"
    assert jc03["total"] == "113.50"
    assert jc03["rank"] == 1
    assert jc03["grade"] == "优秀"

    # jc01 喀什市: information: key XX-2025-014 (最高检 4 / 自治区 2) counts once at 4; key -033: 4;
    # 自治区 ×3 = 6; 分院 ×6 = 6; important_info_late −1 → 19
    # honors: key 办公室规范化建设 自治区级 10 / 地区级 5 → 10; 县级 2 → 12
    # total = 15 + 19 + 15 + 20 + 10 + 10 + 10 + 12 = 111
    jc01 = s["jc01"]
    assert jc01["scores"]["information"] == "19.00"
    assert jc01["scores"]["honors"] == "12.00"
    assert jc01["total"] == "111.00"
    assert jc01["rank"] == 2

    # jc05 泽普县: 提、议案 "未办理的每件扣5分" has no justification clause (justified_exempt: false):
    # the justified unhandled proposal still costs 5 → 10; information 4 + 3×2 + 8×1 = 18; honors 10
    # total = 15 + 18 + 10 + 20 + 10 + 10 + 10 + 10 = 103
    jc05 = s["jc05"]
    assert jc05["scores"]["proposals"] == "10.00"
    assert jc05["total"] == "103.00"
    assert jc05["rank"] == 3

    # jc02 莎车县: daily 15 − 1 = 14; information 5×2 + 8×1 = 18; honors 地区级 5
    # total = 14 + 18 + 15 + 20 + 10 + 10 + 10 + 5 = 102 → band 优秀, but 保密事故 → {grade: 不合格}
    jc02 = s["jc02"]
    assert jc02["total"] == "102.00"
    assert jc02["rank"] == 4
    assert jc02["band_grade"] == "优秀"
    assert jc02["grade"] == "不合格"
    assert jc02["grade_reason"] == "veto"
    assert jc02["flags"] == [{"veto": "confidentiality_accident", "effect": {"grade": "不合格"}, "fact": "k016"}]

    # jc04 疏附县: 督查 "无正当理由未办理的每件扣5分": the justified unhandled case deducts nothing,
    # overdue −2 → 18; information 4×2 + 9 = 17; honors 5 + 2 = 7
    # total = 15 + 17 + 15 + 18 + 10 + 10 + 9.5 + 7 = 101.5
    jc04 = s["jc04"]
    assert jc04["scores"]["supervision"] == "18.00"
    assert jc04["total"] == "101.50"
    assert jc04["rank"] == 5

    # jc06 叶城县: 14 + (6×2 + 5 − 1 = 16) + 15 + 20 + 10 + 10 + 8.5 + (2 + 2) = 97.5
    assert s["jc06"]["total"] == "97.50"
    # jc07 疏勒县: information 5×2 + 6 = 16; archives 10 − 1 = 9; statistics 9; honors: two 县级
    # awards sharing one key count once → 2; total = 15 + 16 + 15 + 20 + 10 + 9 + 9 + 2 = 96
    jc07 = s["jc07"]
    assert jc07["scores"]["honors"] == "2.00"
    assert jc07["total"] == "96.00"
    # jc08 英吉沙县: information key XX-2025-051 (4/2/1) → 4, + 5×2 + 4×1 → 18; proposals 15 − 2 = 13;
    # supervision 20 − 2 = 18; honors 2; total = 15 + 18 + 13 + 18 + 10 + 10 + 10 + 2 = 96
    jc08 = s["jc08"]
    assert jc08["scores"]["information"] == "18.00"
    assert jc08["total"] == "96.00"
    assert jc07["rank"] == jc08["rank"] == 7
    # jc09 温宿县: 14 + 20 + 15 + 20 + 8 + 8 + 8.5 + 2 = 95.5
    assert s["jc09"]["total"] == "95.50"
    assert s["jc09"]["rank"] == 9

    # Quota 优秀: floor(30% × 20) = 6. After the veto the 优秀 band holds jc03, jc01, jc05, jc04,
    # jc06, jc07, jc08, jc09 (8; jc02 no longer). The 6th place is shared by jc07 and jc08
    # (96 = 96): ties_at_quota exclude → both drop, and jc09 drops → 5 优秀.
    assert {sid for sid, x in s.items() if x["grade"] == "优秀"} == {"jc03", "jc01", "jc05", "jc04", "jc06"}
    for sid in ("jc07", "jc08", "jc09"):
        assert s[sid]["band_grade"] == "优秀"
        assert s[sid]["grade"] == "良好"
        assert s[sid]["grade_reason"] == "quota"

    # jc10 巴楚县: supervision 20 − 5 (unjustified unhandled) − 5 (off_procedure) = 10;
    # proposals 15 − 5 − 5 (the justified one still counts) = 5; daily 15 − 1×3 = 12;
    # information 6 − 1×2 = 4; documents 10 − 3 = 7; archives 10 − 5 = 5; statistics 7
    # total = 12 + 4 + 5 + 10 + 7 + 5 + 7 = 50 → 不合格
    jc10 = s["jc10"]
    assert jc10["scores"]["supervision"] == "10.00"
    assert jc10["scores"]["proposals"] == "5.00"
    assert jc10["scores"]["information"] == "4.00"
    assert jc10["total"] == "50.00"
    assert jc10["grade"] == "不合格"
    assert jc10["grade_reason"] is None
    assert jc10["rank"] == 20


# ---------------------------------------------------------------------------------------------
# 002: 无锡市级机关 三位一体 50:25:25 + 8分奖励加分 (58 units in 5 groups, 2016)
# ---------------------------------------------------------------------------------------------


def test_002_wuxi_municipal_departments() -> None:
    _, s = run_seed("002-wuxi-municipal-departments")

    # a01 市委办公室: target_tasks 70 × 10/10 = 70; target_review (29×60 + 28×40)/100 = 28.6
    a01 = s["a01"]
    assert a01["scores"]["target_review"] == "28.60"
    assert a01["scores"]["target_mgmt"] == "98.60"
    assert a01["scores"]["daily_inspection"] == "98.00"  # 100 − 2 (inefficiency)
    # social_eval: round 1 年中 (95+92+90+88)/4 = 91.25; round 2 年底 (96+94+92+90)/4 = 93 → (91.25+93)/2 = 92.125
    assert a01["scores"]["social_eval"] == "92.13"
    # performance = 100 × (50×98.6/100 + 25×98/100 + 25×92.125/100)/100 = 49.3 + 24.5 + 23.03125
    assert a01["scores"]["performance"] == "96.83"  # 96.83125
    # bonus: province_rank_up 2 + innovation key (国家级 4 / 省级 2) → 4 = 6
    assert a01["scores"]["bonus"] == "6.00"
    assert a01["total"] == "102.83"  # 96.83125 + 6 = 102.83125
    assert a01["rank"] == 1  # a02 (higher total) is downgraded to 良好 and moved after the 良好 units
    assert a01["grade"] == "优秀"
    assert "绩效管理和作风建设二十佳单位" in a01["labels"]
    assert a01["rewards"] == {"年度绩效考核奖(人均)": "6000.00"}

    # a02 市纪委监委机关: tasks 9/9 → 70; review: only 市目标办 scored 28.5, weight renormalised → 28.5
    a02 = s["a02"]
    assert a02["scores"]["target_review"] == "28.50"
    assert a02["scores"]["target_mgmt"] == "98.50"
    # social 年中 (93+91+90+89)/4 = 90.75; 年底 (95+93+91+90)/4 = 92.25 → 91.5
    assert a02["scores"]["social_eval"] == "91.50"
    # performance = 49.25 + 25 + 22.875 = 97.125
    assert a02["scores"]["performance"] == "97.13"
    # bonus: 1 + 2×2 + 4 = 9 → capped at the bonus node's max 8
    assert a02["scores"]["bonus"] == "8.00"
    assert a02["total"] == "105.13"  # 97.125 + 8 = 105.125 half-up
    # 重大违纪违法案件 → downgrade. §5 "one grade lower than the grade it would otherwise get": the
    # seed's "在正常考评以后直接降低等次" — after the normal assessment, quota included (docs/decisions.md;
    # §7 step 2 lists only forced and capped grades). Without the veto, 党群口's 优秀 band holds
    # a02, a01, a05, a13, a07 (5) for floor(30% × 16) = 4 seats → a07 (5th) drops to 良好 by quota;
    # then a02 goes 优秀 → 良好 and its seat is not handed on → 优秀 = a01, a05, a13.
    # a02 is ranked after every other 良好 of 党群口: a07, a06, a08, a10, a14, a09, a11, a03, a04
    # (ranks 4–12), then a02 → 13; 合格 a12, a15, a16 → 14, 15, 16.
    assert a02["band_grade"] == "优秀"
    assert a02["grade"] == "良好"
    assert a02["grade_reason"] == "veto"
    assert a02["rank"] == 13
    assert s["a07"]["band_grade"] == "优秀"
    assert s["a07"]["grade"] == "良好"
    assert s["a07"]["grade_reason"] == "quota"
    assert s["a07"]["rank"] == 4
    assert {sid for sid, x in s.items() if x["group"] == "党群口" and x["grade"] == "优秀"} == {"a01", "a05", "a13"}
    assert s["a04"]["rank"] == 12
    assert s["a12"]["rank"] == 14
    assert a02["labels"] == []  # no_labels
    flags = a02["flags"]
    assert {"veto": "major_discipline_case", "effect": "downgrade", "fact": "w0046"} in flags
    assert {"veto": "major_discipline_case", "effect": "no_labels", "fact": "w0046"} in flags
    assert a02["rewards"] == {"年度绩效考核奖(人均)": "5000.00"}

    # a16 市文联: tasks 6/10 → 42; review (20×60 + 18×40)/100 = 19.2 → target 61.2;
    # daily 100 − 10 − 5×2 − 3 − 0 (the inefficiency upheld on appeal is justified) = 77;
    # social 年中 (70+72+75+68)/4 = 71.25, 年底 (72+74+76+70)/4 = 73 → 72.125
    # performance = 30.6 + 19.25 + 18.03125 = 67.88125; no bonus
    a16 = s["a16"]
    assert a16["scores"]["target_tasks"] == "42.00"
    assert a16["scores"]["target_mgmt"] == "61.20"
    assert a16["scores"]["daily_inspection"] == "77.00"
    assert a16["scores"]["social_eval"] == "72.13"
    assert a16["total"] == "67.88"
    assert a16["grade"] == "合格"
    assert a16["rank"] == 16
    assert a16["rewards"] == {"年度绩效考核奖(人均)": "4000.00"}

    # y03 中国银行: tasks 7/8 → 70 × 7/8 = 61.25; review 27 → target 88.25; daily 100 − 2×2 = 96
    # social 年中 has no 四套班子领导 rating (missing_level skip): (85+88+90)/3 = 87.6667;
    # 年底 (90+86+88+92)/4 = 89 → 88.3333
    # performance = 44.125 + 24 + 22.083333 = 90.208333; bonus 1 → total 91.208333
    y03 = s["y03"]
    assert y03["scores"]["target_tasks"] == "61.25"
    assert y03["scores"]["social_eval"] == "88.33"
    assert y03["scores"]["performance"] == "90.21"
    assert y03["total"] == "91.21"
    # 驻锡内资银行组 totals: y10 97.66, y04 95.98, y09 91.54, y03 91.21, y05 88.24, y07 87.96, …
    # quota floor(30% × 10) = 3 → y03, 4th 优秀 in the band, drops to 良好
    assert y03["band_grade"] == "优秀"
    assert y03["grade"] == "良好"
    assert y03["grade_reason"] == "quota"
    assert y03["rank"] == 4

    # y05 交通银行 (total 88.24, band 良好): 省级通报批评 → downgrade to 合格, "并列该等次末位":
    # after every bank holding 合格 or better (docs/decisions.md). The other nine banks all hold
    # 良好 or 优秀 (lowest y06 84.79 ≥ 80), so y05 is 10th and y07 (87.96) moves up to 5th;
    # barred from the pooled 优胜单位 list
    y05 = s["y05"]
    assert y05["band_grade"] == "良好"
    assert y05["grade"] == "合格"
    assert y05["grade_reason"] == "veto"
    assert y05["rank"] == 10
    assert s["y07"]["rank"] == 5
    assert y05["rewards"] == {"年度绩效考核奖(人均)": "4000.00"}
    assert y05["labels"] == []

    # 二十佳: pooled over 党群口 + 政府口综合组 + 政府口执法组 (38 units, a02 removed → 37) by total:
    # a01 102.83, e10 98.52, e02 97.29, a05 96.88, e05 96.14, a13 95.56, a07 95.52, b08 95.48,
    # b03 93.83, b09 93.38, e12 92.80, e07 91.29, b10 91.08, b04 90.24, a06 89.61, a08 88.44,
    # e09 88.25, a10 88.00, b05 87.30, e11 86.21 | a14 85.86 (21st, out)
    assert holders(s, "绩效管理和作风建设二十佳单位") == set(
        "a01 e10 e02 a05 e05 a13 a07 b08 b03 b09 e12 e07 b10 b04 a06 a08 e09 a10 b05 e11".split()
    )
    # 服务地方发展优胜单位: top 10 pooled over the two C groups (20 units, y05 removed → 19):
    # y10 97.66, c05 96.76, y04 95.98, c10 95.67, c08 92.68, y09 91.54, y03 91.21, c01 89.83,
    # y07 87.96, c04 87.04 | c02 86.86 (11th, out; it would be 10th had y05 not been barred)
    assert holders(s, "服务地方发展优胜单位") == set("y10 c05 y04 c10 c08 y09 y03 c01 y07 c04".split())
    # no 二十佳 outside its groups, no 优胜单位 inside them
    assert all(s[sid]["group"] in ("垂管和公共服务组", "驻锡内资银行组") for sid in holders(s, "服务地方发展优胜单位"))
