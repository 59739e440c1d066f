"""Aggregation (§3.1), node options (§3.2), total, vetoes (§5) and fact problems (§4)."""

from __future__ import annotations

from decimal import Decimal

from kaohe.engine.scheme.expression import CONTEXT
from tests.engine.scoring._helpers import fact, leaf, run, score_of, subjects

D = Decimal
MANUAL = {"kind": "manual"}


def pts(fid: str, code: str, points: object, subject: str = "p1") -> dict:
    return fact(fid, code, "score", subject=subject, points=points)


def test_sum_with_bonus_on_top_of_cap() -> None:
    tree = [
        {
            "code": "p",
            "name": "工作",
            "max": 10,
            "cap": True,
            "children": [leaf("a", 8, MANUAL), leaf("b", 8, MANUAL), leaf("plus", 3, MANUAL, bonus=True)],
        }
    ]
    # min(7 + 6, 10) + bonus 2 = 12: 激励约束 comes on top of the capped regular points
    result = run(tree, [pts("f1", "a", 7), pts("f2", "b", 6), pts("f3", "plus", 2)])
    assert score_of(result, "p1", "p") == 12
    assert result.subjects[0].total == 12


def test_negative_bonus_lowers_parent() -> None:
    tree = [
        {
            "code": "p",
            "name": "p",
            "max": 10,
            "children": [leaf("a", 10, MANUAL), leaf("adj", 5, {"kind": "accrual", "min": -5}, bonus=True)],
        }
    ]
    result = run(tree, [pts("f1", "a", 9), fact("f2", "adj", "event", type="x", points=-3)])
    assert score_of(result, "p1", "p") == 6  # 9 − 3


def test_weighted_mean_formula() -> None:
    kids = [leaf("a", 10, MANUAL, weight=50), leaf("b", 20, MANUAL, weight="25%"), leaf("c", 40, MANUAL, weight=25)]
    facts = [pts("f1", "a", 8), pts("f2", "b", 10), pts("f3", "c", 40)]
    # weighted: 100 × (50 × 8/10 + 25 × 10/20 + 25 × 40/40) / 100 = 40 + 12.5 + 25 = 77.5
    weighted = run([{"code": "p", "name": "p", "max": 100, "aggregate": "weighted", "children": kids}], facts)
    assert score_of(weighted, "p1", "p") == D("77.5")
    # mean: 90 × (0.8 + 0.5 + 1) / 3 = 90 × 2.3 / 3 = 69
    mean_kids = [{k: v for k, v in kid.items() if k != "weight"} for kid in kids]
    mean = run([{"code": "p", "name": "p", "max": 90, "aggregate": "mean", "children": mean_kids}], facts)
    assert score_of(mean, "p1", "p") == 69
    formula = run(
        [
            {
                "code": "p",
                "name": "p",
                "max": 50,
                "aggregate": "formula",
                "formula": "a * 60% + b + c / 4",
                "children": mean_kids,
            }
        ],
        facts,
    )
    assert score_of(formula, "p1", "p") == D("24.8")  # 4.8 + 10 + 10


def test_default_total_and_expression_total() -> None:
    tree = [leaf("a", 60, MANUAL), leaf("b", 40, MANUAL)]
    facts = [pts("f1", "a", 50), pts("f2", "b", 30)]
    assert run(tree, facts).subjects[0].total == 80
    assert run(tree, facts, total="a * 0.6 + b * 0.4").subjects[0].total == D("42")  # 30 + 12


def test_applies_to_groups_and_not_assigned_zero_full() -> None:
    tree = [leaf("a", 10, MANUAL, applies_to=["A"]), leaf("b", 10, MANUAL, applies_to=["A"], not_assigned="full")]
    subs = subjects("p1") + subjects("p2", group="B")
    result = run(tree, [pts("f1", "a", 5), pts("f2", "b", 5), pts("f3", "a", 7, "p2")], subs)
    assert score_of(result, "p2", "a") == 0  # not assigned: its facts are not used
    assert score_of(result, "p2", "b") == 10
    assert "not assigned" in result.subjects[1].explain["a"]


