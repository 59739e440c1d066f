"""§7 grading: bands, conditions, veto grades, quotas (cascade, ties), with hand-worked values."""

from __future__ import annotations

from kaohe.engine import rank_period
from kaohe.engine.scheme.model import AttributeCondition, Quota

from ._support import D, bands, column, grading, period, scheme, subject


def grades(the_grading, *subjects):  # type: ignore[no-untyped-def]
    result = rank_period(period(scheme(grading=the_grading), list(subjects)))
    return column(result, "grade"), column(result, "grade_reason"), column(result, "band_grade")


def test_bands_first_match_top_down_min_inclusive() -> None:
    # 90 ≥ 90 → 优秀; 89.99 → 良好; 80 → 良好; 70 → 合格; 69.99 → 不合格 (catch-all).
    got, reasons, band = grades(
        grading(), *(subject(s, t) for s, t in [("a", "90"), ("b", "89.99"), ("c", "80"), ("d", "70"), ("e", "69.99")])
    )
    assert got == {"a": "优秀", "b": "良好", "c": "良好", "d": "合格", "e": "不合格"}
    assert got == band
    assert set(reasons.values()) == {None}


def test_band_with_inclusive_false_needs_strictly_more() -> None:
    # 003 篇一 "高于90分以上的": exactly 90 is 良好, 90.01 is 优秀.
    exclusive = bands(("优秀", "90", False), ("良好", "75"), ("称职", "60"), ("不称职", None))
    got, _, _ = grades(grading(bands=exclusive), subject("a", "90"), subject("b", "90.01"), subject("c", "59"))
    assert got == {"a": "良好", "b": "优秀", "c": "不称职"}


def test_quota_floor_keeps_the_best_ranked() -> None:
    # 5 graded × 25 % = 1.25 → floor 1: a keeps 优秀, b (also ≥ 90) drops to 良好 by quota.
    quota = (Quota("优秀", D("0.25"), "floor"),)
    subjects = [subject("a", "98"), subject("b", "95"), subject("c", "85"), subject("d", "75"), subject("e", "60")]
    got, reasons, band = grades(grading(quotas=quota), *subjects)
    assert got == {"a": "优秀", "b": "良好", "c": "良好", "d": "合格", "e": "不合格"}
    assert reasons == {"a": None, "b": "quota", "c": None, "d": None, "e": None}
    assert band["b"] == "优秀"


def test_quota_ceil_rounds_up() -> None:
    # 5 × 25 % = 1.25 → ceil 2: a and b keep 优秀, c drops.
    quota = (Quota("优秀", D("0.25"), "ceil"),)
    subjects = [subject("a", "98"), subject("b", "95"), subject("c", "93"), subject("d", "75"), subject("e", "60")]
    got, reasons, _ = grades(grading(quotas=quota), *subjects)
    assert got == {"a": "优秀", "b": "优秀", "c": "良好", "d": "合格", "e": "不合格"}
    assert reasons["c"] == "quota"


def test_quota_cascade_applies_the_next_grade_quota_again() -> None:
    # 10 subjects; 优秀 quota floor(10 × 20 %) = 2, 良好 quota floor(10 × 30 %) = 3.
    # Bands: s0..s5 ≥ 90 (six 优秀 by band), s6..s9 80-89 (良好 by band).
    # 优秀: s0, s1 keep; s2..s5 drop to 良好 → 良好 now holds s2..s9 (8).
    # 良好: best three s2, s3, s4 keep; s5..s9 drop to 合格.
    quotas = (Quota("优秀", D("0.2")), Quota("良好", D("0.3")))
    totals = ["99", "98", "97", "96", "95", "94", "89", "88", "87", "86"]
    subjects = [subject(f"s{i}", t) for i, t in enumerate(totals)]
    got, reasons, _ = grades(grading(quotas=quotas), *subjects)
    assert got == {
        "s0": "优秀", "s1": "优秀", "s2": "良好", "s3": "良好", "s4": "良好",
        "s5": "合格", "s6": "合格", "s7": "合格", "s8": "合格", "s9": "合格",
    }
    # s5 fell two grades, both by quota; s6..s9 were 良好 by band and fell by quota.
    assert {k for k, v in reasons.items() if v == "quota"} == {"s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"}


def test_ties_at_quota_exclude_drops_everyone_tied_at_the_boundary() -> None:
    # 4 × 50 % = 2 seats; a 98 keeps; b and c tie at 95 across the boundary → both drop.
    quota = (Quota("优秀", D("0.5")),)
    subjects = [subject("a", "98"), subject("b", "95"), subject("c", "95"), subject("d", "91")]
    got, _, _ = grades(grading(quotas=quota, ties_at_quota="exclude"), *subjects)
    assert got == {"a": "优秀", "b": "良好", "c": "良好", "d": "良好"}


