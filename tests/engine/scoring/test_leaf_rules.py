"""Every leaf rule kind of §3.4, with expected values worked out by hand."""

from __future__ import annotations

from decimal import Decimal

from kaohe.engine.scheme.expression import CONTEXT
from tests.engine.scoring._helpers import fact, leaf, run, score_of, subjects

D = Decimal


def one(rule: dict, facts: list[dict], max_: object = 10, **extra: object) -> Decimal:
    return score_of(run([leaf("x", max_, rule, **extra)], facts), "p1", "x")


# ---- manual -----------------------------------------------------------------------------------------

SCORES = [
    fact("f1", "x", "score", points="8", assessor="甲"),
    fact("f2", "x", "score", points=6, assessor="乙"),
    fact("f3", "x", "score", points="9", assessor="丙", date="2026-03-01"),
]


def test_manual_combines() -> None:
    assert one({"kind": "manual"}, SCORES) == CONTEXT.divide(D(23), D(3))  # 50 digits; (8 + 6 + 9) / 3
    assert one({"kind": "manual", "combine": "min"}, SCORES) == 6
    assert one({"kind": "manual", "combine": "max"}, SCORES) == 9
    assert one({"kind": "manual", "combine": "latest"}, SCORES) == 9  # f3 has the latest date


def test_manual_weighted_renormalised_over_who_scored() -> None:
    rule = {"kind": "manual", "combine": "weighted", "assessor_weights": {"甲": 50, "乙": 30, "丁": 20}}
    # 丁 did not score; 丙 has no weight (reported): (50×8 + 30×6) / (50 + 30) = 580 / 80 = 7.25
    result = run([leaf("x", 10, rule)], SCORES)
    assert score_of(result, "p1", "x") == D("7.25")
    assert [p.fact for p in result.problems] == ["f3"]


def test_manual_clamped_to_max() -> None:
    assert one({"kind": "manual"}, [fact("f1", "x", "score", points=12)]) == 10


def test_a_clamped_manual_score_says_it_was_held() -> None:
    """§3.4 "the combined points, clamped": the explanation shows the combined points and that they were held to
    the leaf's max (or to 0), so an office disputing 10 reads where 12 went; a mean within [0, max] is not held."""
    facts = [fact("f1", "a", "score", points=12), fact("f2", "b", "score", points=12),
             fact("f3", "b", "score", points=6), fact("f4", "c", "score", points="-3"),
             fact("f5", "d", "score", points=12, assessor="甲"), fact("f6", "d", "score", points=14, assessor="乙"),
             fact("f7", "e", "score", points="10.5")]
    result = run([leaf("a", 10, {"kind": "manual"}), leaf("b", 10, {"kind": "manual"}),
                  leaf("c", 10, {"kind": "manual"}),
                  leaf("d", 10, {"kind": "manual", "combine": "weighted", "assessor_weights": {"甲": 3, "乙": 1}}),
                  leaf("e", "7.5", {"kind": "manual", "combine": "max"})], facts)
    (p1,) = result.subjects
    assert {code: p1.scores[code] for code in "abcde"} == {"a": 10, "b": 9, "c": 0, "d": 10, "e": D("7.5")}
    assert p1.explain["a"] == "manual mean [f1]: (12) / 1 = 12, held to max 10"
    assert p1.explain["b"] == "manual mean [f2,f3]: (12 + 6) / 2 = 9"  # the mean is within the max
    assert p1.explain["c"] == "manual mean [f4]: (-3) / 1 = -3, held to 0"
    # (3 × 12 + 1 × 14) / 4 = 50 / 4 = 12.5
    assert p1.explain["d"] == "manual weighted [f5,f6]: (乙 14 × 1 + 甲 12 × 3) / 4 = 12.5, held to max 10"  # by name
    assert p1.explain["e"] == "manual max [f7]: max(10.5) = 10.5, held to max 7.5"


# ---- ratio ------------------------------------------------------------------------------------------


def test_ratio_proportional_below_target() -> None:
    rule = {"kind": "ratio", "target": "0.72"}
    # 000 篇1: 54/100 = 0.54 < 0.72 → 10 × 0.54 / 0.72 = 7.5
    facts = [
        fact("f1", "x", "measure", numerator=30, denominator=50),
        fact("f2", "x", "measure", numerator=24, denominator=50),
    ]
    assert one(rule, facts) == D("7.5")
    assert one(rule, [fact("f1", "x", "measure", value="0.72")]) == 10  # inclusive


