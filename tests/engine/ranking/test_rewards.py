"""§9 rewards: by_grade with prorate, by_rank ties, pool largest remainder, by_label."""

from __future__ import annotations

from kaohe.engine import rank_period
from kaohe.engine.ranking import largest_remainder
from kaohe.engine.scheme.expression import compile_expression
from kaohe.engine.scheme.model import Label, Ranking, Reward

from ._support import D, column, grading, period, scheme, subject


def rewards_of(rewards, subjects, **overrides):  # type: ignore[no-untyped-def]
    result = rank_period(period(scheme(rewards=tuple(rewards), **overrides), subjects))
    return column(result, "rewards"), result


def test_by_grade_with_prorate_clamped() -> None:
    # 003 篇一: 优秀 2100, 良好 1800, 称职 1500, prorated by months_in_post / 3.
    # a 95 优秀, 3 months → 2100; b 85 良好, 2 months → 1800 × 2/3 = 1200.00;
    # c 75 合格, 1 month → 1500 × 1/3 = 500.00; d 96 优秀, 4 months → clamped to 1 → 2100;
    # e 50 不合格 → not in the table → 0.00.
    reward = Reward(
        "季度绩效奖金",
        by_grade={"优秀": D(2100), "良好": D(1800), "合格": D(1500)},
        prorate=compile_expression("attr.months_in_post / 3"),
    )
    months = {"a": 3, "b": 2, "c": 1, "d": 4, "e": 3}
    totals = {"a": "95", "b": "85", "c": "75", "d": "96", "e": "50"}
    subjects = [subject(s, totals[s], attributes={"months_in_post": m}) for s, m in months.items()]
    got, _ = rewards_of([reward], subjects, grading=grading())
    assert {s: r["季度绩效奖金"] for s, r in got.items()} == {
        "a": "2100.00", "b": "1200.00", "c": "500.00", "d": "2100.00", "e": "0.00",
    }


def test_prorate_thirds_round_half_up_on_output() -> None:
    # 1000 × 1/3 = 333.333… → "333.33"; 1000 × 2/3 = 666.666… → "666.67".
    reward = Reward("奖", by_grade={"优秀": D(1000)}, prorate=compile_expression("attr.m / 3"))
    subjects = [subject("a", "95", attributes={"m": 1}), subject("b", "95", attributes={"m": 2})]
    got, _ = rewards_of([reward], subjects, grading=grading())
    assert got == {"a": {"奖": "333.33"}, "b": {"奖": "666.67"}}


def test_by_rank_ties_share_the_positions_they_occupy() -> None:
    # 000 篇1: 2000 / 1500 / 1000. a 1st → 2000; b and c tie at 2nd, occupying positions 2 and 3
    # → (1500 + 1000) / 2 = 1250 each; d 4th → 0.
    reward = Reward("季度排名奖励", by_rank=(D(2000), D(1500), D(1000)))
    subjects = [subject("a", "95"), subject("b", "90"), subject("c", "90"), subject("d", "80")]
    got, _ = rewards_of([reward], subjects)
    assert {s: r["季度排名奖励"] for s, r in got.items()} == {
        "a": "2000.00", "b": "1250.00", "c": "1250.00", "d": "0.00",
    }


def test_by_rank_tie_running_past_the_list_and_thirds() -> None:
    # a, b, c tie at 2nd, occupying 2, 3, 4: 1500 + 1000 + 0 = 250000 cents / 3 = 83333 each, 1 cent left to
    # the first listed, a: 833.34 + 833.33 + 833.33 = 2500.00.
    reward = Reward("奖", by_rank=(D(2000), D(1500), D(1000)))
    subjects = [subject("z", "99"), subject("a", "90"), subject("b", "90"), subject("c", "90")]
    got, _ = rewards_of([reward], subjects)
    assert {s: r["奖"] for s, r in got.items()} == {"z": "2000.00", "a": "833.34", "b": "833.33", "c": "833.33"}


def test_by_rank_scope_all_while_ranking_by_group() -> None:
    # Ranking per group (a1 and b1 both rank 1), but the reward ranks everyone together:
    # b1 99 → 2000, a1 95 → 1500, b2 90 → 1000.
    reward = Reward("奖", by_rank=(D(2000), D(1500), D(1000)), scope="all")
    subjects = [subject("a1", "95", "A"), subject("b1", "99", "B"), subject("b2", "90", "B")]
    got, _ = rewards_of([reward], subjects)
    assert {s: r["奖"] for s, r in got.items()} == {"a1": "1500.00", "b1": "2000.00", "b2": "1000.00"}


