"""§8 labels: top, bottom, shares, where, pooled groups, on final ranks."""

from __future__ import annotations

from kaohe.engine import rank_period
from kaohe.engine.scheme.model import Label, LabelWhere

from ._support import D, column, grading, period, scheme, subject

TOTALS = [("a", "95"), ("b", "90"), ("c", "90"), ("d", "70"), ("e", "55"), ("f", "50")]


def labels_of(labels, subjects=None, **overrides):  # type: ignore[no-untyped-def]
    subjects = subjects or [subject(s, t) for s, t in TOTALS]
    return column(rank_period(period(scheme(labels=tuple(labels), **overrides), subjects)), "labels")


def winners(got: dict[str, list[str]], label: str) -> set[str]:
    return {sid for sid, labels in got.items() if label in labels}


def test_top_includes_everyone_tied_at_the_boundary() -> None:
    # Ranks a 1, b 2, c 2, d 4…; top 2 → a, b, c (rank ≤ 2).
    assert winners(labels_of([Label("通报表扬", top=2)]), "通报表扬") == {"a", "b", "c"}


def test_bottom_is_rank_greater_than_n_minus_n() -> None:
    # N = 6, bottom 3: rank > 3 → d (4), e (5), f (6).
    assert winners(labels_of([Label("末位", bottom=3)]), "末位") == {"d", "e", "f"}


def test_bottom_with_where_labels_only_those_who_fail() -> None:
    # 000 篇1 "倒数3名内未达标": of d 70, e 55, f 50 only those under 60 → e, f.
    label = Label("通报批评", bottom=3, where=LabelWhere(total_lt=D(60)))
    assert winners(labels_of([label]), "通报批评") == {"e", "f"}


def test_where_is_applied_after_the_rank_test() -> None:
    # top 2 with total ≥ 92: the rank test picks a, b, c; only a has ≥ 92. The label does not
    # pass down to anyone else.
    label = Label("先进", top=2, where=LabelWhere(total_gte=D(92)))
    assert winners(labels_of([label]), "先进") == {"a"}


def test_top_share_rounding() -> None:
    # 6 × 30 % = 1.8 → floor 1 (a), ceil 2 (a, b, c: b and c tie at rank 2), round 2.
    def share(rounding: str) -> set[str]:
        return winners(labels_of([Label("表彰", top_share=D("0.3"), rounding=rounding)]), "表彰")  # type: ignore[arg-type]

    assert share("floor") == {"a"}
    assert share("ceil") == {"a", "b", "c"}
    assert share("round") == {"a", "b", "c"}


def test_bottom_share() -> None:
    # 6 × 50 % = 3 → rank > 3: d, e, f.
    assert winners(labels_of([Label("后进", bottom_share=D("0.5"))]), "后进") == {"d", "e", "f"}


def test_where_grade_only_label() -> None:
    # A label with only `where`: every ranked subject of grade 优秀 (≥ 90 here): a, b, c.
    got = labels_of([Label("优秀标兵", where=LabelWhere(grade="优秀"))], grading=grading())
    assert winners(got, "优秀标兵") == {"a", "b", "c"}


def test_top_share_with_where_grade() -> None:
    # "先进": top 50 % of 6 = 3 → a, b, c (ranks 1, 2, 2); grade 优秀 keeps all three.
    label = Label("先进", top_share=D("0.5"), where=LabelWhere(grade="优秀"))
    assert winners(labels_of([label], grading=grading()), "先进") == {"a", "b", "c"}


def test_groups_pool_the_listed_groups_for_that_label() -> None:
    # 002 二十佳: A and B ranked together: b1 99 (1), a1 95 (2), b2 90 (3), a2 80 (4).
    # Top 2 across both → b1, a1, although ranking is per group (a1 and b1 are both rank 1).
    # Group C is not listed: c1 100 gets nothing.
    subjects = [subject("a1", "95", "A"), subject("a2", "80", "A"), subject("b1", "99", "B"),
                subject("b2", "90", "B"), subject("c1", "100", "C")]
    got = labels_of([Label("二十佳", top=2, groups=("A", "B"))], subjects, groups=("A", "B", "C"))
    assert winners(got, "二十佳") == {"b1", "a1"}


def test_labels_use_final_ranks_after_bottom_vetoes() -> None:
    # x 99 has a bottom veto: ranked last (6th of 6) → it gets the bottom label, not the top one.
    subjects = [subject(s, t) for s, t in TOTALS[:5]] + [subject("x", "99", vetoes=["bottom"])]
    got = labels_of([Label("通报表扬", top=1), Label("末位", bottom=1)], subjects)
    assert got["a"] == ["通报表扬"]
    assert got["x"] == ["末位"]


def test_labels_keep_scheme_order_on_a_subject() -> None:
    got = labels_of([Label("乙", top=1), Label("甲", top=2)])
    assert got["a"] == ["乙", "甲"]
