"""One GraphQL type per domain object; each is built from its service's JSON by `from_json`."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

DEFAULT_PRECISION = 2  # a scheme's points precision when it names none
WIDE = Context(prec=100)  # room for any value the engines write (50 significant digits)


def text(row: dict[str, Any], *names: str) -> str | None:
    """The first of `names` present in `row`, as a string (decimals stay exact strings)."""
    for name in names:
        value = row.get(name)
        if value is not None:
            return str(value)
    return None


def strings(row: dict[str, Any], name: str) -> list[str]:
    """A list field as strings."""
    return [str(v) for v in row.get(name) or []]


def rounded(value: str | None, places: Any) -> str | None:
    """An exact decimal string rounded half-up (四舍五入) to `places` decimals (the scheme's precision), as the
    services write their own output; text that is not a number is returned as it is."""
    if value is None:
        return None
    digits = places if isinstance(places, int) and not isinstance(places, bool) and 0 <= places <= 10 \
        else DEFAULT_PRECISION
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    return format(number.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=WIDE), "f")
