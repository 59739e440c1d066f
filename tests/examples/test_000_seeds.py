"""The 000 seed schemes (办公室考核方案范文1/3/4/5) evaluated end to end on their example facts.

Every expected value below was worked out by hand from scheme-format.md and the facts files in
examples/schemes/000-*.facts.json; the arithmetic is written next to each assertion. Full-precision
values are carried through and rounded half-up to 2 places only at output (spec §1).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kaohe.engine.scheme import load_document
from tests.examples.seeds import SCHEMES, run_seed


@pytest.mark.parametrize(
    "stem",
    [
        "000-1-community-monthly",
        "000-1-community-quarterly",
        "000-3-mine-site-quarterly",
        "000-4-livelihood-counties",
        "000-5-district-organs",
    ],
)
def test_scheme_validates_and_facts_have_no_problems(stem: str) -> None:
    result, subjects = run_seed(stem)
    assert result["problems"] == []
    facts = load_document(SCHEMES / f"{stem}.facts.json")
    assert result["scheme"] == stem
    assert result["period"] == facts["period"]
    assert set(subjects) == {s["id"] for s in facts["subjects"]}


# ---------------------------------------------------------------------------------------------
# 000 篇1: 社区居委会计划生育月度考核 (11 communities, 2026-03)
# ---------------------------------------------------------------------------------------------


def test_000_1_community_monthly() -> None:
    result, s = run_seed("000-1-community-monthly")

    # c01 东风社区: 长效节育 19/25 = 0.76 ≥ 0.72 → 20; 孕情 45/60 = 0.75 ≥ 0.75 (含) → 20;
    # 上报 12/12 = 1 → 20; 依法行政 no event → 20; 重点工作 key_task ×3 = 15 + stage_task 2.5 = 17.5
    c01 = s["c01"]
    assert c01["scores"]["ldjy"] == "20.00"
    assert c01["scores"]["yqzw"] == "20.00"  # exactly at the 75% threshold: inclusive
    assert c01["scores"]["zdgz"] == "17.50"
    assert c01["total"] == "97.50"  # 20 + 20 + 20 + 20 + 17.5
    assert c01["rank"] == 1
    assert c01["labels"] == ["通报表扬"]

    # c02 红旗社区: 长效节育 14/20 = 0.70 < 0.72 → 20 × 0.70/0.72 = 19.444…
    # 孕情 38/50 = 0.76 → 20; 上报 9/10 → 20 × 0.9 = 18; 依法行政 mass_complaint 1 × 5 → 15;
    # 重点工作 key_task count 4 → 20 (= max). total = 19.444… + 20 + 18 + 15 + 20 = 92.444… → "92.44".
    # By score it would rank 3rd (94.84 > 92.44 > 91.52), but a verified_complaint veto {bottom: 3}
    # puts it after the 10 communities without the veto → rank 11 (§5).
    c02 = s["c02"]
    assert c02["scores"]["ldjy"] == "19.44"
    assert c02["scores"]["rktj"] == "18.00"
    assert c02["scores"]["yfxz"] == "15.00"
    assert c02["scores"]["zdgz"] == "20.00"
    assert c02["total"] == "92.44"
    assert c02["rank"] == 11
    # In the last three, but total 92.44 ≥ 80 → not 未达标 → no 通报批评 (where applied after rank test)
    assert c02["labels"] == []
    assert c02["flags"] == [{"veto": "verified_complaint", "effect": {"bottom": 3}, "fact": "f900"}]

    # c03 建设社区: 长效节育 two reports summed (8+7)/(12+9) = 15/21 = 0.714285… < 0.72
    # → 20 × (15/21)/0.72 = 19.8412698… → "19.84"; 孕情 30/40 = 0.75 → 20; 上报 0/0 → zero_denominator
    # full → 20; 依法行政 20; 重点工作 key ×2 + stage ×2 = 10 + 5 = 15.
    # total = 19.8412698… + 20 + 20 + 20 + 15 = 94.8412698… → "94.84", rank 2.
    c03 = s["c03"]
    assert c03["scores"]["ldjy"] == "19.84"
    assert c03["scores"]["rktj"] == "20.00"
    assert c03["total"] == "94.84"
    assert c03["rank"] == 2
    assert c03["labels"] == ["通报表扬"]

    # c04 和平社区: 长效节育 18/25 = 0.72 → 20 (inclusive); 孕情 33/48 = 0.6875 → 20 × 0.6875/0.75
    # = 18.333…; 上报 10/11 → 18.1818…; 依法行政 20; 重点工作 key ×3 = 15.
    # total = 20 + 18.333… + 18.1818… + 20 + 15 = 91.5151… → "91.52"; rank 3 once c02 is sent down,
    # so it takes the third 通报表扬.
    c04 = s["c04"]
    assert c04["scores"]["ldjy"] == "20.00"
    assert c04["scores"]["yqzw"] == "18.33"
    assert c04["scores"]["rktj"] == "18.18"
    assert c04["total"] == "91.52"
    assert c04["rank"] == 3
    assert c04["labels"] == ["通报表扬"]

    # c05 新华社区: 20 + 20 + 20 + (20 − media_exposure 10) + key ×4 = 20 → 90.
    # c06 光明社区: 20 + 20 + 20 + (violation justified: true → no deduction) 20 + key ×2 = 10 → 90.
    # Equal totals share rank 4 (competition ranking), the next community (c08) is 6th.
    assert s["c05"]["scores"]["yfxz"] == "10.00"
    assert s["c06"]["scores"]["yfxz"] == "20.00"
    assert s["c05"]["total"] == "90.00"
    assert s["c06"]["total"] == "90.00"
    assert s["c05"]["rank"] == 4
    assert s["c06"]["rank"] == 4
    assert s["c08"]["rank"] == 6  # 20 + 40/55→19.3939… + 20 + 15 + 10 = 84.39
    assert s["c05"]["labels"] == []

    # c07 幸福社区: 15/24 = 0.625 → 20 × 0.625/0.72 = 17.3611…; 36/50 = 0.72 < 0.75 → 20 × 0.72/0.75
    # = 19.2; 8/9 → 17.7777…; 依法行政 20; 重点工作: the two key_task events share the key
    # "2026-03-孕前优生检查" → counted once (5), + stage_task 2.5 = 7.5.
    # total = 17.3611… + 19.2 + 17.7777… + 20 + 7.5 = 81.8388… → "81.84"; rank 7 (above c10 81.67).
    c07 = s["c07"]
    assert c07["scores"]["ldjy"] == "17.36"
    assert c07["scores"]["yqzw"] == "19.20"
    assert c07["scores"]["rktj"] == "17.78"
    assert c07["scores"]["zdgz"] == "7.50"
    assert c07["total"] == "81.84"
    assert c07["rank"] == 7

    # c09 文化社区: 12/20 = 0.6 → 20 × 0.6/0.72 = 16.666…; 30/45 → 20 × (2/3)/0.75 = 17.777…;
    # 6/8 → 15; media_exposure → 10; stage ×4 = 10. total = 69.444… → "69.44", rank 9 → within the
    # last three (rank > 11 − 3 = 8) and < 80 → 通报批评.
    c09 = s["c09"]
    assert c09["total"] == "69.44"
    assert c09["rank"] == 9
    assert c09["labels"] == ["通报批评"]

    # c11 友谊社区: 13/21 → 20 × (13/21)/0.72 = 17.1957…; 32/48 → 17.777…; 5/7 → 14.2857…;
    # violation → 10; stage ×2 = 5. total = 64.2592… → "64.26", rank 10, 通报批评.
    c11 = s["c11"]
    assert c11["scores"]["ldjy"] == "17.20"
    assert c11["scores"]["rktj"] == "14.29"
    assert c11["total"] == "64.26"
    assert c11["rank"] == 10
    assert c11["labels"] == ["通报批评"]

    # c10 胜利社区 (81.67, rank 8) is just outside the bottom three: no label.
    assert s["c10"]["total"] == "81.67"  # 20 + 35/50→18.666… + 18 + 15 + (5 + 2.5 × 2) = 81.666…
    assert s["c10"]["rank"] == 8
    assert s["c10"]["labels"] == []

    # No grading in this scheme: nobody gets a grade.
    assert all(subj["grade"] is None for subj in result["subjects"])


# ---------------------------------------------------------------------------------------------
# 000 篇1: the quarterly ranking rewards (11 communities, 2026-Q1, ratios over the three months)
# ---------------------------------------------------------------------------------------------


def test_000_1_community_quarterly() -> None:
    result, s = run_seed("000-1-community-quarterly")

    # Reference ratios used by most communities: 长效节育 (18 + 19 + 17)/(24 + 25 + 22) = 54/71
    # = 0.7606 ≥ 0.72 → 20; 孕情 (45 + 44 + 46)/(60 + 58 + 60) = 135/178 = 0.7584 ≥ 0.75 → 20;
    # 上报 33/33 → 20.
    # c01: 20 + 20 + 20 + 20 + (6 key × 2 + 3 stage × 1 = 15) = 95 → rank 1 → 2000 元
    assert s["c01"]["scores"]["zdgz"] == "15.00"
    assert s["c01"]["total"] == "95.00"
    assert s["c01"]["rank"] == 1
    assert s["c01"]["rewards"] == {"季度排名奖励": "2000.00"}
    # c02: 20 + 20 + 20 + (20 − 5) + (8 × 2 + 2 × 1 = 18) = 93 → rank 2 → 1500 元
    assert s["c02"]["total"] == "93.00"
    assert s["c02"]["rank"] == 2
    assert s["c02"]["rewards"] == {"季度排名奖励": "1500.00"}
    # c03: 20 + 20 + 20 + 20 + 5 × 2 = 90;
    # c04: 20 + 20 + 上报 (9 + 8 + 10)/(10 + 8 + 12) = 27/30 = 0.9 → 18 + 20 + (5 × 2 + 2 × 1 = 12) = 90.
    # Tied at rank 3: they occupy positions 3 and 4 → (1000 + 0) / 2 = 500 元 each (§9).
    assert s["c04"]["scores"]["rktj"] == "18.00"
    assert s["c03"]["total"] == "90.00"
    assert s["c04"]["total"] == "90.00"
    assert s["c03"]["rank"] == 3
    assert s["c04"]["rank"] == 3
    assert s["c03"]["rewards"] == {"季度排名奖励": "500.00"}
    assert s["c04"]["rewards"] == {"季度排名奖励": "500.00"}
    # c06: 孕情 (33 + 35 + 32)/(48 + 50 + 46) = 100/144 = 0.69444… → 20 × 0.69444…/0.75 = 18.5185…;
    # total = 20 + 18.5185… + 20 + 20 + (4 × 2 + 2 × 1 = 10) = 88.5185… → "88.52", rank 5 → nothing
    assert s["c06"]["scores"]["yqzw"] == "18.52"
    assert s["c06"]["total"] == "88.52"
    assert s["c06"]["rank"] == 5
    assert s["c06"]["rewards"] == {"季度排名奖励": "0.00"}

    # c10: 长效节育 (15 + 14 + 16)/(22 + 20 + 22) = 45/64 = 0.703125 → 20 × 0.703125/0.72 = 19.53125;
    # 孕情 (34 + 36 + 35)/(48 + 50 + 48) = 105/146 = 0.719178… → 20 × 0.719178…/0.75 = 19.178082…;
    # 上报 20; 依法行政 20 − 5 − 10 = 5; 重点工作 6 × 2 + 4 × 1 = 16
    # → total = 79.709332… → "79.71", rank 10 (c09 80.78 is 9th, c08 65.44 11th).
    c10 = s["c10"]
    assert c10["scores"]["ldjy"] == "19.53"
    assert c10["scores"]["yqzw"] == "19.18"
    assert c10["scores"]["yfxz"] == "5.00"
    assert c10["total"] == "79.71"
    assert c10["rank"] == 10
    assert c10["labels"] == ["通报批评"]  # in the last three (rank > 11 − 3) and < 80
    # c09: 20 + 20 + 上报 (8 + 9 + 7)/(9 + 10 + 8) = 24/27 → 17.777… + (20 − 10) + (5 × 2 + 3 = 13)
    # = 80.777… → "80.78": in the last three but not below 80 → no 通报批评
    assert s["c09"]["total"] == "80.78"
    assert s["c09"]["rank"] == 9
    assert s["c09"]["labels"] == []
    # c08: 36/60 = 0.6 → 16.666…; 90/135 → 17.777…; 18/24 = 0.75 → 15; 20 − 10 = 10; 6 stage = 6
    # → 65.444… → "65.44", last: 通报批评 and 末位检讨
    c08 = s["c08"]
    assert c08["total"] == "65.44"
    assert c08["rank"] == 11
    assert sorted(c08["labels"]) == sorted(["通报批评", "末位检讨"])
    assert c08["rewards"] == {"季度排名奖励": "0.00"}
    # the three amounts are paid out in full: 2000 + 1500 + 500 + 500
    paid = sum(Decimal(subj["rewards"]["季度排名奖励"]) for subj in result["subjects"])
    assert paid == Decimal("4500.00")


# ---------------------------------------------------------------------------------------------
# 000 篇3: 矿井现场管理季度总评 (28 units in 7 片区, 2026-Q2), weights 10/60/30
# ---------------------------------------------------------------------------------------------


def test_000_3_mine_site_quarterly() -> None:
    _, s = run_seed("000-3-mine-site-quarterly")

    # 采煤片区 (u01–u04), ranked within the 片区.
    # u01 综采一队: 日常巡查 100 − 4 × 0.5 = 98; 督导 100 − 6 × 0.5 − 1 × 2 = 95;
    # 季度大检查 mean(92, 94, 93) = 93. 总评 = 100 × (10 × 98/100 + 60 × 95/100 + 30 × 93/100)/100
    # = 9.8 + 57 + 27.9 = 94.7 → rank 1 → 3000 元.
    u01 = s["u01"]
    assert u01["scores"]["dtxc"] == "98.00"
    assert u01["scores"]["ddjc"] == "95.00"
    assert u01["scores"]["jdjc"] == "93.00"
    assert u01["scores"]["jdzp"] == "94.70"
    assert u01["total"] == "94.70"
    assert u01["rank"] == 1
    assert u01["labels"] == ["片区前三名"]
    assert u01["rewards"] == {"片区前三名奖励": "3000.00", "末位处罚": "0.00"}

    # u02 综采二队: 100 − 6 × 0.5 − 1 × 2 = 95; 100 − 8 × 0.5 − 2 × 1 (未整改, 加倍) = 94;
    # mean(90, 91, 92) = 91 → 9.5 + 56.4 + 27.3 = 93.2.
    # u03 综采准备队: 100 − 10 × 0.5 = 95; 100 − 7 × 0.5 − 1 × 2 = 94.5; mean(88, 90, 92) = 90
    # → 9.5 + 56.7 + 27 = 93.2. A tie: both rank 2; by_rank gives them the amounts of positions 2
    # and 3 shared equally: (2000 + 1000)/2 = 1500 each (§9).
    u02, u03 = s["u02"], s["u03"]
    assert u02["scores"]["ddjc"] == "94.00"
    assert u03["scores"]["ddjc"] == "94.50"
    assert u02["total"] == "93.20"
    assert u03["total"] == "93.20"
    assert u02["rank"] == 2
    assert u03["rank"] == 2
    assert u02["labels"] == ["片区前三名"]
    assert u03["labels"] == ["片区前三名"]
    assert u02["rewards"]["片区前三名奖励"] == "1500.00"
    assert u03["rewards"]["片区前三名奖励"] == "1500.00"

    # u04 采煤运输队: 100 − 20 × 0.5 − 3 × 2 = 84;
    # 100 − 18 × 0.5 − 3 × 2 − 4 × 1 − 1 × 4 = 100 − 9 − 6 − 4 − 4 = 77; mean(78, 80, 76) = 78
    # → 8.4 + 46.2 + 23.4 = 78.0. Lowest of the 片区 (rank 4 > 4 − 1) and 78 < 80 → 末位处罚,
    # by_label −2000 元; no rank reward (position 4).
    u04 = s["u04"]
    assert u04["scores"]["dtxc"] == "84.00"
    assert u04["scores"]["ddjc"] == "77.00"
    assert u04["scores"]["jdjc"] == "78.00"
    assert u04["total"] == "78.00"
    assert u04["rank"] == 4
    assert u04["labels"] == ["末位处罚"]
    assert u04["rewards"] == {"片区前三名奖励": "0.00", "末位处罚": "-2000.00"}

    # 掘进片区 (u05–u08): u07 开拓队 100 − 3 × 0.5 = 98.5; 100 − 5 × 0.5 = 97.5; mean(95, 94, 96) = 95
    # → 9.85 + 58.5 + 28.5 = 96.85, rank 1 of its own 片区 (ranking scope: group).
    u07 = s["u07"]
    assert u07["total"] == "96.85"
    assert u07["rank"] == 1
    assert u07["rewards"]["片区前三名奖励"] == "3000.00"
    # u05 综掘一队: 100 − 5 × 0.5 = 97.5; 100 − 10 × 0.5 − 1 × 2 = 93; mean(91, 90, 89.5) = 90.1666…
    # → 9.75 + 55.8 + 27.05 = 92.6 → rank 2 (96.85 > 92.6 > 89.8 > 83.6).
    assert s["u05"]["scores"]["jdjc"] == "90.17"
    assert s["u05"]["total"] == "92.60"
    assert s["u05"]["rank"] == 2
    assert s["u05"]["rewards"]["片区前三名奖励"] == "2000.00"
    # u08 岩巷队: 100 − 14 × 0.5 − 2 × 2 = 89; 100 − 16 × 0.5 − 3 × 2 − 3 × 1 = 83; mean(84, 82, 83) = 83
    # → 8.9 + 49.8 + 24.9 = 83.6: lowest of 掘进片区 but not below 80 → no 末位处罚.
    u08 = s["u08"]
    assert u08["total"] == "83.60"
    assert u08["rank"] == 4
    assert u08["labels"] == []
    assert u08["rewards"] == {"片区前三名奖励": "0.00", "末位处罚": "0.00"}


# ---------------------------------------------------------------------------------------------
# 000 篇4: 民生工程目标考核 (6 县(区), 2009); completion with 超额加分, peer_mean
# ---------------------------------------------------------------------------------------------


def test_000_4_livelihood_counties() -> None:
    _, s = run_seed("000-4-livelihood-counties")

    # 湘东区 xd: 城镇新增就业 3100 + 3530 = 6630 vs target 6000 → c = 1.105:
    # 15 × 1 + min(15, 15 × 1% × floor(10.5) = 15 × 0.10 = 1.5) = 16.5 (above the max, allowed).
    xd = s["xd"]
    assert xd["scores"]["xzjy"] == "16.50"
    # 新农合 255000 / 260000 = 0.980769… → 15 × 0.980769… = 14.7115… → "14.71"
    assert xd["scores"]["xnh"] == "14.71"
    # 廉租住房 (400 + 380) / 800 = 0.975 → 15 × 0.975 = 14.625 → half-up "14.63"
    assert xd["scores"]["lzf"] == "14.63"
    # 失业率 lower_better: c = 4.5 / 4.0 = 1.125 → 15 + 15 × 1% × floor(12.5) = 15 + 1.8 = 16.8
    assert xd["scores"]["sylv"] == "16.80"
    # 饮水安全 (15000 + 17400) / 30000 = 1.08 → 15 + 15 × 0.08 = 16.2
    assert xd["scores"]["ysaq"] == "16.20"
    # total = 16.5 + 10 (4000/4000) + 14.7115… + 14.25 (570/600 = 0.95) + 16.2 + 14.625 + 16.8
    # = 103.0865… → "103.09"
    assert xd["total"] == "103.09"
    assert xd["rank"] == 3

    # 莲花县 lh: 新农合 270000 / 250000 = 1.08 exactly → floor((1.08 − 1) × 100) = floor(8) = 8
    # (exact decimal; a float would give 7.999…) → 15 + 15 × 0.08 = 16.2
    lh = s["lh"]
    assert lh["scores"]["xnh"] == "16.20"
    # 失业率 4.5 / 4.5 = 1 → exactly the max, no bonus
    assert lh["scores"]["sylv"] == "15.00"
    # 饮水安全 (20000 + 18000) / 40000 = 0.95 → 14.25
    assert lh["scores"]["ysaq"] == "14.25"

    # 上栗县 ls: 城镇新增就业 4600 / 5000 = 0.92 → 15 × 0.92 = 13.8 (below target: proportional)
    # 失业率 4.5 / 4.8 = 0.9375 → 15 × 0.9375 = 14.0625 → "14.06"
    ls = s["ls"]
    assert ls["scores"]["xzjy"] == "13.80"
    assert ls["scores"]["sylv"] == "14.06"
    # 培训 6180 / 6000 = 1.03 → 10 + 10 × 0.03 = 10.3
    assert ls["scores"]["nlpx"] == "10.30"
    # total = 13.8 + 10.3 + 14.7 (372400/380000 = 0.98) + 15.75 (840/800 = 1.05 → 15 + 0.75)
    #       + 15.75 (47250/45000 = 1.05) + 14.25 (570/600) + 14.0625 = 98.6125 → "98.61", last.
    assert ls["total"] == "98.61"
    assert ls["rank"] == 6

    # Peer means (not_assigned: peer_mean, over the subjects to whom the item is assigned):
    # 饮水安全 assigned to xd 16.2, lh 14.25, ls 15.75, lx 14.7 (34300/35000 = 0.98)
    #   → (16.2 + 14.25 + 15.75 + 14.7) / 4 = 60.9 / 4 = 15.225 → half-up "15.23"
    # 廉租住房 assigned to ay 16.05 (1290/1200 = 1.075 → 15 + 15 × 0.07), xd 14.625,
    #   lh 15.9 (530/500 = 1.06), ls 14.25, lx 15.45 (515/500 = 1.03)
    #   → 76.275 / 5 = 15.255 → half-up "15.26"
    ay, kfq = s["ay"], s["kfq"]
    assert ay["scores"]["ysaq"] == "15.23"
    assert kfq["scores"]["ysaq"] == "15.23"
    assert kfq["scores"]["lzf"] == "15.26"
    assert ay["scores"]["lzf"] == "16.05"

    # 萍乡经济开发区 kfq: 培训 1840 / 800 = 2.3 → 10 + min(bonus_cap 10, 10 × 1% × 130 = 13) = 20
    assert kfq["scores"]["nlpx"] == "20.00"
    # 失业率 4.5 / 3.6 = 1.25 → 15 + 15 × 0.25 = 18.75
    assert kfq["scores"]["sylv"] == "18.75"
    # total = 15.75 (2100/2000 = 1.05) + 20 + 15.45 (41200/40000 = 1.03) + 14.55 (97/100)
    #       + 15.225 + 15.255 + 18.75 = 114.98 → rank 1
    assert kfq["total"] == "114.98"
    assert kfq["rank"] == 1

    # 安源区 ay: 16.05 (8600/8000 = 1.075 → floor 7.5 = 7 → 15 + 1.05) + 9.6 (2880/3000 = 0.96)
    #   + 15.15 (121500/120000 = 1.0125 → floor 1.25 = 1 → 15 + 0.15) + 15.45 (310/300 = 1.0333…
    #   → floor 3.33 = 3 → 15 + 0.45) + 15.225 (peer mean) + 16.05 (lzf)
    #   + 16.05 (4.5/4.2 = 1.0714… → floor 7.14 = 7 → 15 + 1.05) = 103.575 → half-up "103.58", rank 2
    assert ay["scores"]["xnh"] == "15.15"
    assert ay["scores"]["wfgz"] == "15.45"
    assert ay["scores"]["sylv"] == "16.05"
    assert ay["total"] == "103.58"
    assert ay["rank"] == 2

    # 芦溪县 lx 101.45 (15.9 + 10.1 + 15 + 14.7 + 14.7 + 15.45 + 15.6) ranks 4th, 莲花县 lh 101.35
    # (15.3 + 9.4 + 16.2 + 15.3 + 14.25 + 15.9 + 15) 5th.
    assert s["lx"]["total"] == "101.45"
    assert s["lx"]["rank"] == 4
    assert lh["total"] == "101.35"
    assert lh["rank"] == 5


# ---------------------------------------------------------------------------------------------
# 000 篇5: 区党群、人大和政协机关绩效考评 (25 units, 2025): 60 + 40, 激励约束 ±5, grading
# ---------------------------------------------------------------------------------------------


def test_000_5_district_organs() -> None:
    _, s = run_seed("000-5-district-organs")

    # d01 区委办公室
    #  区委重大决策: (40 × 9.5 + 30 × 9 + 30 × 9) / 100 = 920 / 100 = 9.2
    #  区委重大专项: 10 of 10 督办事项 → 8; 会议议定事项: 11 of 12 → 6 × 11/12 = 5.5
    #  个性工作 = 9.2 + 8 + 5.5 = 22.7
    #  接诉即办: months ≥ 95: 96,97,95,96,98,95,96,97,95 (9 × 15); 90–95: 92,93,91 (3 × 13.5)
    #    → (135 + 40.5) / 12 = 14.625 → "14.63"
    #  吹哨报到 14.2; 日常工作 6 − 1 × 0.5 = 5.5; 共性工作 = 14.625 + 14.2 + 5.5 = 34.325 → "34.33"
    #  重点工作 = 22.7 + 34.325 = 57.025 → "57.03"
    #  单位互评: 24 ratings = 18 好, 5 较好, 1 一般; trim one highest (好) and one lowest (一般)
    #    → (17 × 10 + 5 × 8) / 22 = 210 / 22 = 9.5454… → "9.55"
    #  区领导评价: 6 好 + 2 较好 → (6 × 30 + 2 × 26) / 8 = 232 / 8 = 29
    #  综合评价 = 38.5454…; 激励约束 = praise_instruction 2 + experience_promoted 1.5 = 3.5
    #  total = 57.025 + 38.5454… + 3.5 = 99.0704… → "99.07", the best of the 25 → rank 1, 好
    d01 = s["d01"]
    assert d01["scores"]["zdjc"] == "9.20"
    assert d01["scores"]["hyyd"] == "5.50"
    assert d01["scores"]["gxgz"] == "22.70"
    assert d01["scores"]["jsjb"] == "14.63"
    assert d01["scores"]["gtgz"] == "34.33"
    assert d01["scores"]["zdgz"] == "57.03"
    assert d01["scores"]["dwhp"] == "9.55"
    assert d01["scores"]["ldpj"] == "29.00"
    assert d01["scores"]["zhpj"] == "38.55"
    assert d01["scores"]["jljs"] == "3.50"
    assert d01["total"] == "99.07"
    assert d01["rank"] == 1
    assert d01["band_grade"] == "好"
    assert d01["grade"] == "好"
    assert d01["grade_reason"] is None

    # d05 区委网信办
    #  区委重大决策: 区创城办 did not score → weights renormalised over 40 + 30:
    #    (40 × 8.5 + 30 × 9.2) / 70 = (340 + 276) / 70 = 8.8
    #  区委重大专项 5 of 6 → 8 × 5/6 = 6.666… → "6.67"; 会议议定事项 4 of 4 → 6
    #  接诉即办: 88→12, 91→13.5, 84→10.5, 90→13.5, 92→13.5, 79→7.5, 86→12, 90→13.5, 95→15,
    #    88→12, 93→13.5, 90→13.5 → 150 / 12 = 12.5
    #  吹哨报到 13.5; 日常工作: secrecy_breach → zero_when → 0
    #  单位互评: 10 好, 10 较好, 3 一般, 1 差 → drop one 好 and the 差 → (90 + 80 + 18) / 22 = 8.5454…
    #  区领导评价: 3 好, 4 较好, one rater abstained (no grade, not counted) → (90 + 104) / 7 = 27.714…
    #  激励约束: −1.5 (通报批评) − 1 (重要工作未完成) + 1 (突出贡献) = −1.5
    #  total = 8.8 + 6.666… + 6 + 12.5 + 13.5 + 0 + 8.5454… + 27.714… − 1.5 = 82.2264… → "82.23"
    d05 = s["d05"]
    assert d05["scores"]["zdjc"] == "8.80"
    assert d05["scores"]["zdzx"] == "6.67"
    assert d05["scores"]["jsjb"] == "12.50"
    assert d05["scores"]["rcgz"] == "0.00"
    assert d05["scores"]["dwhp"] == "8.55"
    assert d05["scores"]["ldpj"] == "27.71"
    assert d05["scores"]["jljs"] == "-1.50"
    assert d05["total"] == "82.23"
    assert d05["rank"] == 24
    assert d05["grade"] == "较好"

    # d18 团区委
    #  区委重大决策 (40 × 8 + 30 × 8 + 30 × 7) / 100 = 7.7; 专项 3 of 5 → 4.8; 议定 2 of 3 → 4
    #  接诉即办 85→12, 82→10.5, 80→10.5, 78→7.5, 86→12, 88→12, 81→10.5, 79→7.5, 84→10.5, 90→13.5,
    #    83→10.5, 85→12 → 129 / 12 = 10.75
    #  吹哨报到 12; 日常工作 6 − 3 × 0.5 − 1 × 1 = 3.5 → 共性 26.25; 重点工作 16.5 + 26.25 = 42.75
    #  单位互评 4 好, 12 较好, 6 一般, 2 差 → drop a 好 and a 差 → (30 + 96 + 36 + 3) / 22 = 7.5
    #  区领导评价 3 较好 + 5 一般 → (78 + 105) / 8 = 22.875 → "22.88"
    #  激励约束 −2 − 3 − 1.5 = −6.5 → clamped to min −5
    #  total = 42.75 + 7.5 + 22.875 − 5 = 68.125 → half-up "68.13": last, band 较差 (< 70)
    d18 = s["d18"]
    assert d18["scores"]["zdgz"] == "42.75"
    assert d18["scores"]["dwhp"] == "7.50"
    assert d18["scores"]["ldpj"] == "22.88"
    assert d18["scores"]["jljs"] == "-5.00"
    assert d18["total"] == "68.13"
    assert d18["rank"] == 25
    assert d18["band_grade"] == "较差"
    assert d18["grade"] == "较差"

    # Quota: 14 of the 25 units reach 90 (band 好), but 好 is capped at floor(30% × 25) = 7.
    # Ranks 1–7 keep 好 (d13 区档案馆, 91.5377…, is 7th); d14 区委党史研究室 (91.3495…, 8th) and the
    # others down to d19 区妇联 (90.145, 14th) drop to 较好 with grade_reason "quota".
    #  d13: 决策 (40 × 9 + 30 × 8.8 + 30 × 9) / 100 = 8.94; 专项 9/9 → 8; 议定 2/3 → 4;
    #    接诉即办 5 × 15 + 7 × 13.5 = 169.5 / 12 = 14.125; 吹哨 12.7; 日常 6 − 2 × 0.5 = 5;
    #    互评 15/4/3/2 → drop 好 and 差 → (140 + 32 + 18 + 3) / 22 = 8.7727…; 领导 (180 + 52) / 8 = 29;
    #    激励 +1 → total 91.5377…
    #  d14: 决策 (332 + 258 + 252) / 100 = 8.42; 专项 8; 议定 6; 接诉即办 (6 × 15 + 6 × 13.5) / 12
    #    = 14.25; 吹哨 12.6; 日常 6; 互评 13/6/2/3 → (120 + 48 + 12 + 6) / 22 = 8.4545…;
    #    领导 (4 × 30 + 3 × 26 + 15) / 8 = 26.625; 激励 +1 → total 91.3495…
    #  d19: 决策 (316 + 243 + 243) / 100 = 8.02; 专项 8; 议定 6; 接诉即办 (7 × 15 + 4 × 13.5 + 12) / 12
    #    = 14.25; 吹哨 12; 日常 6 − 1 = 5; 互评 12 好 12 较好 → (11 × 10 + 11 × 8) / 22 = 9;
    #    领导 (5 × 30 + 2 × 26 + 21) / 8 = 27.875 → total 90.145
    # (The remaining units' totals follow from the facts in the same way.)
    assert s["d13"]["rank"] == 7
    assert s["d13"]["grade"] == "好"
    assert s["d14"]["rank"] == 8
    assert s["d14"]["band_grade"] == "好"
    assert s["d14"]["grade"] == "较好"
    assert s["d14"]["grade_reason"] == "quota"
    assert s["d19"]["total"] == "90.15"  # 90.145 → half-up
    assert s["d19"]["band_grade"] == "好"
    assert s["d19"]["grade"] == "较好"
    assert s["d19"]["grade_reason"] == "quota"
    # d23 区文联 89.86… is below 90: band 较好, no quota involved
    assert s["d23"]["band_grade"] == "较好"
    assert s["d23"]["grade_reason"] is None
    goods = [sid for sid, subj in s.items() if subj["grade"] == "好"]
    assert len(goods) == 7
