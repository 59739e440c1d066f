"""parse_scheme: every class of problem is reported, all at once, each at the right pointer."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from kaohe.engine import parse_scheme
from kaohe.engine.scheme import SchemeInvalid
from tests.engine.scoring._helpers import leaf, scheme_doc


def good() -> dict[str, Any]:
    return scheme_doc(
        [
            {
                "code": "work",
                "name": "工作",
                "max": 90,
                "children": [
                    leaf("regular", 60, {"kind": "manual"}),
                    leaf(
                        "key_projects",
                        30,
                        {"kind": "manual"},
                        not_assigned={"transfer_to": "regular"},
                        applies_to=["A"],
                    ),
                    leaf("bonus_pts", 5, {"kind": "accrual", "per_event": {"award": 1}}, bonus=True),
                ],
            },
            leaf("attendance", 10, {"kind": "deduction", "per_event": {"late": 1}}),
        ],
        total="work + attendance",
        vetoes=[{"event": "serious", "effect": "zero_total"}, {"event": "sanction", "effect": {"max_grade": "良好"}}],
        ranking={"scope": "group", "order": ["total", "regular"]},
        grading={
            "bands": [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 75}, {"grade": "不称职"}],
            "quotas": [{"grade": "优秀", "max_share": "25%"}],
        },
        labels=[{"label": "通报表扬", "top": 3}, {"label": "表彰", "top_share": "30%", "rounding": "ceil"}],
        rewards=[{"name": "奖金", "by_grade": {"优秀": 2100}}, {"name": "池", "pool": 1000, "weight": "total"}],
    )


def problems(doc: dict[str, Any]) -> list[tuple[str | None, str]]:
    with pytest.raises(SchemeInvalid) as info:
        parse_scheme(doc)
    return [(p.pointer, p.message) for p in info.value.problems]


def pointers(doc: dict[str, Any]) -> list[str | None]:
    return [p for p, _ in problems(doc)]


def test_good_scheme_parses() -> None:
    scheme = parse_scheme(good())
    assert [n.code for n in scheme.nodes()] == ["work", "regular", "key_projects", "bonus_pts", "attendance"]
    assert scheme.grading is not None and scheme.grading.quotas[0].max_share == Decimal("0.25")
    assert scheme.labels[1].top_share == Decimal("0.3")
    assert scheme.document == good()


def test_unknown_key_suggests_nearest() -> None:
    doc = good()
    doc["indicators"][0]["agregate"] = "sum"
    assert ("/indicators/0/agregate", "unknown key 'agregate'; did you mean 'aggregate'?") in problems(doc)


def test_all_problems_reported_together() -> None:
    doc = good()
    doc["version"] = 0
    doc["precision"] = 9
    doc["indicators"][1]["max"] = -1
    doc["indicators"][0]["children"][0]["code"] = "Regular"
    got = pointers(doc)
    for ptr in ("/version", "/precision", "/indicators/1/max", "/indicators/0/children/0/code"):
        assert ptr in got


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (lambda d: d["indicators"][0].update(max=100), "/indicators/0/max"),  # children 60+30 ≠ 100
        (lambda d: d["indicators"][1].update(children=[]), "/indicators/1"),  # both rule and children
        (lambda d: d["indicators"][1].pop("rule"), "/indicators/1"),  # neither
        (lambda d: d["indicators"][1].update(code="regular"), "/indicators/1/code"),  # duplicate
        (lambda d: d["indicators"][1].update(max="abc"), "/indicators/1/max"),
        (lambda d: d["indicators"][1]["rule"].update(kind="magic"), "/indicators/1/rule/kind"),
        (lambda d: d["indicators"][1]["rule"].update(per_event={"late": "x"}), "/indicators/1/rule/per_event/late"),
        (lambda d: d["indicators"][0]["children"][1].update(applies_to=["C"]), "/indicators/0/children/1/applies_to/0"),
        (
            lambda d: d["indicators"][0]["children"][1].update(not_assigned={"transfer_to": "attendance"}),
            "/indicators/0/children/1/not_assigned",
        ),
        (lambda d: d.update(total="work + nothing"), "/total"),
        (lambda d: d.update(total="work / 0"), "/total"),
        (lambda d: d.update(total="__import__('os')"), "/total"),
        (lambda d: d["vetoes"][1].update(effect={"max_grade": "特优"}), "/vetoes/1/effect"),
        (lambda d: d["vetoes"][0].update(effect="explode"), "/vetoes/0/effect"),
        (lambda d: d["ranking"].update(order=["total", "nope"]), "/ranking/order/1"),
        (lambda d: d["grading"]["bands"].pop(), "/grading/bands"),  # catch-all required
        (lambda d: d["grading"]["bands"].reverse(), "/grading/bands/0"),  # catch-all not last
        (lambda d: d["grading"]["bands"][0].update(min=50), "/grading/bands"),  # not descending
        (lambda d: d["grading"]["quotas"][0].update(max_share="150%"), "/grading/quotas/0/max_share"),
        (lambda d: d["grading"]["quotas"][0].update(grade="特优"), "/grading/quotas/0/grade"),
        (lambda d: d["labels"][0].update(bottom=2), "/labels/0"),  # two of top/bottom
        (lambda d: d["labels"][0].update(groups=["Z"]), "/labels/0/groups/0"),
        (lambda d: d["rewards"][0].update(by_rank=[1]), "/rewards/0"),  # two kinds
        (lambda d: d["rewards"][1].pop("weight"), "/rewards/1/weight"),
        (lambda d: d["rewards"][0].update(by_grade={"特优": 1}), "/rewards/0/by_grade/特优"),
        (lambda d: d.update(rewards=[{"name": "x", "by_label": {"无此": 1}}]), "/rewards/0/by_label/无此"),
        (lambda d: d.update(period="decade"), "/period"),
        (lambda d: d.update(subject_kind="team"), "/subject_kind"),
        (lambda d: d.update(id="Bad Id!"), "/id"),
        (lambda d: d.update(rollup={"from": "x", "total": "median"}), "/rollup/total"),
    ],
)
def test_problem_pointer(mutate: Any, pointer: str) -> None:
    doc = copy.deepcopy(good())
    mutate(doc)
    assert pointer in pointers(doc)


def test_weighted_children_sum_to_100() -> None:
    doc = scheme_doc(
        [
            {
                "code": "w",
                "name": "加权",
                "max": 100,
                "aggregate": "weighted",
                "children": [
                    leaf("a", 10, {"kind": "manual"}, weight="50%"),
                    leaf("b", 10, {"kind": "manual"}, weight=40),
                ],
            }
        ]
    )
    got = problems(doc)
    assert any(p == "/indicators/0/children" and "add up to 90" in m for p, m in got)


def test_cap_allows_children_over_max_and_bonus_excluded() -> None:
    doc = scheme_doc(
        [
            {
                "code": "p",
                "name": "p",
                "max": 10,
                "cap": True,
                "children": [
                    leaf("a", 8, {"kind": "manual"}),
                    leaf("b", 8, {"kind": "manual"}),
                    leaf("c", 3, {"kind": "manual"}, bonus=True),
                ],
            }
        ]
    )
    assert parse_scheme(doc).indicators[0].cap


@pytest.mark.parametrize(
    ("rule", "pointer"),
    [
        ({"kind": "banded", "bands": [{"min": 0.8, "points": 1}, {"min": 0.9, "points": 1.5}]}, "/rule/bands"),
        (
            {"kind": "rank_points", "of": "a", "bands": [{"top": 0.5, "points": 1}, {"top": 0.25, "points": 2}]},
            "/rule/bands",
        ),
        ({"kind": "rank_points", "of": "a", "bands": [{"top": 0.5, "points": 1}]}, "/rule/bands"),  # not to 1
        ({"kind": "rank_points", "of": "zz", "bands": [{"top": 1, "points": 1}]}, "/rule/of"),
        ({"kind": "completion"}, "/rule/target"),
        ({"kind": "completion", "target": 0}, "/rule/target"),
        ({"kind": "manual", "combine": "weighted"}, "/rule/assessor_weights"),
        ({"kind": "manual", "combin": "mean"}, "/rule/combin"),
        (
            {"kind": "deduction", "per_event": {"late": 1}, "zero_when": [{"type": "x", "count_gte": 0}]},
            "/rule/zero_when/0/count_gte",
        ),
        ({"kind": "rating", "trim": {"highest": -1}}, "/rule/trim/highest"),
        ({"kind": "peer_relative", "bands": [{"max_index": 1, "points": 1}]}, "/rule/direction"),
        ({"kind": "accrual", "min": 5, "max": 1}, "/rule/min"),
    ],
)
def test_rule_parameter_problems(rule: dict[str, Any], pointer: str) -> None:
    doc = scheme_doc([leaf("a", 10, {"kind": "manual"}), leaf("b", 10, rule)])
    assert "/indicators/1" + pointer in pointers(doc)


def test_dependency_cycle_through_rank_points() -> None:
    doc = scheme_doc(
        [
            leaf("a", 10, {"kind": "rank_points", "of": "b", "bands": [{"top": 1, "points": 10}]}),
            leaf("b", 10, {"kind": "rank_points", "of": "a", "bands": [{"top": 1, "points": 10}]}),
        ]
    )
    assert any("circle" in m for _, m in problems(doc))


def test_dependency_cycle_through_transfer_to() -> None:
    doc = scheme_doc(
        [
            {
                "code": "p",
                "name": "p",
                "max": 20,
                "children": [
                    leaf("a", 10, {"kind": "manual"}, not_assigned={"transfer_to": "b"}),
                    leaf("b", 10, {"kind": "manual"}, not_assigned={"transfer_to": "a"}),
                ],
            }
        ]
    )
    assert any("circle" in m for _, m in problems(doc))


def test_formula_names_children_and_total_cycle() -> None:
    doc = scheme_doc(
        [
            {
                "code": "p",
                "name": "p",
                "max": 20,
                "aggregate": "formula",
                "formula": "a + zz",
                "children": [leaf("a", 20, {"kind": "manual"})],
            }
        ]
    )
    assert "/indicators/0/formula" in pointers(doc)


def test_numbers_as_strings_and_floats() -> None:
    doc = scheme_doc([leaf("a", "10.5", {"kind": "deduction", "per_event": {"late": 0.6}})])
    node = parse_scheme(doc).indicators[0]
    assert node.max == Decimal("10.5")
    assert node.rule is not None and node.rule.params.per_event["late"] == Decimal("0.6")


def test_label_where_only_and_veto_label_in_by_label() -> None:
    doc = good()
    doc["vetoes"].append({"event": "acc", "effect": {"no_label": "先进"}})
    doc["labels"].append({"label": "末位", "where": {"total_lt": 60}})
    doc["rewards"].append({"name": "罚", "by_label": {"末位": -500, "先进": 100}})
    scheme = parse_scheme(doc)
    assert scheme.rewards[2].by_label == {"末位": Decimal(-500), "先进": Decimal(100)}


def test_problem_message_names_the_indicator() -> None:
    doc = good()
    doc["indicators"][0]["max"] = 100
    msgs = [m for p, m in problems(doc) if p == "/indicators/0/max"]
    assert "工作" in msgs[0] and "90" in msgs[0]


def test_absurdly_deep_tree_is_a_problem_not_a_crash() -> None:
    node: dict[str, Any] = leaf("l0", 1, {"kind": "manual"})
    for depth in range(1, 400):
        node = {"code": f"l{depth}", "name": "n", "max": 1, "children": [node]}
    assert any("deeper than" in m for _, m in problems(scheme_doc([node])))


def test_top_level_transfer_to_must_name_a_sibling() -> None:
    doc = scheme_doc([leaf("a", 10, {"kind": "manual"}, not_assigned={"transfer_to": "zz"})])
    assert "/indicators/0/not_assigned" in pointers(doc)


def test_a_rollup_scheme_needs_no_indicator_tree() -> None:
    # §10: an annual scheme built from quarterly results has no leaves of its own.
    doc = scheme_doc([], rollup={"from": "quarterly", "total": "mean"})
    assert parse_scheme(doc).indicators == ()
    with pytest.raises(SchemeInvalid) as caught:
        parse_scheme(scheme_doc([]))
    assert [(p.pointer, p.message) for p in caught.value.problems] == [
        ("/indicators", "at least one indicator is needed here")
    ]


def test_the_publication_section_sets_the_windows() -> None:
    from kaohe.engine.scheme.model import PublicationRules

    scheme = parse_scheme({**good(), "publication": {"working_days": 5, "republication_working_days": 2}})
    assert scheme.publication == PublicationRules(working_days=5, republication_working_days=2)
    assert parse_scheme(good()).publication is None
    assert parse_scheme({**good(), "publication": {}}).publication == PublicationRules()


def test_the_publication_section_is_checked() -> None:
    doc = {**good(), "publication": {"working_days": 0, "republication_working_days": True, "days": 3}}
    assert problems(doc) == [
        ("/publication/days", "unknown key 'days'; allowed keys are working_days, republication_working_days, "
                              "public_columns, objection_procedure"),
        ("/publication/working_days", "working_days must be between 1 and 30, not 0"),
        ("/publication/republication_working_days",
         "republication_working_days must be a whole number of working days, not True"),
    ]
    longer = {**good(), "publication": {"working_days": 2, "republication_working_days": 3}}
    assert problems(longer) == [("/publication/republication_working_days",
                                 "a re-publication cannot be longer than the publication itself (3 > 2 working days)")]
    assert problems({**good(), "publication": [5]}) == [
        ("/publication", "publication must be a mapping (key: value), not a list")]


def test_the_public_columns_and_the_objection_procedure_of_the_publication() -> None:
    """Issue 17: the public 公示 shows rank, name, total, grade and labels unless the scheme names its columns
    (shown in a fixed order whatever the scheme's order); the objection procedure is the scheme's text or kaohe's."""
    assert parse_scheme({**good(), "publication": {}}).publication.public_columns == (  # type: ignore[union-attr]
        "rank", "name", "total", "grade", "labels")
    chosen = parse_scheme({**good(), "publication": {"public_columns": ["total", "group", "name"],
                                                     "objection_procedure": "向区考核办书面提出"}}).publication
    assert chosen is not None
    assert (chosen.public_columns, chosen.objection_procedure) == (("name", "group", "total"), "向区考核办书面提出")
    assert problems({**good(), "publication": {"public_columns": ["score", "rank"], "objection_procedure": ""}}) == [
        ("/publication/public_columns/0", "a public column must be one of rank, subject_id, name, group, total, "
                                          "grade, labels, not 'score'"),
        ("/publication/objection_procedure", "objection_procedure must be non-empty text, not the text ''"),
    ]
    assert problems({**good(), "publication": {"public_columns": []}}) == [
        ("/publication/public_columns", "public_columns needs at least one column")]


def test_a_band_paying_more_than_its_leafs_max_is_a_warning_at_its_pointer() -> None:
    """§3.4: a leaf's score is held within [0, max], so a band of 12 points on a 10-point leaf never pays 12: the
    scheme stays valid (the score is clamped, as the spec says) and validation warns at the band's points."""
    scheme = parse_scheme(scheme_doc([
        leaf("x", 10, {"kind": "banded", "bands": [{"min": "95%", "points": 12}, {"min": "90%", "points": 10},
                                                   {"min": "80%", "points": 6}]}),
        leaf("r", 20, {"kind": "rank_points", "of": "x",
                       "bands": [{"top": "0.5", "points": 25}, {"top": 1, "points": 5}]}),
    ]))
    assert [(w.pointer, w.message) for w in scheme.warnings] == [
        ("/indicators/0/rule/bands/0/points",
         "this band gives 12 points, more than the leaf's max 10: the score is held to 10"),
        ("/indicators/1/rule/bands/0/points",
         "this band gives 25 points, more than the leaf's max 20: the score is held to 20"),
    ]
    assert parse_scheme(good()).warnings == ()