def test_ties_at_quota_include_keeps_everyone_tied_at_the_boundary() -> None:
    # Same 2 seats; b and c tie on the second seat → both keep, so 3 hold 优秀; d drops.
    quota = (Quota("优秀", D("0.5")),)
    subjects = [subject("a", "98"), subject("b", "95"), subject("c", "95"), subject("d", "91")]
    got, _, _ = grades(grading(quotas=quota, ties_at_quota="include"), *subjects)
    assert got == {"a": "优秀", "b": "优秀", "c": "优秀", "d": "良好"}


def test_tie_not_across_the_boundary_changes_nothing() -> None:
    # 2 seats; a and b tie at 98 inside the quota, c 95 is simply the third: only c drops.
    quota = (Quota("优秀", D("0.5")),)
    subjects = [subject("a", "98"), subject("b", "98"), subject("c", "95"), subject("d", "50")]
    for ties in ("exclude", "include"):
        got, _, _ = grades(grading(quotas=quota, ties_at_quota=ties), *subjects)
        assert got == {"a": "优秀", "b": "优秀", "c": "良好", "d": "不合格"}


def test_ungraded_subjects_do_not_count_towards_the_quota() -> None:
    # 5 subjects, 1 ungraded: 4 graded × 40 % = 1.6 → 1 seat (5 × 40 % would give 2).
    # b keeps 优秀, c drops to 良好.
    quota = (Quota("优秀", D("0.4")),)
    ungraded = (AttributeCondition("under_investigation", "eq", True),)
    subjects = [
        subject("a", "99", attributes={"under_investigation": True}),
        subject("b", "98"), subject("c", "97"), subject("d", "70"), subject("e", "60"),
    ]
    got, _, band = grades(grading(quotas=quota, ungraded_when=ungraded), *subjects)
    assert got == {"a": None, "b": "优秀", "c": "良好", "d": "合格", "e": "不合格"}
    assert band["a"] is None


def test_force_and_max_grade_conditions() -> None:
    # 003 篇一 "当季旷工累计超过2个工作日的…不称职"; leave > 15 days caps at 良好.
    the_grading = grading(
        force_grade_when=(AttributeCondition("absent_days", "gt", 2, grade="不合格"),),
        max_grade_when=(AttributeCondition("leave_days", "gt", 15, grade="良好"),),
    )
    subjects = [
        subject("a", "95", attributes={"absent_days": 3}),
        subject("b", "95", attributes={"leave_days": 16}),
        subject("c", "85", attributes={"leave_days": 16}),  # already 良好: the cap changes nothing
        subject("d", "95", attributes={"absent_days": 2, "leave_days": 15}),
    ]
    got, reasons, _ = grades(the_grading, *subjects)
    assert got == {"a": "不合格", "b": "良好", "c": "良好", "d": "优秀"}
    assert reasons == {"a": "condition", "b": "condition", "c": None, "d": None}


def test_a_forced_grade_takes_its_quota_seat_first() -> None:
    # 优秀 has floor(4 × 25 %) = 1 seat. z is forced to 优秀 by a condition (score 70),
    # so the seat is taken; a (95, band 优秀) drops by quota.
    the_grading = grading(
        quotas=(Quota("优秀", D("0.25")),),
        force_grade_when=(AttributeCondition("hero", "eq", True, grade="优秀"),),
    )
    subjects = [subject("a", "95"), subject("b", "85"), subject("c", "75"),
                subject("z", "70", attributes={"hero": True})]
    got, reasons, _ = grades(the_grading, *subjects)
    assert got == {"a": "良好", "b": "良好", "c": "合格", "z": "优秀"}
    assert reasons == {"a": "quota", "b": None, "c": None, "z": "condition"}


def test_capped_subject_competes_for_the_lower_quota() -> None:
    # 良好 quota floor(4 × 25 %) = 1. a (95) is capped from 优秀 to 良好 by a condition and
    # ranks first, so a keeps 良好 and b (85, band 良好) drops to 合格 by quota.
    the_grading = grading(
        quotas=(Quota("良好", D("0.25")),),
        max_grade_when=(AttributeCondition("leave_days", "gt", 15, grade="良好"),),
    )
    subjects = [subject("a", "95", attributes={"leave_days": 20}), subject("b", "85"),
                subject("c", "75"), subject("d", "50")]
    got, reasons, _ = grades(the_grading, *subjects)
    assert got == {"a": "良好", "b": "合格", "c": "合格", "d": "不合格"}
    assert reasons == {"a": "condition", "b": "quota", "c": None, "d": None}