def test_ratio_below_zero_and_zero_denominator() -> None:
    assert one({"kind": "ratio", "below": "zero"}, [fact("f1", "x", "measure", value="0.9")]) == 0
    zero = [fact("f1", "x", "measure", numerator=0, denominator=0)]
    assert one({"kind": "ratio"}, zero) == 10  # default full
    assert one({"kind": "ratio", "zero_denominator": "zero"}, zero) == 0
    # not_assigned → the node's not_assigned policy (full here)
    assert one({"kind": "ratio", "zero_denominator": "not_assigned"}, zero, not_assigned="full") == 10


def test_ratio_attr_target() -> None:
    result = run(
        [leaf("x", 10, {"kind": "ratio", "target": "attr.goal"})],
        [fact("f1", "x", "measure", value=40)],
        subjects("p1", goal=80),
    )
    assert score_of(result, "p1", "x") == 5  # 10 × 40/80


def test_a_numerator_above_its_denominator_is_reported_where_the_ratio_counts_a_share() -> None:
    """A ratio with a target of at most 100 % counts a part of its denominator (18 of 20 cases due): 21 of 20 is
    a mistake, reported with its id and left out; the other facts still count (docs/decisions.md, "Ratio counts")."""
    facts = [fact("f1", "x", "measure", numerator=18, denominator=20),
             fact("f2", "x", "measure", numerator=21, denominator=20)]
    result = run([leaf("x", 10, {"kind": "ratio", "target": "95%"})], facts)
    # f2 left out: 18/20 = 0.9 < 0.95 → 10 × 0.9 / 0.95 = 9.473684210526315789…
    assert score_of(result, "p1", "x") == CONTEXT.divide(D(9), D("0.95"))
    assert [(p.fact, p.message) for p in result.problems] == [
        ("f2", "the numerator 21 is above the denominator 20: this ratio counts a part of its denominator "
               "(its target is at most 100%), such as 18 of 20 cases due")]
    # the default target (1) counts a share too: 11/10 alone leaves no usable measure → missing: zero
    alone = run([leaf("x", 10, {"kind": "ratio"})], [fact("f1", "x", "measure", numerator=11, denominator=10)])
    assert score_of(alone, "p1", "x") == 0
    assert [p.fact for p in alone.problems] == ["f1"]


def test_a_numerator_above_its_denominator_counts_where_the_scheme_expects_rates_above_one() -> None:
    """A numeric target above 1, a subject's own target (attr.NAME), banded and peer_relative leaves read rates
    that may pass 100 %: 12/10 counts and nothing is reported."""
    over = [fact("f1", "x", "measure", numerator=12, denominator=10)]
    result = run([leaf("x", 10, {"kind": "ratio", "target": "1.5"})], over)
    assert score_of(result, "p1", "x") == 8  # 10 × 1.2 / 1.5
    assert result.problems == []
    result = run([leaf("x", 10, {"kind": "ratio", "target": "attr.goal"})], over, subjects("p1", goal="1.6"))
    assert score_of(result, "p1", "x") == D("7.5")  # 10 × 1.2 / 1.6
    assert result.problems == []
    result = run([leaf("x", 10, {"kind": "banded", "bands": [{"min": "1.1", "points": 10}, {"min": 1, "points": 6}]})],
                 over)
    assert score_of(result, "p1", "x") == 10  # 1.2 ≥ 1.1
    assert result.problems == []


# ---- completion -------------------------------------------------------------------------------------


def test_completion_bonus_whole_points_floor() -> None:
    rule = {"kind": "completion", "target": 100, "bonus_per_point": "1%"}  # "1%" reads as 0.01
    # 000 篇4: value 103.7 → c = 1.037 → 3 whole points (floor of 3.7) → 10 + 10 × 0.01 × 3 = 10.3
    assert one(rule, [fact("f1", "x", "measure", value="103.7")]) == D("10.3")
    # capped by bonus_cap = 2 points: c = 1.5 → 50 points → bonus min(2, 5) = 2 → 12
    assert one({**rule, "bonus_cap": 2}, [fact("f1", "x", "measure", value=150)]) == 12
    # default bonus_cap = max 10: c = 3 → 200 points → bonus min(10, 20) = 10 → 20
    assert one(rule, [fact("f1", "x", "measure", value=300)]) == 20


