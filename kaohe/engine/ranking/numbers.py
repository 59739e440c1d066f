"""Exact decimal helpers: output rounding (§1), share-to-count rounding (§7, §8)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal
from typing import Any, Final

from ..scheme.model import Rounding

# 50 significant digits so a division (mean, shared by_rank amount) never loses what the
# output rounding could show; the caller's thread context never matters.
CONTEXT: Final = Context(prec=50, rounding=ROUND_HALF_UP)
ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)


class _PointsMemo(dict[str, str]):
    """format_points at one precision, remembered by the value's text.

    Keyed by str(value), which determines the rounded result exactly (sign, digits, exponent) and
    hashes faster than a long Decimal (a mean, a weighted score).
    """

    def __init__(self, precision: int) -> None:
        super().__init__()
        self.precision = precision

    def format(self, value: Decimal) -> str:
        key = str(value)
        text = self.get(key)
        if text is None:
            text = _format_points(value, self.precision)
            if len(self) < 10_000:  # a long-running service must not grow
                self[key] = text
        return text


_MEMOS: Final[dict[int, _PointsMemo]] = {}


def points_formatter(precision: int) -> Callable[[Decimal], str]:
    """`format_points` at a fixed precision, remembered (the result lists ~37 per subject)."""
    memo = _MEMOS.get(precision)
    if memo is None:
        memo = _MEMOS.setdefault(precision, _PointsMemo(precision))
    return memo.format


def format_points(value: Decimal, precision: int) -> str:
    """Half-up (四舍五入) to `precision` places, always that many decimals: "88.40"."""
    if not value.is_finite():  # a signalling NaN cannot be a dict key
        return _format_points(value, precision)
    return points_formatter(precision)(value)


def _format_points(value: Decimal, precision: int) -> str:
    quantum = Decimal(1).scaleb(-precision)
    text = format(value.quantize(quantum, rounding=ROUND_HALF_UP, context=CONTEXT), "f")
    return "0" + text[2:] if text.startswith("-0") and _is_zero(text) else text


def format_money(value: Decimal) -> str:
    """Money: half-up to exactly two decimals."""
    return format_points(value, 2)


def _is_zero(text: str) -> bool:
    return set(text.lstrip("-")) <= {"0", "."}


def count_from_share(share: Decimal, count: int, rounding: Rounding) -> int:
    """`rounding(share × count)`: a 25 % quota of 10 subjects is 2 (floor), 3 (ceil or round)."""
    exact = CONTEXT.multiply(share, Decimal(count))
    mode = {"floor": ROUND_FLOOR, "ceil": ROUND_CEILING, "round": ROUND_HALF_UP}[rounding]
    return int(exact.quantize(ONE, rounding=mode, context=CONTEXT))


def as_decimal(raw: Any) -> Decimal | None:
    """A JSON/YAML number or numeric string read exactly; None when it is not a finite number."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except ArithmeticError:
        return None
    return value if value.is_finite() else None
