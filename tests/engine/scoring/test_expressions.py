"""§3.3 expressions: grammar, exact arithmetic, runtime division by zero, rejected input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kaohe.engine.scheme import ExpressionError, compile_expression

D = Decimal


def ev(text: str, scores: dict[str, str] | None = None, attrs: dict[str, object] | None = None) -> Decimal:
    expr = compile_expression(text)
    return expr.evaluate({k: D(v) for k, v in (scores or {}).items()}, attrs or {}, [])


def test_precedence_and_parentheses() -> None:
    assert ev("1 + 2 * 3") == 7  # * binds tighter
    assert ev("(1 + 2) * 3") == 9
    assert ev("10 - 4 - 3") == 3  # left associative
    assert ev("12 / 3 / 2") == 2
    assert ev("-2 * -3") == 6
    assert ev("- (1 + 1)") == -2


def test_percent_and_names() -> None:
    # (46 + 30 + 7 + 2) * 0.6 + 80 * 0.4 = 85 * 0.6 + 32 = 51 + 32 = 83
    text = "(regular + key_projects + attendance + adjust) * 60% + leader_eval * 40%"
    expr = compile_expression(text)
    assert expr.names == frozenset({"regular", "key_projects", "attendance", "adjust", "leader_eval"})
    got = expr.evaluate(
        {"regular": D(46), "key_projects": D(30), "attendance": D(7), "adjust": D(2), "leader_eval": D(80)}, {}
    )
    assert got == D("83.0")


def test_attr_and_functions() -> None:
    assert compile_expression("attr.months_in_post / 3").attributes == frozenset({"months_in_post"})
    assert ev("attr.months_in_post / 3", attrs={"months_in_post": 2}) * 3 == D(
        "2.000000000000000000000000000000000000000000000000"
    )
    assert ev("min(a, b, 3)", {"a": "5", "b": "4"}) == 3
    assert ev("max(a, b)", {"a": "5", "b": "4"}) == 5
    assert ev("clamp(a, 0, 1)", {"a": "1.5"}) == 1
    assert ev("clamp(a, 0, 1)", {"a": "-1"}) == 0


def test_exact_decimal_and_precision() -> None:
    assert ev("0.1 + 0.2") == D("0.3")  # exact, never float
    third = ev("1 / 3")
    assert len(third.as_tuple().digits) == 50  # 50 significant digits, not the default 28


def test_runtime_division_by_zero_is_zero_with_note() -> None:
    expr = compile_expression("a / b")
    notes: list[str] = []
    assert expr.evaluate({"a": D(5), "b": D(0)}, {}, notes) == 0
    assert notes and "division by zero" in notes[0]


def test_missing_attribute_is_zero_with_note() -> None:
    notes: list[str] = []
    assert compile_expression("attr.x + 1").evaluate({}, {}, notes) == 1
    assert "attribute x" in notes[0]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a / 0", "division by zero"),
        ("a / (2 - 2)", "division by zero"),
        ("__import__('os')", "unexpected character"),
        ("__import__", "not a valid indicator code"),
        ("a.b", "attr.NAME"),
        ("open(1)", "unknown function"),
        ("clamp(1, 2)", "three arguments"),
        ("1 +", "expected a number"),
        ("(1 + 2", "expected ')'"),
        ("1 2", "unexpected"),
        ("a ** 2", "expected a number"),
        ("'x'", "unexpected character"),
        ("1..2", "malformed number"),
        ("lambda: 1", "unexpected character"),
    ],
)
def test_rejected(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(text)
    assert fragment in str(info.value)
    assert "column" in str(info.value)


def test_error_position() -> None:
    with pytest.raises(ExpressionError, match="column 5"):
        compile_expression("1 + $")


def test_deep_nesting_rejected_cleanly() -> None:
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression("(" * 500 + "1" + ")" * 500)