def test_applies_to_attribute() -> None:
    tree = [leaf("a", 10, MANUAL, applies_to={"attribute": "leader", "eq": True})]
    subs = subjects("p1", leader=True) + subjects("p2", leader=False)
    result = run(tree, [pts("f1", "a", 5), pts("f2", "a", 6, "p2")], subs)
    assert [score_of(result, s, "a") for s in ("p1", "p2")] == [5, 0]


def test_peer_mean_group_and_all_excludes_unassigned() -> None:
    # assigned: a1 (A) 6, a2 (A) 8, b1 (B) 2; u (A) and v (B) not assigned (attribute)
    subs = (
        subjects("a1", "a2", group="A", on=1)
        + subjects("b1", group="B", on=1)
        + subjects("u", group="A", on=0)
        + subjects("v", group="B", on=0)
    )
    facts = [pts("f1", "x", 6, "a1"), pts("f2", "x", 8, "a2"), pts("f3", "x", 2, "b1")]
    group = [
        leaf(
            "x",
            10,
            MANUAL,
            applies_to={"attribute": "on", "eq": 1},
            not_assigned={"peer_mean": True, "peer_scope": "group"},
        )
    ]
    result = run(group, facts, subs)
    assert score_of(result, "u", "x") == 7  # (6 + 8) / 2 within A
    assert score_of(result, "v", "x") == 2  # only b1 in B
    everyone = [dict(group[0], not_assigned="peer_mean")]
    result = run(everyone, facts, subs)
    assert score_of(result, "u", "x") == CONTEXT.divide(D(16), D(3))  # (6 + 8 + 2) / 3, u and v themselves excluded


def _work_with_key_project(top: int, *more: dict) -> list[dict]:
    """regular (60) and key (30, only for has_key subjects, its max moving to regular), then `more`."""
    only_some = {"attribute": "has_key", "eq": True}
    key = leaf("key", 30, MANUAL, applies_to=only_some, not_assigned={"transfer_to": "regular"})
    return [{"code": "work", "name": "工作", "max": top, "children": [leaf("regular", 60, MANUAL), key, *more]}]


def test_transfer_to_sibling() -> None:
    # 003 篇一: no key project → regular (60) is scored out of 90: 45 × (60 + 30) / 60 = 67.5
    tree = _work_with_key_project(90)
    subs = subjects("p1", has_key=False) + subjects("p2", has_key=True)
    result = run(tree, [pts("f1", "regular", 45), pts("f2", "regular", 45, "p2"), pts("f3", "key", 20, "p2")], subs)
    assert score_of(result, "p1", "regular") == D("67.5")
    assert score_of(result, "p1", "key") == 0
    assert score_of(result, "p1", "work") == D("67.5")
    assert score_of(result, "p2", "work") == 65  # unchanged: 45 + 20


def test_missing_policies() -> None:
    tree = [leaf("a", 10, MANUAL), leaf("b", 10, MANUAL, missing="full"), leaf("c", 10, MANUAL, missing="error")]
    result = run(tree, [])
    assert [score_of(result, "p1", c) for c in "abc"] == [0, 10, 0]
    assert [(p.subject, "c (c)" in p.message) for p in result.problems] == [("p1", True)]


def test_inherited_unassignment() -> None:
    tree = [
        {
            "code": "p",
            "name": "p",
            "max": 10,
            "applies_to": ["B"],
            "not_assigned": "full",
            "children": [leaf("a", 10, MANUAL)],
        }
    ]
    result = run(tree, [pts("f1", "a", 3)])
    assert score_of(result, "p1", "p") == 10
    assert score_of(result, "p1", "a") == 0