def test_pool_largest_remainder_three_ways() -> None:
    # 100.00 / 3 = 33.333…: floors 33.33 × 3 = 99.99, one cent left; equal remainders go by id:
    # a gets it. 33.34 + 33.33 + 33.33 = 100.00.
    reward = Reward("绩效工资", pool=D(100), weight=compile_expression("1"), scope="all")
    got, _ = rewards_of([reward], [subject(s, "80", g) for s, g in (("c", "A"), ("a", "B"), ("b", "A"))])
    assert {s: r["绩效工资"] for s, r in got.items()} == {"a": "33.34", "b": "33.33", "c": "33.33"}


def test_pool_proportional_to_weight() -> None:
    # 001 篇4: pool 1000, weights total × coefficient: a 90 × 1.2 = 108, b 80 × 1 = 80,
    # c 70 × 1 = 70; Σ = 258. Exact cents: a 100000 × 108/258 = 41860.465…, b 31007.751…,
    # c 27131.782…; floors 41860 + 31007 + 27131 = 99998, two cents left: largest remainders
    # b .751 and c .782 → b 310.08, c 271.32, a 418.60. Sum 1000.00.
    reward = Reward("绩效工资", pool=D(1000), weight=compile_expression("total * attr.k"))
    subjects = [subject("a", "90", attributes={"k": "1.2"}), subject("b", "80", attributes={"k": 1}),
                subject("c", "70", attributes={"k": 1})]
    got, _ = rewards_of([reward], subjects)
    assert {s: r["绩效工资"] for s, r in got.items()} == {"a": "418.60", "b": "310.08", "c": "271.32"}


def test_pool_excludes_no_reward_subjects() -> None:
    # x is barred: the pool of 100 is split between a and b only.
    reward = Reward("池", pool=D(100), weight=compile_expression("1"))
    subjects = [subject("a", "80"), subject("b", "70"), subject("x", "90", vetoes=["no_reward"])]
    got, _ = rewards_of([reward], subjects)
    assert got == {"a": {"池": "50.00"}, "b": {"池": "50.00"}, "x": {"池": "0.00"}}


def test_pool_with_only_zero_weights_is_a_problem() -> None:
    reward = Reward("池", pool=D(100), weight=compile_expression("attr.k"))
    got, result = rewards_of([reward], [subject("a", "80", attributes={"k": 0})])
    assert got == {"a": {"池": "0.00"}}
    assert result["problems"][0]["pointer"] == "/rewards/0"


def test_largest_remainder_direct() -> None:
    assert largest_remainder(D("0.05"), {"a": D(1), "b": D(1)}) == {"a": D("0.03"), "b": D("0.02")}
    assert largest_remainder(D(10), {"a": D(0)}) is None


def test_by_label_negative_amounts_and_several_labels_sum() -> None:
    # 000 篇3 末位处罚 −500; a subject holding both 通报批评 (−200) and 末位处罚 pays −700.
    labels = (Label("末位处罚", bottom=1), Label("通报批评", bottom=2))
    reward = Reward("奖惩", by_label={"末位处罚": D(-500), "通报批评": D(-200), "通报表扬": D(300)})
    subjects = [subject("a", "95"), subject("b", "60"), subject("c", "50")]
    got, _ = rewards_of([reward], subjects, labels=labels)
    assert got == {"a": {"奖惩": "0.00"}, "b": {"奖惩": "-200.00"}, "c": {"奖惩": "-700.00"}}


def test_every_reward_appears_for_every_subject_including_ungraded() -> None:
    from kaohe.engine.scheme.model import AttributeCondition

    the_grading = grading(ungraded_when=(AttributeCondition("new", "eq", True),))
    rewards = [Reward("甲", by_grade={"优秀": D(1)}), Reward("乙", by_rank=(D(5),)), Reward("丙", by_label={})]
    subjects = [subject("a", "95", attributes={"new": True}), subject("b", "50")]
    got, _ = rewards_of(rewards, subjects, grading=the_grading, ranking=Ranking(rank_ungraded=False))
    assert got == {
        "a": {"甲": "0.00", "乙": "0.00", "丙": "0.00"},
        "b": {"甲": "0.00", "乙": "5.00", "丙": "0.00"},
    }