def test_completion_proportional_zero_and_lower_better() -> None:
    # values summed: 30 + 30 = 60 of 80 → 10 × 0.75 = 7.5
    two = [fact("f1", "x", "measure", value=30), fact("f2", "x", "measure", value=30)]
    assert one({"kind": "completion", "target": 80}, two) == D("7.5")
    assert one({"kind": "completion", "target": 80, "below": "zero"}, two) == 0
    # lower_better: c = target / value = 50 / 60 → 10 × 5/6
    assert one({"kind": "completion", "target": 50, "direction": "lower_better"}, two) == CONTEXT.divide(D(50), D(6))


def test_completion_attr_target() -> None:
    result = run(
        [leaf("x", 10, {"kind": "completion", "target": "attr.goal"})],
        [fact("f1", "x", "measure", value=40)],
        subjects("p1", goal=50),
    )
    assert score_of(result, "p1", "x") == 8  # 10 × 40/50


# ---- deduction --------------------------------------------------------------------------------------

ATTENDANCE = {
    "kind": "deduction",
    "per_event": {"late": 1, "absent": 5},
    "zero_when": [{"type": "late", "count_gte": 10}, {"type": "absent", "count_gte": 2}],
}


def test_deduction_003_attendance() -> None:
    # 003 篇一: 10 − late 3 × 1 − absent 1 × 5 = 2
    facts = [fact("f1", "x", "event", type="late", count=3), fact("f2", "x", "event", type="absent")]
    assert one(ATTENDANCE, facts) == 2
    # late counts add up across events: 6 + 4 = 10 ≥ 10 → 0
    many = [fact("f1", "x", "event", type="late", count=6), fact("f2", "x", "event", type="late", count="4")]
    assert one(ATTENDANCE, many) == 0


def test_zero_when_type_without_per_event_points() -> None:
    # 000 篇5 保密: a breach only zeroes the item; it is not in per_event yet is a known type.
    rule = {"kind": "deduction", "per_event": {"late": 1}, "zero_when": [{"type": "secrecy_breach", "count_gte": 1}]}
    assert one(rule, [fact("f1", "x", "event", type="secrecy_breach")]) == 0
    assert one(rule, [fact("f1", "x", "event", type="late", count=2)]) == 8  # 10 − 2 × 1


def test_deduction_floor_max_deduction_base_justified() -> None:
    facts = [fact("f1", "x", "event", type="late", count=8)]
    assert one({**ATTENDANCE, "floor": 4}, facts) == 4  # max(4, 10 − 8)
    assert one({**ATTENDANCE, "max_deduction": 3}, facts) == 7  # 10 − min(3, 8)
    assert one({**ATTENDANCE, "base": 9}, facts) == 1  # 9 − 8
    justified = [fact("f1", "x", "event", type="absent", count=3, justified=True)]
    assert one(ATTENDANCE, justified) == 10  # 001 篇7: justified events deduct nothing
    assert one({**ATTENDANCE, "justified_exempt": False}, justified) == 0


def test_a_justified_event_is_named_in_the_explanation() -> None:
    """001 篇7: a justified event deducts nothing; the explanation names it, so that an event an appeal excused does
    not vanish from the reasons without a word."""
    rule = {"kind": "deduction", "per_event": {"mass_complaint": 5}, "base": 20}
    facts = [fact("f1", "x", "event", type="mass_complaint"),
             fact("f2", "x", "event", type="mass_complaint", justified=True)]
    (p1,) = run([leaf("x", 20, rule)], facts).subjects
    assert p1.scores["x"] == 15  # 20 − 1 × 5: f2 is not deducted
    assert p1.explain["x"] == "deduction [f1,f2]: 20 − mass_complaint 1 × 5 = 15; justified, not deducted: [f2]"
    (p1,) = run([leaf("x", 20, {**rule, "justified_exempt": False})], facts).subjects
    assert p1.scores["x"] == 10  # both deducted, nothing named
    assert p1.explain["x"] == "deduction [f1,f2]: 20 − mass_complaint 2 × 5 = 10"
    zeroing = {**rule, "zero_when": [{"type": "mass_complaint", "count_gte": 1}]}
    (p1,) = run([leaf("x", 20, zeroing)], facts).subjects
    assert p1.explain["x"] == "deduction [f1,f2]: mass_complaint 1 ≥ 1, no points = 0; justified, not deducted: [f2]"


