"""Numbers the engine reads are bounded (kaohe.engine.bounds, docs/decisions.md "Numbers in schemes and facts are
bounded"): below 10^15 in size with at most 12 decimal places, trailing zeros not counted.

Hand-worked: 999999999999999 (15 nines) is below 10^15 and 1000000000000000 (10^15) is not; 0.000000000001 has 12
places and 0.0000000000001 has 13; 1.50000000000000000 is 1.5. `1e999999999` (a billion-digit number once added to
anything) and `1e400` are refused with a problem at their pointer, in well under a second, instead of the evaluation
growing to gigabytes or raising InvalidOperation; in facts the leaf reports the fact as it reports a field that is
not a number, and the subject's other facts count."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from kaohe.engine import evaluate, parse_scheme
from kaohe.engine.bounds import within_bounds
from kaohe.engine.scheme import SchemeInvalid
from tests.engine.scoring._helpers import fact, leaf, run, scheme_doc, score_of

BOUND = "must be a number below 10^15 in size with at most 12 decimal places"


def problems(doc: dict[str, Any]) -> list[tuple[str | None, str]]:
    with pytest.raises(SchemeInvalid) as info:
        parse_scheme(doc)
    return [(p.pointer, str(p.message)) for p in info.value.problems]


@pytest.mark.parametrize(("text", "inside"), [
    ("999999999999999", True), ("-999999999999999.999999999999", True), ("1000000000000000", False),
    ("-1000000000000000", False), ("0.000000000001", True), ("0.0000000000001", False), ("1.50000000000000000", True),
    ("1e14", True), ("1e15", False), ("1e400", False), ("1e999999999", False), ("0E-1000000", True), ("0", True)])
def test_the_bounds(text: str, inside: bool) -> None:
    assert within_bounds(Decimal(text)) is inside


@pytest.mark.parametrize("huge", ["1e999999999", "1e400", Decimal("1E+400"), 10**15, "1000000000000000"])
def test_a_max_beyond_the_bound_is_a_problem_at_its_pointer(huge: Any) -> None:
    started = time.monotonic()
    found = problems(scheme_doc([leaf("work", huge, {"kind": "manual"})]))
    shown = {"1e999999999": "1e999999999", "1e400": "1e400", "1E+400": "1E+400"}.get(str(huge), "1000000000000000")
    assert found == [("/indicators/0/max", f"the max of indicator 'work' {BOUND}, not {shown}")]
    assert time.monotonic() - started < 1


def test_the_largest_and_finest_numbers_inside_the_bound_are_read() -> None:
    scheme = parse_scheme(scheme_doc([leaf("work", 999999999999999, {"kind": "manual"}),
                                      leaf("fine", "0.000000000001", {"kind": "manual"})]))
    assert [node.max for node in scheme.indicators] == [Decimal("999999999999999"), Decimal("0.000000000001")]


def test_too_many_places_a_weight_and_an_expression_constant_are_problems() -> None:
    doc = scheme_doc([leaf("work", "0.0000000000001", {"kind": "manual"}),
                      {**leaf("more", 60, {"kind": "manual"}), "weight": "1e400%"}],
                     total="work * 10000000000000000")
    found = problems(doc)
    assert ("/indicators/0/max", f"the max of indicator 'work' {BOUND}, not 0.0000000000001") in found
    assert ("/indicators/1/weight", f"weight {BOUND}, not 1e400%") in found
    assert any(pointer == "/total" and "the number 10000000000000000 is too large or too precise" in message
               for pointer, message in found), found


def test_a_fact_beyond_the_bound_is_reported_and_the_others_count() -> None:
    """work (manual, max 60) reads two score facts; the mean of the usable ones: f2 alone, 40. rate (ratio,
    target 1, max 40) reads f3's numerator 10^15, which is not read: no usable fact, so the leaf scores 0."""
    started = time.monotonic()
    result = run([leaf("work", 60, {"kind": "manual", "combine": "mean"}),
                  leaf("rate", 40, {"kind": "ratio", "target": 1})],
                 [fact("f1", "work", "score", points="1e999999999"), fact("f2", "work", "score", points="40"),
                  fact("f3", "rate", "measure", numerator=10**15, denominator=10**15)])
    assert time.monotonic() - started < 1
    assert score_of(result, "p1", "work") == Decimal(40)
    messages = {(p.fact, str(p.message)) for p in result.problems}
    assert ("f1", "score fact needs numeric points, got '1e999999999'") in messages
    assert ("f3", "measure fact needs numeric numerator and denominator") in messages


def test_evaluate_does_not_grow_on_a_huge_fact() -> None:
    """The attack: `kaohe evaluate` on points 1e999999999 grew to 8.5 GB; now the fact is reported and p1's work
    has no usable score (0 under missing: zero)."""
    scheme = scheme_doc([leaf("work", 60, {"kind": "manual"})])
    facts = {"scheme": "test-scheme", "version": 1, "period": "2026-Q1",
             "subjects": [{"id": "p1", "group": "A", "attributes": {}}],
             "facts": [fact("f1", "work", "score", points="1e999999999")]}
    started = time.monotonic()
    result = evaluate(scheme, facts)
    assert time.monotonic() - started < 2
    (row,) = result["subjects"]
    assert Decimal(str(row["total"])) == 0
    assert result["problems"] == [{"fact": "f1", "message": "score fact needs numeric points, got '1e999999999'"}]
