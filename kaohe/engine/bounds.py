"""The numbers the engine reads: below 10^15 in size, with at most 12 decimal places (docs/decisions.md, "Numbers
in schemes and facts are bounded").

Exact decimals take any exponent: `1e999999999` reads as a Decimal at once, and then an addition, a quantize or an
int() of it asks for a billion digits (gigabytes), while `1e400` past a context's limits raises InvalidOperation.
A scheme's numbers (maxima, weights, points, bands, thresholds, expression constants) and a fact's (points, value,
numerator, denominator, count, weight) are therefore read only within these bounds: a scheme's other number is a
validation problem at its pointer, a fact's is not a number (the leaf reports the fact and its field)."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

MAX_INTEGER_DIGITS: Final = 15  # |x| < 10^15: ten thousand times the largest sum of money an office counts
MAX_PLACES: Final = 12  # a share as fine as 0.000000000001
_LIMIT: Final = 10**MAX_INTEGER_DIGITS


def within_bounds(value: Decimal) -> bool:
    """Whether a finite `value` is below 10^15 in size with at most 12 decimal places (trailing zeros not counted:
    1.50000000000000000 is 1.5); zero in any notation is."""
    if value.is_zero():
        return True
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        return False
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= -MAX_PLACES:
        return isinstance(exponent, int)
    digits = value.as_tuple().digits
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return exponent + trailing >= -MAX_PLACES


def integer_within_bounds(value: int) -> bool:
    """Whether a whole number is below 10^15 in size (cheaper than making it a Decimal first)."""
    return -_LIMIT < value < _LIMIT