def test_deduction_unknown_type_is_a_problem() -> None:
    result = run([leaf("x", 10, ATTENDANCE)], [fact("f9", "x", "event", type="sleep")])
    assert [p.fact for p in result.problems] == ["f9"]
    assert score_of(result, "p1", "x") == 10  # the bad fact is left out: nothing deducted


# ---- accrual ----------------------------------------------------------------------------------------

AWARDS = {"kind": "accrual", "levels": {"国家级": 5, "省级": 3, "市级": 2}, "per_event": {"proposal": 1}}


def test_accrual_highest_per_key() -> None:
    # 003 篇三: one matter honoured twice counts once, at its highest level: 5, plus an unkeyed 市级 2 = 7
    facts = [
        fact("f1", "x", "event", level="省级", key="m1"),
        fact("f2", "x", "event", level="国家级", key="m1"),
        fact("f3", "x", "event", level="市级"),
    ]
    assert one(AWARDS, facts) == 7
    assert one({**AWARDS, "highest_per_key": False}, facts) == 10  # 3 + 5 + 2, capped at max 10


def test_accrual_split_participants_and_collective_halving() -> None:
    # 联名建议: proposal 1 point split between 4 participants = 0.25; collective 省级 3 × 0.5 = 1.5
    facts = [
        fact("f1", "x", "event", type="proposal", participants=["p1", "p2", "p3", "p4"]),
        fact("f2", "x", "event", level="省级", collective=True),
    ]
    assert one(AWARDS, facts) == D("1.75")
    assert one({**AWARDS, "shared": "full"}, facts) == D("2.5")  # 1 + 1.5


def test_accrual_signed_points_negative_min() -> None:
    rule = {"kind": "accrual", "min": -5, "max": 5}
    # 奖惩 ±: +2 − 3 × 2 = −4 stays negative (min −5)
    facts = [
        fact("f1", "x", "event", type="reward", points=2),
        fact("f2", "x", "event", type="penalty", points="-3", count=2),
    ]
    assert one(rule, facts, max_=5) == -4
    facts.append(fact("f3", "x", "event", type="penalty", points=-9))
    assert one(rule, facts, max_=5) == -5  # clamped at min


# ---- per_occurrence ---------------------------------------------------------------------------------


def test_per_occurrence_distinct_tasks() -> None:
    # 003 篇三: 3 points over 4 distinct sessions, 3 attended → 3 × 3/4 = 2.25 (t1 reported twice)
    facts = [
        fact(f"f{i}", "x", "task", task_id=t, completed=c)
        for i, (t, c) in enumerate([("t1", True), ("t1", True), ("t2", True), ("t3", False), ("t4", True)])
    ]
    assert one({"kind": "per_occurrence"}, facts, max_=3) == D("2.25")


def test_per_occurrence_none_assigned() -> None:
    assert one({"kind": "per_occurrence"}, [], max_=3) == 3
    assert one({"kind": "per_occurrence", "none_assigned": "zero"}, [], max_=3) == 0


# ---- banded -----------------------------------------------------------------------------------------

MONTHLY = {
    "kind": "banded",
    "each": "month",
    "bands": [{"min": "90%", "points": "1.5"}, {"min": "0.8", "points": 1}, {"min": "0.7", "points": "0.6"}],
}


def test_banded_per_month_mean() -> None:
    # 003 篇三: Jan 0.95 → 1.5, Feb 18/20 = 0.9 → 1.5 (inclusive), Mar 0.75 → 0.6; mean = 3.6 / 3 = 1.2
    facts = [
        fact("f1", "x", "measure", value="0.95", month="2026-01"),
        fact("f2", "x", "measure", numerator=18, denominator=20, month="2026-02"),
        fact("f3", "x", "measure", value="0.75", month="2026-03"),
    ]
    assert one(MONTHLY, facts, max_="1.5") == D("1.2")
    assert one({**MONTHLY, "combine": "sum"}, facts, max_=5) == D("3.6")
    assert one(MONTHLY, [fact("f1", "x", "measure", value="0.5", month="2026-01")], max_="1.5") == 0


def test_banded_period() -> None:
    rule = {**MONTHLY, "each": "period"}
    assert one(rule, [fact("f1", "x", "measure", value="0.85")], max_="1.5") == 1


# ---- rating -----------------------------------------------------------------------------------------

SCALE = {"优秀": 10, "良好": 8, "一般": 6, "较差": 2}