def test_zero_total_veto_and_hits() -> None:
    vetoes = [{"event": "serious", "effect": "zero_total"}, {"event": "late_report", "effect": {"bottom": 3}}]
    facts = [
        pts("f1", "a", 9),
        fact("f3", None, "event", type="late_report"),
        fact("f2", None, "event", type="serious"),
    ]
    result = run([leaf("a", 10, MANUAL)], facts, vetoes=vetoes)
    subject = result.subjects[0]
    assert subject.total == 0 and subject.scores["a"] == 9
    assert [(h.veto.event, h.fact) for h in subject.vetoes] == [("serious", "f2"), ("late_report", "f3")]
    assert subject.flags == [{"veto": "serious", "effect": "zero_total", "fact": "f2"}]


def test_bad_facts_are_problems_not_exceptions() -> None:
    facts = [
        pts("f1", "a", 9),
        pts("f2", "zz", 1),
        pts("f3", "a", 1, "ghost"),
        fact("f4", "a", "event", type="x"),
        pts("f5", "a", "abc"),
        fact("f6", None, "event", type="unknown_veto"),
        pts("f7", "p", 1),
    ]
    tree = [{"code": "p", "name": "p", "max": 10, "children": [leaf("a", 10, MANUAL)]}]
    result = run(tree, facts)
    assert [p.fact for p in result.problems] == ["f2", "f3", "f4", "f5", "f6", "f7"]
    assert score_of(result, "p1", "a") == 9


def test_explain_mentions_rule_facts_arithmetic() -> None:
    rule = {"kind": "deduction", "per_event": {"late": 1}}
    result = run([leaf("attendance", 10, rule)], [fact("f2", "attendance", "event", type="late", count=3)])
    assert result.subjects[0].explain["attendance"] == "deduction [f2]: 10 − late 3 × 1 = 7"


def test_inputs_hash_independent_of_order() -> None:
    subs = subjects("p1", "p2")
    facts = [pts("f1", "a", 9), pts("f2", "a", 8, "p2")]
    one = run([leaf("a", 10, MANUAL)], facts, subs)
    two = run([leaf("a", 10, MANUAL)], facts[::-1], subs[::-1])
    assert one.inputs_sha256 == two.inputs_sha256
    other = run([leaf("a", 10, MANUAL)], [pts("f1", "a", 9)], subs)
    assert other.inputs_sha256 != one.inputs_sha256


def test_transfer_to_between_top_level_nodes() -> None:
    # 003 篇一 at the top of the tree: regular 50 + key_projects 40; without a key project regular counts
    # out of 90: 46 × (50 + 40) / 50 = 82.8
    tree = [
        leaf("regular", 50, MANUAL),
        leaf(
            "key_projects",
            40,
            MANUAL,
            applies_to={"attribute": "key", "eq": True},
            not_assigned={"transfer_to": "regular"},
        ),
    ]
    result = run(tree, [pts("f1", "regular", 46)], subjects("p1", key=False))
    assert score_of(result, "p1", "regular") == D("82.8")
    assert result.subjects[0].total == D("82.8")


def test_duplicate_subject_reported_and_choice_independent_of_order() -> None:
    subs = subjects("p1") + subjects("p1", group="B")
    one = run([leaf("a", 10, MANUAL)], [pts("f1", "a", 9)], subs)
    two = run([leaf("a", 10, MANUAL)], [pts("f1", "a", 9)], subs[::-1])
    assert [s.subject.group for s in one.subjects] == [s.subject.group for s in two.subjects]
    assert [p.subject for p in one.problems] == ["p1"]


def test_garbage_collector_state_is_restored() -> None:
    import gc

    assert gc.isenabled()
    run([leaf("a", 10, MANUAL)], [pts("f1", "a", 9)])
    assert gc.isenabled()


