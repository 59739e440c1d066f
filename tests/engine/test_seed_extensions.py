"""The scheme keys added for 001 篇4 and 篇5 (docs/scheme-reference.md §3.4, §3.5, §10.1): validation
answers with a pointer and a sentence, and the runtime cases the example files do not show."""

from __future__ import annotations

from typing import Any

import pytest

from kaohe.engine import evaluate, parse_scheme
from kaohe.engine.scheme.evidence_rules import earlier_periods
from kaohe.engine.scheme.model import SchemeInvalid


def _doc(indicators: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": "x", "version": 1, "title": "t", "subject_kind": "unit", "period": "year", "groups": ["A"],
            "indicators": indicators, **extra}


def _problems(document: dict[str, Any]) -> list[tuple[str | None, str]]:
    with pytest.raises(SchemeInvalid) as caught:
        parse_scheme(document)
    return [(p.pointer, p.message) for p in caught.value.problems]


LEAF = {"code": "work", "name": "work", "max": 100, "rule": {"kind": "manual"}}


def test_documents_and_lookback_are_validated_with_a_pointer_and_a_sentence() -> None:
    bad = _doc([{**LEAF, "documents": {"required": [], "when_missing": "sometimes"}, "lookback": {"periods": 1}}])
    problems = _problems(bad)
    assert ("/indicators/0/documents/required",
            "list at least one required document, such as {name: 培训记录, supplier: 法制科}") in problems
    assert any(p == "/indicators/0/documents/when_missing" and "zero, proportional, missing" in m for p, m in problems)
    assert any(p == "/indicators/0/lookback/periods" for p, _ in problems)
    twice = _doc([{**LEAF, "documents": {"required": [{"name": "记录"}, {"name": "记录"}]}}])
    assert ("/indicators/0/documents/required/1/name", "the document '记录' is listed twice; each document once") in (
        _problems(twice))
    inner = _doc([{"code": "p", "name": "p", "max": 100, "documents": {"required": [{"name": "记录"}]},
                   "children": [LEAF]}])
    assert any(p == "/indicators/0/documents" and "leaf" in m for p, m in _problems(inner))


def test_distribute_is_validated_with_a_pointer_and_a_sentence() -> None:
    base = _doc([LEAF])
    no_weight = {**base, "rewards": [{"name": "pay", "amount": "total * 100", "distribute": {"members": "staff"}}]}
    assert ("/rewards/0/distribute/weight", "'weight' is required here") in _problems(no_weight)
    code_in_weight = {**base, "rewards": [{"name": "pay", "amount": "total * 100",
                                           "distribute": {"members": "staff", "weight": "work * 2"}}]}
    assert ("/rewards/0/distribute/weight",
            "the weight may use score, total and attr.NAME (the person's attributes); 'work' is none of them") in (
        _problems(code_in_weight))
    two_forms = {**base, "rewards": [{"name": "pay", "amount": "total", "pool": 100, "weight": "1"}]}
    assert ("/rewards/0", "a reward needs exactly one of by_grade, by_rank, pool, by_label, amount") in (
        _problems(two_forms))


def test_a_fact_of_an_earlier_period_counts_only_in_a_look_back_window() -> None:
    scheme = _doc([{"code": "promoted", "name": "p", "max": 10, "lookback": {"periods": 2},
                    "rule": {"kind": "ratio", "target": 1}},
                   {"code": "other", "name": "o", "max": 10, "rule": {"kind": "ratio", "target": 1}}])
    facts = {"scheme": "x", "version": 1, "period": "2014", "subjects": [{"id": "u1", "group": "A"}], "facts": [
        {"id": "f1", "subject": "u1", "indicator": "promoted", "fact": "measure", "numerator": 1, "denominator": 2},
        {"id": "f2", "subject": "u1", "indicator": "promoted", "fact": "measure", "numerator": 2, "denominator": 2,
         "period": "2013"},
        {"id": "f3", "subject": "u1", "indicator": "promoted", "fact": "measure", "numerator": 0, "denominator": 5,
         "period": "2012"},  # outside the two-year window: reported, not used
        {"id": "f4", "subject": "u1", "indicator": "other", "fact": "measure", "numerator": 1, "denominator": 1},
        {"id": "f5", "subject": "u1", "indicator": "other", "fact": "measure", "numerator": 0, "denominator": 1,
         "period": "2013"},  # the leaf does not look back: reported, not used
    ]}
    result = evaluate(scheme, facts)
    # promoted: (1 + 2) / (2 + 2) = 0.75 → 10 × 0.75 = 7.5; other: 1/1 → 10
    assert result["subjects"][0]["scores"] == {"promoted": "7.50", "other": "10.00"}
    assert [p["fact"] for p in result["problems"]] == ["f3", "f5"]


def test_earlier_periods_of_each_period_kind() -> None:
    assert earlier_periods("2014", 3) == ("2013", "2012")
    assert earlier_periods("2026-01", 3) == ("2025-12", "2025-11")
    assert earlier_periods("2026-Q1", 2) == ("2025-Q4",)
    assert earlier_periods("2026-H1", 2) == ("2025-H2",)
    assert earlier_periods("2026-W01", 2) == ("2025-W52",)  # 2025 has 52 ISO weeks


def test_a_unit_without_a_usable_member_list_keeps_its_amount_and_says_so() -> None:
    scheme = _doc([LEAF], rewards=[{"name": "pay", "amount": "total * 10",
                                    "distribute": {"members": "staff", "weight": "attr.k * score"}}])
    facts = {"scheme": "x", "version": 1, "period": "2014", "subjects": [
        {"id": "u1", "group": "A", "attributes": {"staff": [
            {"id": "p1", "score": 80, "attributes": {"k": 1}}, {"id": "p2", "score": 80, "attributes": {"k": -1}}]}},
        {"id": "u2", "group": "A", "attributes": {"staff": "three people"}}],
        "facts": [{"id": "f1", "subject": "u1", "indicator": "work", "fact": "score", "points": 50},
                  {"id": "f2", "subject": "u2", "indicator": "work", "fact": "score", "points": 40}]}
    result = evaluate(scheme, facts)
    by_id = {s["id"]: s for s in result["subjects"]}
    # u1: 50 × 10 = 500.00; p2's negative weight counts 0, so p1 takes it all
    assert by_id["u1"]["distribution"] == {"pay": {"p1": "500.00", "p2": "0.00"}}
    assert by_id["u2"]["rewards"] == {"pay": "400.00"} and by_id["u2"]["distribution"] == {}
    assert [(p.get("subject"), p.get("pointer")) for p in result["problems"]] == [("u2", "/rewards/0/distribute")]
