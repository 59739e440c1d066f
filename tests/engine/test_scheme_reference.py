"""The 14 questions that docs/scheme-reference.md ("Questions the seeds leave open") answers, one
test (or a few) per answer.

Every expected value is worked out by hand in the comment next to it, from the rule as the
reference states it; none is copied from the engine's output. The documents are small on purpose:
each shows one answer and would give another value if kaohe answered the question differently.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import typer
from typer.testing import CliRunner

from kaohe import engine_cli
from kaohe.engine import evaluate


def _scheme(indicators: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "reference", "version": 1, "title": "参考", "subject_kind": "person",
        "period": "quarter", "groups": ["A", "B"], "indicators": indicators,
    }
    doc.update(extra)
    return doc


def _leaf(code: str, max_: Any, rule: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": code, "max": max_, "rule": rule, **extra}


def _people(*spec: str | tuple[str, str] | tuple[str, str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in spec:
        sid, group, attributes = (item, "A", {}) if isinstance(item, str) else (*item, {})[:3]
        out.append({"id": sid, "group": group, "attributes": attributes})
    return out


def _run(scheme: dict[str, Any], subjects: list[dict[str, Any]], facts: list[dict[str, Any]],
         period: str = "2026-Q1") -> dict[str, Any]:
    for n, fact in enumerate(facts, start=1):
        fact.setdefault("id", f"f{n}")
    return evaluate(scheme, {"scheme": scheme["id"], "version": 1, "period": period,
                             "subjects": subjects, "facts": facts})


def _by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in result["subjects"]}


def _col(result: dict[str, Any], key: str, code: str | None = None) -> dict[str, Any]:
    if code is not None:
        return {e["id"]: e[key][code] for e in result["subjects"]}
    return {e["id"]: e[key] for e in result["subjects"]}


def _score(sid: str, code: str, points: Any, **extra: Any) -> dict[str, Any]:
    return {"subject": sid, "indicator": code, "fact": "score", "points": str(points), **extra}


GRADES = {"bands": [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 80},
                    {"grade": "合格", "min": 60}, {"grade": "不合格"}]}


# ---- 1. a leaf with no facts at all --------------------------------------------------------------


def test_q1_event_rules_answer_for_no_facts_other_kinds_use_missing() -> None:
    scheme = _scheme([
        _leaf("attend", 10, {"kind": "deduction", "per_event": {"late": 1}}),     # no events: 10 (全勤)
        _leaf("honours", 5, {"kind": "accrual", "levels": {"市级": 2}}),           # no events: 0
        _leaf("study", 3, {"kind": "per_occurrence"}),                            # none_assigned full: 3
        _leaf("tasks", 4, {"kind": "per_occurrence", "none_assigned": "zero"}),   # 0
        _leaf("work", 20, {"kind": "manual"}),                                    # missing zero: 0
        _leaf("safety", 8, {"kind": "manual"}, missing="full"),                   # missing full: 8
        _leaf("strict", 6, {"kind": "deduction", "per_event": {"late": 1}}, missing="full"),  # 6
    ])
    entry = _by_id(_run(scheme, _people("p1"), []))["p1"]
    assert entry["scores"] == {"attend": "10.00", "honours": "0.00", "study": "3.00", "tasks": "0.00",
                               "work": "0.00", "safety": "8.00", "strict": "6.00"}
    assert entry["total"] == "27.00"  # 10 + 0 + 3 + 0 + 0 + 8 + 6


def test_q1_deduction_with_missing_error_reports_the_subject() -> None:
    scheme = _scheme([_leaf("attend", 10, {"kind": "deduction", "per_event": {"late": 1}}, missing="error")])
    result = _run(scheme, _people("p1"), [])
    assert _col(result, "total") == {"p1": "0.00"}  # the error policy scores 0, not the rule's 10
    assert [p.get("subject") for p in result["problems"]] == ["p1"]


# ---- 2. missing: error ---------------------------------------------------------------------------


def _q2_case() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    scheme = _scheme(
        [_leaf("work", 60, {"kind": "manual"}, missing="error"), _leaf("duty", 40, {"kind": "manual"})],
        grading={**GRADES, "quotas": [{"grade": "优秀", "max_share": "50%"}]},
    )
    facts = [_score("p1", "duty", 40), _score("p2", "work", 55), _score("p2", "duty", 38),
             _score("p3", "work", 54), _score("p3", "duty", 38), _score("p4", "work", 20), _score("p4", "duty", 20)]
    return scheme, _people("p1", "p2", "p3", "p4"), facts


def test_q2_missing_error_scores_zero_and_the_subject_stays_in_ranking_and_quota() -> None:
    scheme, people, facts = _q2_case()
    result = _run(scheme, people, facts)
    # p1: work has no facts → 0 and a problem; total 0 + 40 = 40; p2 93, p3 92, p4 40
    assert _col(result, "total") == {"p1": "40.00", "p2": "93.00", "p3": "92.00", "p4": "40.00"}
    assert _col(result, "rank") == {"p1": 3, "p2": 1, "p3": 2, "p4": 3}
    # 4 graded subjects (p1 counted): 优秀 seats = floor(50% × 4) = 2, so p2 and p3 both keep 优秀;
    # had p1 been left out, floor(50% × 3) = 1 and p3 would drop to 良好
    assert _col(result, "grade") == {"p1": "不合格", "p2": "优秀", "p3": "优秀", "p4": "不合格"}
    assert [(p.get("subject"), "missing policy is error" in p["message"]) for p in result["problems"]] == [
        ("p1", True)]


def test_q2_kaohe_evaluate_prints_the_whole_result_and_exits_1(tmp_path: pathlib.Path) -> None:
    scheme, people, facts = _q2_case()
    for n, fact in enumerate(facts, start=1):
        fact["id"] = f"f{n}"
    (tmp_path / "s.json").write_text(json.dumps(scheme, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "f.json").write_text(json.dumps(
        {"scheme": "reference", "version": 1, "period": "2026-Q1", "subjects": people, "facts": facts},
        ensure_ascii=False), encoding="utf-8")
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """Root, so that sub-commands keep their names."""

    engine_cli.register(root)
    run = CliRunner().invoke(root, ["evaluate", "--scheme", str(tmp_path / "s.json"),
                                    "--facts", str(tmp_path / "f.json")])
    assert run.exit_code == 1  # a script must not take the result as ready to publish
    printed = json.loads(run.stdout)  # yet the whole result is written, p1 ranked 3rd with its 0
    assert printed["problems"][0]["subject"] == "p1"
    assert [(s["id"], s["rank"]) for s in printed["subjects"]] == [("p2", 1), ("p3", 2), ("p1", 3), ("p4", 3)]
    assert "1 `missing: error` leaf/leaves without facts (p1)" in run.stderr
    # once p1's evidence is in, the same command exits 0
    facts.append({"id": "f9", "subject": "p1", "indicator": "work", "fact": "score", "points": 50})
    (tmp_path / "f.json").write_text(json.dumps(
        {"scheme": "reference", "version": 1, "period": "2026-Q1", "subjects": people, "facts": facts},
        ensure_ascii=False), encoding="utf-8")
    again = CliRunner().invoke(root, ["evaluate", "--scheme", str(tmp_path / "s.json"),
                                      "--facts", str(tmp_path / "f.json")])
    assert again.exit_code == 0 and json.loads(again.stdout)["problems"] == []


# ---- 3. accrual ----------------------------------------------------------------------------------


def test_q3_participants_split_only_the_facts_own_subject_is_credited() -> None:
    scheme = _scheme([_leaf("suggest", 5, {"kind": "accrual", "levels": {"本部门": "0.5", "区级": 1, "市级": 2}})])
    facts = [{"subject": "p1", "indicator": "suggest", "fact": "event", "type": "adopted", "level": "市级",
              "participants": ["p1", "p2"]}]
    # 市级 2 / 2 participants = 1 for p1; p2 has no fact of its own, so 0
    assert _col(_run(scheme, _people("p1", "p2"), facts), "total") == {"p1": "1.00", "p2": "0.00"}


def test_q3_highest_per_key_compares_after_split_and_collective_factor() -> None:
    scheme = _scheme([_leaf("honours", 5, {"kind": "accrual", "levels": {"区级": 1, "市级": 2}})])
    facts = [
        # key k1: 市级 2 split 4 ways = 0.5, against 区级 1 alone = 1 → 1 counts (before the split 市级 would win: 0.5)
        {"subject": "p1", "indicator": "honours", "fact": "event", "type": "x", "level": "市级", "key": "k1",
         "participants": ["p1", "p2", "p3", "p4"]},
        {"subject": "p1", "indicator": "honours", "fact": "event", "type": "x", "level": "区级", "key": "k1"},
        # key k2: 市级 2 collective × 0.5 = 1, against 区级 1 → equal, 1 counts once
        {"subject": "p1", "indicator": "honours", "fact": "event", "type": "x", "level": "市级", "key": "k2",
         "collective": True},
        {"subject": "p1", "indicator": "honours", "fact": "event", "type": "x", "level": "区级", "key": "k2"},
    ]
    assert _col(_run(scheme, _people("p1"), facts), "total") == {"p1": "2.00"}  # 1 + 1


def test_q3_with_only_levels_the_event_type_is_not_checked() -> None:
    scheme = _scheme([_leaf("honours", 5, {"kind": "accrual", "levels": {"市级": 2}})])
    facts = [{"subject": "p1", "indicator": "honours", "fact": "event", "type": "anything", "level": "市级"},
             {"subject": "p1", "indicator": "honours", "fact": "event", "type": "anything", "level": "省级"}]
    result = _run(scheme, _people("p1"), facts)
    assert _col(result, "total") == {"p1": "2.00"}  # the 市级 fact counts whatever its type
    assert [p["fact"] for p in result["problems"]] == ["f2"]  # the unknown level is reported


# ---- 4. rating -----------------------------------------------------------------------------------


def _rating(sid: str, points: Any, level: str = "群众", round_: int = 1) -> dict[str, Any]:
    return {"subject": sid, "indicator": "poll", "fact": "rating", "rater": f"r{points}{level}{round_}",
            "level": level, "points": str(points), "round": round_}


def test_q4_min_ratings_counts_before_trimming_and_trimming_is_per_round() -> None:
    rule = {"kind": "rating", "trim": {"highest": 1, "lowest": 1}, "min_ratings": 3}
    scheme = _scheme([_leaf("poll", 10, rule)])
    facts = [_rating("p1", 10), _rating("p1", 8), _rating("p1", 6),                      # round 1 → 8
             _rating("p1", 4, round_=2), _rating("p1", 6, round_=2), _rating("p1", 7, round_=2)]  # → 6
    # three ratings ≥ min_ratings 3 before trimming (one remains after); rounds trimmed apart:
    # (8 + 6) / 2 = 7; pooled trimming would give mean(6, 6, 7, 8) = 6.75
    assert _col(_run(scheme, _people("p1"), facts), "total") == {"p1": "7.00"}


def test_q4_missing_level_full_is_the_top_of_the_scale_not_the_leaf_max() -> None:
    rule = {"kind": "rating", "scale": {"优秀": 20, "良好": 15}, "combine": "mean_of_levels",
            "levels": ["领导", "群众"], "missing_level": "full"}
    scheme = _scheme([_leaf("poll", 25, rule)])
    facts = [{"subject": "p1", "indicator": "poll", "fact": "rating", "rater": "r1", "level": "群众", "grade": "良好"}]
    # (群众 15 + 领导 missing → scale top 20) / 2 = 17.5; the leaf max would give (15 + 25) / 2 = 20
    assert _col(_run(scheme, _people("p1"), facts), "total") == {"p1": "17.50"}


# ---- 5. journal and banded -----------------------------------------------------------------------


def test_q5_journal_counts_weeks_that_have_a_fact_missing_as_zero_excused_left_out() -> None:
    scheme = _scheme([_leaf("journal", 10, {"kind": "journal", "scale_max": 100})])
    facts = [
        {"subject": "p1", "indicator": "journal", "fact": "journal", "week": "2026-W01", "points": 80,
         "status": "accepted"},
        {"subject": "p1", "indicator": "journal", "fact": "journal", "week": "2026-W02", "status": "missing"},
        {"subject": "p1", "indicator": "journal", "fact": "journal", "week": "2026-W03", "status": "excused"},
        # no fact at all for 2026-W04: the week does not count
    ]
    # 10 × mean(80, 0) / 100 = 4
    assert _col(_run(scheme, _people("p1"), facts), "total") == {"p1": "4.00"}


def test_q5_banded_months_without_facts_are_left_out_and_a_months_facts_add_up() -> None:
    rule = {"kind": "banded", "each": "month", "combine": "mean",
            "bands": [{"min": "90%", "points": "1.5"}, {"min": "80%", "points": 1}, {"min": "70%", "points": "0.6"}]}
    scheme = _scheme([_leaf("att", "1.5", rule)])

    def month(m: str, n: int, d: int) -> dict[str, Any]:
        return {"subject": "p1", "indicator": "att", "fact": "measure", "numerator": n, "denominator": d, "month": m}

    facts = [month("2026-01", 19, 20),                             # 0.95 → 1.5
             month("2026-03", 9, 10), month("2026-03", 8, 10)]     # 17/20 = 0.85 → 1 (not mean of 1.5 and 1)
    # February has no fact: mean over January and March = (1.5 + 1) / 2 = 1.25
    assert _col(_run(scheme, _people("p1"), facts), "total") == {"p1": "1.25"}


# ---- 6. peer_relative ----------------------------------------------------------------------------


def test_q6_peer_relative_bands_in_order_inclusive_self_in_mean_scope_all() -> None:
    rule = {"kind": "peer_relative", "direction": "lower_better",
            "bands": [{"max_index": "0.8", "points": 10}, {"max_index": 1, "points": 6}]}
    scheme = _scheme([_leaf("cost", 10, rule)])
    facts = [{"subject": s, "indicator": "cost", "fact": "measure", "value": v}
             for s, v in (("p1", 8), ("p2", 10), ("p3", 12))]
    people = _people(("p1", "A"), ("p2", "A"), ("p3", "B"))
    # peers = everyone (default scope all, across groups A and B), each in its own mean: (8+10+12)/3 = 10
    # indices 0.8 (≤ 0.8 inclusive → 10), 1.0 (≤ 1 → 6), 1.2 (no band → 0)
    assert _col(_run(scheme, people, facts), "total") == {"p1": "10.00", "p2": "6.00", "p3": "0.00"}


# ---- 7. no_labels and top_share ------------------------------------------------------------------


def test_q7_no_labels_bars_merit_labels_only_and_top_share_counts_everyone() -> None:
    scheme = _scheme(
        [_leaf("work", 100, {"kind": "manual"})],
        vetoes=[{"event": "scandal", "effect": "no_labels"}],
        labels=[{"label": "表扬", "top_share": "50%"}, {"label": "批评", "bottom": 1}],
    )
    facts = [_score(s, "work", v) for s, v in (("p1", 90), ("p2", 80), ("p3", 70), ("p4", 60))]
    facts += [{"subject": s, "fact": "event", "type": "scandal"} for s in ("p1", "p4")]
    # 表扬: n = floor(50% × 4 assessed) = 2; p1 and p4 barred; p2, p3 re-ranked 1, 2 → both in
    # (n counted after removing the barred would be floor(50% × 2) = 1: p2 alone).
    # 批评 is not a merit label: p4, last, still gets it.
    labels = _col(_run(scheme, _people("p1", "p2", "p3", "p4"), facts), "labels")
    assert labels == {"p1": [], "p2": ["表扬"], "p3": ["表扬"], "p4": ["批评"]}


# ---- 8. no_reward under by_rank and pool ---------------------------------------------------------


def test_q8_no_reward_forfeits_a_rank_amount_but_leaves_a_pool_to_the_others() -> None:
    scheme = _scheme(
        [_leaf("work", 100, {"kind": "manual"})],
        vetoes=[{"event": "fraud", "effect": "no_reward"}],
        rewards=[{"name": "名次奖", "by_rank": [300, 200, 100]},
                 {"name": "奖金池", "pool": 600, "weight": "total"}],
    )
    facts = [_score(s, "work", v) for s, v in (("p1", 90), ("p2", 80), ("p3", 70))]
    facts.append({"subject": "p1", "fact": "event", "type": "fraud"})
    rewards = _col(_run(scheme, _people("p1", "p2", "p3"), facts), "rewards")
    # by_rank: p1 keeps rank 1, its 300 is forfeited; p2 200, p3 100.
    # pool: p1 left out; 600 × 80/150 = 320, 600 × 70/150 = 280
    assert rewards == {"p1": {"名次奖": "0.00", "奖金池": "0.00"},
                       "p2": {"名次奖": "200.00", "奖金池": "320.00"},
                       "p3": {"名次奖": "100.00", "奖金池": "280.00"}}


# ---- 9. prorate, labels tables, uneven splits, remainders, group pools --------------------------


def test_q9_prorate_applies_to_by_rank_and_pool_weights() -> None:
    scheme = _scheme(
        [_leaf("work", 100, {"kind": "manual"})],
        rewards=[{"name": "名次奖", "by_rank": [900, 600], "prorate": "attr.months / 3"},
                 {"name": "奖金池", "pool": 1000, "weight": "1", "prorate": "attr.months / 3"}],
    )
    people = _people(("p1", "A", {"months": 2}), ("p2", "A", {"months": 3}))
    facts = [_score("p1", "work", 90), _score("p2", "work", 80)]
    rewards = _col(_run(scheme, people, facts), "rewards")
    # by_rank: p1 900 × 2/3 = 600, p2 600 × 1 = 600; pool weights 2/3 and 1: 1000 × (2/3)/(5/3) = 400, 600
    assert rewards == {"p1": {"名次奖": "600.00", "奖金池": "400.00"}, "p2": {"名次奖": "600.00", "奖金池": "600.00"}}


def test_q9_two_table_labels_add_up() -> None:
    scheme = _scheme(
        [_leaf("work", 100, {"kind": "manual"})],
        labels=[{"label": "第一", "top": 1}, {"label": "前二", "top": 2}],
        rewards=[{"name": "奖励", "by_label": {"第一": 100, "前二": 50}}],
    )
    facts = [_score("p1", "work", 90), _score("p2", "work", 80), _score("p3", "work", 70)]
    assert _col(_run(scheme, _people("p1", "p2", "p3"), facts), "rewards") == {
        "p1": {"奖励": "150.00"}, "p2": {"奖励": "50.00"}, "p3": {"奖励": "0.00"}}  # 100 + 50


def test_q9_uneven_by_rank_shares_add_up_to_the_amounts_by_largest_remainder() -> None:
    scheme = _scheme([_leaf("work", 100, {"kind": "manual"})], rewards=[{"name": "名次奖", "by_rank": [1000]}])
    facts = [_score(s, "work", 90) for s in ("p1", "p2", "p3")]
    # three tied at rank 1 share position 1: 100000 cents / 3 = 33333 each + 1 cent left, to the first listed
    # (p1): 333.34 + 333.33 + 333.33 = 1000.00, never 999.99
    assert _col(_run(scheme, _people("p1", "p2", "p3"), facts), "rewards") == {
        "p1": {"名次奖": "333.34"}, "p2": {"名次奖": "333.33"}, "p3": {"名次奖": "333.33"}}


def test_q9_tied_subjects_share_the_positions_they_hold_to_the_cent() -> None:
    scheme = _scheme([_leaf("work", 100, {"kind": "manual"})],
                     rewards=[{"name": "名次奖", "by_rank": [500, 300, 200]}])
    facts = [_score(s, "work", v) for s, v in (("p1", 90), ("p2", 80), ("p3", 80), ("p4", 80))]
    # p1 alone at 1: 500. p2, p3, p4 tied at 2 hold positions 2, 3, 4: 300 + 200 + nothing = 500, 50000 cents
    # / 3 = 16666 each + 2 cents left, to p2 and p3 (table order): 166.67 + 166.67 + 166.66 = 500.00
    assert _col(_run(scheme, _people("p1", "p2", "p3", "p4"), facts), "rewards") == {
        "p1": {"名次奖": "500.00"}, "p2": {"名次奖": "166.67"}, "p3": {"名次奖": "166.67"}, "p4": {"名次奖": "166.66"}}


def test_q9_equal_pool_remainders_go_to_the_better_placed_subject() -> None:
    scheme = _scheme([_leaf("work", 100, {"kind": "manual"})],
                     rewards=[{"name": "奖金池", "pool": 100, "weight": "1"}])
    facts = [_score(s, "work", v) for s, v in (("z", 90), ("a", 80), ("b", 70))]
    # equal weights: 10000 cents / 3 = 3333 each + 1 left; the remainders are equal, so the cent goes to the
    # first of the 公示 table, z (rank 1), not to the smallest id a
    assert _col(_run(scheme, _people("z", "a", "b"), facts), "rewards") == {
        "z": {"奖金池": "33.34"}, "a": {"奖金池": "33.33"}, "b": {"奖金池": "33.33"}}


def test_q9_equal_remainders_go_by_subject_id_and_a_group_pool_is_paid_per_group() -> None:
    scheme = _scheme([_leaf("work", 100, {"kind": "manual"})],
                     rewards=[{"name": "奖金池", "pool": 100, "weight": "1"}])
    people = _people(("c", "A"), ("a", "A"), ("b", "A"), ("d", "B"))
    facts = [_score(s, "work", 80) for s in ("a", "b", "c", "d")]
    # group A: 10000 cents / 3 = 3333 each + 1 left → the smallest id, a; group B gets the whole 100
    assert _col(_run(scheme, people, facts), "rewards") == {
        "a": {"奖金池": "33.34"}, "b": {"奖金池": "33.33"}, "c": {"奖金池": "33.33"}, "d": {"奖金池": "100.00"}}


# ---- 10. zero_total ------------------------------------------------------------------------------


def test_q10_zero_total_zeroes_the_total_only() -> None:
    scheme = _scheme([_leaf("work", 100, {"kind": "manual"})], grading=GRADES,
                     vetoes=[{"event": "serious_violation", "effect": "zero_total"}])
    facts = [_score("p1", "work", 95), {"subject": "p1", "fact": "event", "type": "serious_violation"}]
    entry = _by_id(_run(scheme, _people("p1"), facts))["p1"]
    # total 0; the leaf keeps its 95; the band is taken from 0 (不合格), so grade = band, reason null
    assert (entry["total"], entry["scores"], entry["band_grade"], entry["grade"], entry["grade_reason"]) == (
        "0.00", {"work": "95.00"}, "不合格", "不合格", None)


# ---- 11. labels under a group ranking; labels with only where ------------------------------------


def test_q11_labels_follow_the_ranking_scope_and_where_alone_needs_no_rank() -> None:
    scheme = _scheme([_leaf("work", 100, {"kind": "manual"})],
                     ranking={"scope": "group", "order": ["total"]},
                     labels=[{"label": "第一", "top": 1}, {"label": "达标", "where": {"total_gte": 85}}])
    people = _people(("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B"))
    facts = [_score(s, "work", v) for s, v in (("a1", 90), ("a2", 86), ("b1", 80), ("b2", 70))]
    # 第一 once per group (a1, b1); 达标 to everyone ≥ 85 (a1, a2), whatever the rank
    assert _col(_run(scheme, people, facts), "labels") == {
        "a1": ["第一", "达标"], "a2": ["达标"], "b1": ["第一"], "b2": []}


# ---- 12. ungraded subjects; forced grades and quotas ---------------------------------------------


def test_q12_ungraded_has_no_reason_and_a_forced_grade_takes_a_quota_seat() -> None:
    grading = {**GRADES, "quotas": [{"grade": "优秀", "max_share": "50%"}],
               "ungraded_when": [{"attribute": "new", "eq": True}],
               "force_grade_when": [{"attribute": "hero", "eq": True, "grade": "优秀"}]}
    scheme = _scheme([_leaf("work", 100, {"kind": "manual"})], grading=grading)
    people = _people("p1", "p2", "p3", ("p4", "A", {"hero": True}), ("p5", "A", {"new": True}))
    facts = [_score(s, "work", v) for s, v in (("p1", 95), ("p2", 92), ("p3", 91), ("p4", 70), ("p5", 99))]
    result = _run(scheme, people, facts)
    # graded: p1..p4 (p5 ungraded, not counted) → seats floor(50% × 4) = 2; p4's forced 优秀 takes one,
    # p1 the other; p2 and p3 drop to 良好 by quota
    assert _col(result, "grade") == {"p1": "优秀", "p2": "良好", "p3": "良好", "p4": "优秀", "p5": None}
    assert _col(result, "grade_reason") == {"p1": None, "p2": "quota", "p3": "quota", "p4": "condition",
                                            "p5": None}
    assert _by_id(result)["p5"]["band_grade"] is None
    assert _by_id(result)["p5"]["rank"] == 1  # still ranked (rank_ungraded defaults to true)


# ---- 13. mean over children ----------------------------------------------------------------------


def test_q13_mean_includes_children_not_assigned_at_their_not_assigned_value() -> None:
    parent = {"code": "work", "name": "work", "max": 10, "aggregate": "mean", "children": [
        _leaf("a", 10, {"kind": "manual"}, applies_to=["A"]),
        _leaf("b", 10, {"kind": "manual"}),
        _leaf("c", 10, {"kind": "manual"}, applies_to=["A"], not_assigned="full"),
    ]}
    scheme = _scheme([parent])
    facts = [_score("p1", "b", 8)]
    # p1 in group B: a not assigned → 0, b 8, c not assigned → full 10: 10 × (0 + 0.8 + 1) / 3 = 6
    assert _col(_run(scheme, _people(("p1", "B")), facts), "total") == {"p1": "6.00"}


# ---- 14. full precision against the printed total ------------------------------------------------


def test_q14_ranks_and_bands_use_the_full_precision_total() -> None:
    scheme = _scheme([_leaf("work", 100, {"kind": "manual"})], grading=GRADES)
    facts = [_score("p1", "work", "89.996"), _score("p2", "work", "89.995"), _score("p3", "work", "90")]
    result = _run(scheme, _people("p1", "p2", "p3"), facts)
    # all three print 90.00 (half up), but p1 and p2 are below 90: band 良好; ranks 90 > 89.996 > 89.995
    assert _col(result, "total") == {"p1": "90.00", "p2": "90.00", "p3": "90.00"}
    assert _col(result, "rank") == {"p3": 1, "p1": 2, "p2": 3}
    assert _col(result, "grade") == {"p1": "良好", "p2": "良好", "p3": "优秀"}
    # the explanation shows the unrounded total (up to 6 places), which is what the 公示 reader is shown
    assert "89.996" in _by_id(result)["p1"]["explain"]["total"]