def rating(fid: str, grade: str | None, level: str = "群众", rnd: int = 1, **more: object) -> dict:
    return fact(fid, "x", "rating", grade=grade, level=level, round=rnd, rater=fid, **more)


def test_rating_mean_and_abstention() -> None:
    # 弃权 (no grade) is not counted: (10 + 8 + 6) / 3 = 8
    facts = [rating("r1", "优秀"), rating("r2", "良好"), rating("r3", "一般"), rating("r4", None)]
    assert one({"kind": "rating", "scale": SCALE}, facts) == 8


def test_rating_trim_only_when_enough() -> None:
    rule = {"kind": "rating", "scale": SCALE, "trim": {"highest": 1, "lowest": 1}}
    # 4 ratings > 2: drop 10 and 2 → (8 + 6) / 2 = 7
    facts = [rating("r1", "优秀"), rating("r2", "良好"), rating("r3", "一般"), rating("r4", "较差")]
    assert one(rule, facts) == 7
    # 2 ratings is not more than 2n = 2: no trim → (10 + 2) / 2 = 6
    assert one(rule, [rating("r1", "优秀"), rating("r4", "较差")]) == 6


def test_rating_mean_of_levels_missing_level_full() -> None:
    rule = {
        "kind": "rating",
        "scale": SCALE,
        "combine": "mean_of_levels",
        "levels": ["领导", "同事", "群众"],
        "missing_level": "full",
    }
    # 领导 10; 同事 (8 + 6)/2 = 7; 群众 missing → full 10 (003 篇三): (10 + 7 + 10) / 3 = 9
    facts = [rating("r1", "优秀", "领导"), rating("r2", "良好", "同事"), rating("r3", "一般", "同事")]
    assert one(rule, facts) == 9
    assert one({**rule, "missing_level": "skip"}, facts) == D("8.5")  # (10 + 7) / 2


def test_rating_rounds_averaged_and_min_ratings() -> None:
    # round 1: (10 + 8)/2 = 9; round 2: 6 → (9 + 6) / 2 = 7.5 ("两次评议成绩的平均值")
    facts = [rating("r1", "优秀"), rating("r2", "良好"), rating("r3", "一般", rnd=2)]
    assert one({"kind": "rating", "scale": SCALE}, facts) == D("7.5")
    # min_ratings 5 not met → missing policy full
    assert one({"kind": "rating", "scale": SCALE, "min_ratings": 5}, facts, missing="full") == 10


def test_rating_unknown_grade_reported() -> None:
    result = run([leaf("x", 10, {"kind": "rating", "scale": SCALE})], [rating("r1", "优秀"), rating("r9", "神")])
    assert [p.fact for p in result.problems] == ["r9"]
    assert score_of(result, "p1", "x") == 10


# ---- cases, journal ---------------------------------------------------------------------------------


def test_cases_weighted_average() -> None:
    # 001 篇2: 25 × (2×90 + 1×60) / (100 × 3) = 25 × 240 / 300 = 20
    facts = [fact("c1", "x", "case", case_id="a", points=90, weight=2), fact("c2", "x", "case", case_id="b", points=60)]
    assert one({"kind": "cases"}, facts, max_=25) == 20


def test_journal_excused_and_missing() -> None:
    # weeks: 8, 10, missing (0), excused (left out) → mean (8 + 10 + 0)/3 = 6 → 5 × 6/10 = 3
    facts = [
        fact("j1", "x", "journal", week="2026-W01", points=8, status="accepted"),
        fact("j2", "x", "journal", week="2026-W02", points=10, status="accepted"),
        fact("j3", "x", "journal", week="2026-W03", status="missing"),
        fact("j4", "x", "journal", week="2026-W04", status="excused"),
    ]
    assert one({"kind": "journal", "scale_max": 10}, facts, max_=5) == 3


# ---- cross-subject ----------------------------------------------------------------------------------