def test_row_keys_follow_evaluation_order_whether_assigned_or_not() -> None:
    # Dependency order here: key (regular's transfer source), regular, rest, work (their parent).
    # p1 has no key project (key not assigned, its max moves to regular), p2 has one; the rows of
    # both list the codes in that order, and the explanations then add the total.
    tree = _work_with_key_project(100, leaf("rest", 10, MANUAL, applies_to=["B"], not_assigned="full"))
    subs = subjects("p1", has_key=False) + subjects("p2", has_key=True)
    facts = [pts("f1", "regular", 40), pts("f2", "regular", 50, "p2"), pts("f3", "key", 20, "p2")]
    result = run(tree, facts, subs)
    for subject in result.subjects:
        assert list(subject.scores) == ["key", "regular", "rest", "work"]
        assert list(subject.explain) == ["key", "regular", "rest", "work", "total"]
    p1, p2 = result.subjects
    # p1: regular 40 × (60 + 30) / 60 = 60, key 0, rest full 10: work 70
    assert (p1.scores["regular"], p1.scores["key"], p1.scores["rest"], p1.scores["work"]) == (60, 0, 10, 70)
    assert p1.explain["regular"] == "manual mean [f1]: (40) / 1 = 40; × (60 + key 30) / 60 = 60"
    assert p1.explain["key"] == "not assigned: points moved to regular = 0"
    # p2: 50 + 20 + rest full 10 = 80
    assert (p2.scores["regular"], p2.scores["key"], p2.scores["work"]) == (50, 20, 80)


def test_subject_ids_given_as_numbers_join_the_text_ids() -> None:
    # facts may name subject "7" as the number 7: both facts count for subject 7, mean (6 + 8) / 2 = 7
    facts = [pts("f1", "a", 6, "7"), {**pts("f2", "a", 8), "subject": 7}]
    result = run([leaf("a", 10, MANUAL)], facts, subjects("7"))
    assert score_of(result, "7", "a") == 7
    assert result.problems == []


def test_peer_mean_value_reaches_the_parent() -> None:
    # x takes the mean of its assigned peers for u; p, evaluated after x, adds u's 7 to its y
    subs = subjects("a1", "a2", on=1) + subjects("u", on=0)
    kids = [
        leaf("x", 10, MANUAL, applies_to={"attribute": "on", "eq": 1}, not_assigned="peer_mean"),
        leaf("y", 10, MANUAL),
    ]
    facts = [pts("f1", "x", 6, "a1"), pts("f2", "x", 8, "a2"), pts("f3", "y", 1, "a1"), pts("f4", "y", 2, "a2"),
             pts("f5", "y", 3, "u")]
    result = run([{"code": "p", "name": "p", "max": 20, "children": kids}], facts, subs)
    assert [score_of(result, s, "p") for s in ("a1", "a2", "u")] == [7, 10, 10]  # 6 + 1, 8 + 2, 7 + 3
    for subject in result.subjects:
        assert list(subject.scores) == ["x", "y", "p"]


def test_ratio_deciding_not_assigned_moves_its_max_to_the_sibling() -> None:
    # r has no denominator for p1 (0/0, zero_denominator: not_assigned): its 30 move to regular,
    # 40 × (60 + 30) / 60 = 60; p2's r is 0.9 ≥ target 0.8: full 30, regular stays 40
    ratio = {"kind": "ratio", "target": "0.8", "zero_denominator": "not_assigned"}
    kids = [leaf("regular", 60, MANUAL), leaf("r", 30, ratio, not_assigned={"transfer_to": "regular"})]
    facts = [
        pts("f1", "regular", 40),
        fact("f2", "r", "measure", numerator=0, denominator=0),
        pts("f3", "regular", 40, "p2"),
        fact("f4", "r", "measure", subject="p2", numerator=9, denominator=10),
    ]
    result = run([{"code": "work", "name": "工作", "max": 90, "children": kids}], facts, subjects("p1", "p2"))
    assert [score_of(result, "p1", c) for c in ("r", "regular", "work")] == [0, 60, 60]
    assert [score_of(result, "p2", c) for c in ("r", "regular", "work")] == [30, 40, 70]
    assert result.subjects[0].explain["r"] == "not assigned: points moved to regular = 0"
