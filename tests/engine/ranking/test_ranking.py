"""§6 ranking and §11 output formats, with values worked out by hand."""

from __future__ import annotations

from kaohe.engine import rank_period

from ._support import Ranking, column, grading, period, scheme, subject


def test_competition_ranking_ties_share_the_best_rank() -> None:
    # 95 > 90 = 90 > 80: ranks 1, 2, 2, then 4 (the third place is taken by the tie).
    result = rank_period(
        period(scheme(), [subject("a", "95"), subject("b", "90"), subject("c", "90"), subject("d", "80")])
    )
    assert column(result, "rank") == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert [s["id"] for s in result["subjects"]] == ["a", "b", "c", "d"]


def test_ties_are_on_full_precision_not_on_the_rounded_output() -> None:
    # 88.404 and 88.401 both print as "88.40", but 88.404 ranks first.
    result = rank_period(period(scheme(), [subject("a", "88.401"), subject("b", "88.404")]))
    assert column(result, "rank") == {"b": 1, "a": 2}
    assert column(result, "total") == {"a": "88.40", "b": "88.40"}


def test_later_order_keys_break_ties() -> None:
    # Totals tie at 90; regular 50 beats 45, so b is first; a and c tie on both keys: 2, 2.
    the_scheme = scheme(ranking=Ranking(order=("total", "regular")))
    subjects = [
        subject("a", "90", scores={"regular": "45"}),
        subject("b", "90", scores={"regular": "50"}),
        subject("c", "90", scores={"regular": "45"}),
    ]
    assert column(rank_period(period(the_scheme, subjects)), "rank") == {"b": 1, "a": 2, "c": 2}


def test_ascending_keys_rank_the_lowest_first() -> None:
    # 001 篇8 cost: lower is better; 3.5 < 4 < 7.
    the_scheme = scheme(ranking=Ranking(order=("cost",), ascending=frozenset({"cost"})))
    subjects = [subject(s, "0", scores={"cost": c}) for s, c in (("a", "7"), ("b", "3.5"), ("c", "4"))]
    assert column(rank_period(period(the_scheme, subjects)), "rank") == {"b": 1, "c": 2, "a": 3}


def test_scope_group_ranks_each_group_apart_and_orders_by_group() -> None:
    subjects = [subject("a1", "70", "A"), subject("b1", "99", "B"), subject("a2", "80", "A")]
    result = rank_period(period(scheme(), subjects))
    assert column(result, "rank") == {"a2": 1, "a1": 2, "b1": 1}
    # Scheme group order A, B; then rank.
    assert [s["id"] for s in result["subjects"]] == ["a2", "a1", "b1"]


def test_scope_all_ranks_everyone_together() -> None:
    subjects = [subject("a1", "70", "A"), subject("b1", "99", "B"), subject("a2", "80", "A")]
    result = rank_period(period(scheme(ranking=Ranking(scope="all")), subjects))
    assert column(result, "rank") == {"b1": 1, "a2": 2, "a1": 3}
    assert [s["id"] for s in result["subjects"]] == ["b1", "a2", "a1"]


def test_rank_ungraded_false_leaves_ungraded_subjects_unranked() -> None:
    from kaohe.engine.scheme.model import AttributeCondition

    ungraded = (AttributeCondition("service_days", "lt", 20),)
    the_scheme = scheme(
        grading=grading(ungraded_when=ungraded), ranking=Ranking(rank_ungraded=False)
    )
    subjects = [
        subject("a", "95", attributes={"service_days": 10}),
        subject("b", "85", attributes={"service_days": 60}),
        subject("c", "75", attributes={"service_days": 60}),
    ]
    result = rank_period(period(the_scheme, subjects))
    assert column(result, "rank") == {"b": 1, "c": 2, "a": None}
    assert column(result, "grade")["a"] is None
    assert [s["id"] for s in result["subjects"]] == ["b", "c", "a"]


def test_ungraded_subjects_are_ranked_by_default() -> None:
    from kaohe.engine.scheme.model import AttributeCondition

    the_scheme = scheme(grading=grading(ungraded_when=(AttributeCondition("new", "eq", True),)))
    subjects = [subject("a", "95", attributes={"new": True}), subject("b", "85")]
    result = rank_period(period(the_scheme, subjects))
    assert column(result, "rank") == {"a": 1, "b": 2}
    assert column(result, "grade") == {"a": None, "b": "良好"}
    assert column(result, "band_grade") == {"a": None, "b": "良好"}


def test_rounding_is_half_up_with_exact_decimals() -> None:
    # 88.405 → "88.41" (half-up, not banker's 88.40); 88.4 → "88.40"; 0.125 → "0.13".
    subjects = [subject("a", "88.405", scores={"x": "0.125", "y": "88.4"})]
    entry = rank_period(period(scheme(), subjects))["subjects"][0]
    assert entry["total"] == "88.41"
    assert entry["scores"] == {"x": "0.13", "y": "88.40"}


def test_precision_zero_and_three() -> None:
    subjects = [subject("a", "88.5"), subject("b", "7.0005", "B")]
    assert column(rank_period(period(scheme(precision=0), subjects)), "total") == {"a": "89", "b": "7"}
    three = rank_period(period(scheme(precision=3), subjects))
    assert column(three, "total") == {"a": "88.500", "b": "7.001"}


def test_subject_document_has_the_spec_keys_in_order() -> None:
    result = rank_period(period(scheme(), [subject("p001", "88.4", name="张三")]))
    assert list(result) == ["scheme", "version", "period", "inputs_sha256", "subjects", "problems"]
    assert list(result["subjects"][0]) == [
        "id", "name", "group", "total", "scores", "rank", "band_grade", "grade",
        "grade_reason", "labels", "rewards", "flags", "explain",
    ]
    assert result["subjects"][0]["name"] == "张三"
    assert "name" not in rank_period(period(scheme(), [subject("p002", "1")]))["subjects"][0]
