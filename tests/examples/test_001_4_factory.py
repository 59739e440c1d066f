"""001 篇4, the cigarette factory's management departments: the monthly score, the department's
performance-pay total from it, and its split among the department's people (二次分配), from
examples/schemes/001-4-cigarette-factory-departments.*.

Expected values are worked out by hand from the seed's rules as the scheme writes them
(docs/scheme-reference.md §10.1) and the facts file.
"""

from __future__ import annotations

from decimal import Decimal

from tests.examples.seeds import SCHEMES, run_seed

STEM = "001-4-cigarette-factory-departments"


def test_factory_scheme_validates_and_its_facts_have_no_problems() -> None:
    result, subjects = run_seed(STEM)
    assert result["problems"] == []
    assert len(subjects) == 17  # 1 "全厂17个管理科室及二级部门"


def test_department_score_sets_its_pay_total_split_by_post_coefficient_and_own_result() -> None:
    _, s = run_seed(STEM)
    # d01 生产管理科: safety 10 (no event); output 50600/50600 ≥ 1 → 10; quality 240/240 → 10;
    # cost lower_better: budget 20000 / actual 25000 = 0.8 → 10 × 0.8 = 8;
    # key_duties weighted (30 × 60 + 35 × 40) / 100 = 32; service mean(20, 5, 5) = 10 → total 80
    d01 = s["d01"]
    assert (d01["total"], d01["scores"]["cost"], d01["scores"]["key_duties"], d01["scores"]["service"]) == (
        "80.00", "8.00", "32.00", "10.00")
    # the pay total: pay_base 12500 × 80 / 100 = 10000.00
    assert d01["rewards"] == {"月度绩效工资": "10000.00"}
    # weights post_coefficient × score / 100: 科长 1.5 × 100 = 1.5, 科员 1.0 × 90 = 0.9 twice (Σ 3.3)
    # 1000000 cents × 1.5/3.3 = 454545.45…, × 0.9/3.3 = 272727.27… (twice): floors 999999, one cent left,
    # to the largest remainder (.45 > .27): 4545.46 + 2727.27 + 2727.27 = 10000.00
    assert d01["distribution"] == {"月度绩效工资": {"p0101": "4545.46", "p0102": "2727.27", "p0103": "2727.27"}}


def test_equal_remainders_go_to_the_smaller_person_id() -> None:
    _, s = run_seed(STEM)
    # d02 质量管理科: 10 + 10 + 10 + cost 10000/10000 → 10 + key (28 × 60 + 28 × 40)/100 = 28
    # + service mean(15, 15, 5, 20, 5) = 12 → 80; pay 6250 × 0.8 = 5000.00 for three equal people:
    # 500000 cents / 3 = 166666.67 each, floors 499998, two cents to the two smallest ids
    d02 = s["d02"]
    assert (d02["total"], d02["rewards"]["月度绩效工资"]) == ("80.00", "5000.00")
    assert d02["distribution"] == {"月度绩效工资": {"p0201": "1666.67", "p0202": "1666.67", "p0203": "1666.66"}}


def test_every_departments_people_share_exactly_its_amount() -> None:
    _, s = run_seed(STEM)
    for entry in s.values():
        split = entry["distribution"]["月度绩效工资"]
        assert sum(Decimal(v) for v in split.values()) == Decimal(entry["rewards"]["月度绩效工资"]), entry["id"]
        assert len(split) == len(next(x for x in _subjects() if x["id"] == entry["id"])["attributes"]["staff"])


def _subjects() -> list[dict]:  # type: ignore[type-arg]
    import json

    return json.loads((SCHEMES / f"{STEM}.facts.json").read_text(encoding="utf-8"))["subjects"]