def test_rank_points_competition_ties() -> None:
    # 003 篇一: scores 95, 90, 90, 80 → ranks 1, 2, 2, 4 of N=4; bands top 25% → 90, 55% → 80, else 70
    # rank 1 ≤ 1 → 90; rank 2 ≤ 2.2 → 80 (both tied); rank 4 → 70
    indicators = [
        leaf("base", 100, {"kind": "manual"}),
        leaf(
            "rp",
            90,
            {
                "kind": "rank_points",
                "of": "base",
                "bands": [{"top": "25%", "points": 90}, {"top": 0.55, "points": 80}, {"top": 1, "points": 70}],
            },
        ),
    ]
    pts = {"a": 95, "b": 90, "c": 90, "d": 80}
    facts = [fact(f"f{s}", "base", "score", subject=s, points=v) for s, v in pts.items()]
    result = run(indicators, facts, subjects(*pts))
    assert [score_of(result, s, "rp") for s in pts] == [90, 80, 80, 70]


def test_peer_relative_index() -> None:
    # 001 篇8 cost: values 50, 100, 150 → mean 100 → index 0.5, 1, 1.5; lower is better
    rule = {
        "kind": "peer_relative",
        "direction": "lower_better",
        "bands": [
            {"max_index": "0.8", "points": 10},
            {"max_index": "1.2", "points": 6},
            {"max_index": 99, "points": 2},
        ],
    }
    vals = {"a": 50, "b": 100, "c": 150}
    facts = [fact(f"f{s}", "x", "measure", subject=s, value=v) for s, v in vals.items()]
    result = run([leaf("x", 10, rule)], facts, subjects(*vals))
    assert [score_of(result, s, "x") for s in vals] == [10, 6, 2]


def test_no_events_is_full_attendance_not_missing() -> None:
    # 003 篇一 "全勤得10分": a deduction leaf without events scores its base, not the missing policy
    assert one(ATTENDANCE, []) == 10
    assert one(AWARDS, []) == 0  # nothing accrued
    assert one(ATTENDANCE, [], missing="error") == 0  # an explicit missing policy still wins


def test_rating_mean_over_raters_missing_level_counts_as_top_of_scale() -> None:
    # 003 篇三 leader evaluation on a 7/5/3/1/0 scale, leaf max 7: 部门负责人 5 and 分管领导 3 rated,
    # 科室负责人 missing → counted as one full-marks rating 7: (5 + 3 + 7) / 3 = 5
    rule = {
        "kind": "rating",
        "scale": {"优秀": 7, "良好": 5, "一般": 3, "较差": 1, "差": 0},
        "levels": ["部门负责人", "分管领导", "科室负责人"],
        "missing_level": "full",
    }
    facts = [rating("r1", "良好", "部门负责人"), rating("r2", "一般", "分管领导")]
    assert one(rule, facts, max_=7) == 5


def test_a_ratio_below_its_target_shows_its_counts() -> None:
    """18 of 20 cases = 0.9, below the target 95 %: the explanation names the counts, the rate and the target before
    the arithmetic (10 × 0.9 / 0.95 = 9.473684…, six places shown); with below: zero it says so."""
    facts = [fact("f1", "x", "measure", numerator=12, denominator=14), fact("f2", "x", "measure", numerator=6,
                                                                               denominator=6)]
    result = run([leaf("x", 10, {"kind": "ratio", "target": "95%"})], facts)
    assert result.subjects[0].explain["x"] == "ratio [f1,f2]: 18/20 = 0.9 < target 0.95: 10 × 0.9 / 0.95 = 9.473684"
    zero = run([leaf("x", 10, {"kind": "ratio", "target": "95%", "below": "zero"})], facts)
    assert (score_of(zero, "p1", "x"), zero.subjects[0].explain["x"]) == (
        0, "ratio [f1,f2]: 18/20 = 0.9 < target 0.95: below: zero = 0")


def test_a_formula_and_the_total_show_the_values_they_read() -> None:
    """g 6, h 7, attr.bonus 1: (6 + 7) / 2 + 1 = 7.5 within [0, 10]; the total f × 2 = 15. Inputs by name, codes
    before attributes."""
    node = {"code": "f", "name": "f", "max": 10, "aggregate": "formula", "formula": "(h + g) / 2 + attr.bonus",
            "children": [leaf("g", 10, {"kind": "manual"}), leaf("h", 10, {"kind": "manual"})]}
    result = run([node], [fact("f1", "g", "score", points=6), fact("f2", "h", "score", points=7)],
                 subjects("p1", bonus=1), total="f * 2")
    explain = result.subjects[0].explain
    assert explain["f"] == "formula (h + g) / 2 + attr.bonus with g 6, h 7, attr.bonus 1 = 7.5, within [0, 10] = 7.5"
    assert explain["total"] == "total f * 2 with f 7.5 = 15"
