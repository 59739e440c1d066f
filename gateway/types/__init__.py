"""One GraphQL type per domain object; each is built from its service's JSON by `from_json`."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from services.common.settings import get_settings

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


def _places(places: Any) -> int:
    """The scheme's precision when it is a sensible one, else the default."""
    return places if isinstance(places, int) and not isinstance(places, bool) and 0 <= places <= 10 \
        else DEFAULT_PRECISION


def _finite(value: str) -> Decimal | None:
    """The decimal a text holds, or None when it holds no finite number."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def rounded(value: str | None, places: Any) -> str | None:
    """An exact decimal string rounded half-up (四舍五入) to `places` decimals (the scheme's precision), as the
    services write their own output; text that is not a number is returned as it is."""
    number = None if value is None else _finite(value)
    if number is None:
        return value
    return format(number.quantize(Decimal(1).scaleb(-_places(places)), rounding=ROUND_HALF_UP, context=WIDE), "f")


def exact(value: str | None, places: Any) -> str | None:
    """An unrounded decimal string written the same way whatever arithmetic produced it: at least `places` decimals
    (the scheme's precision, as the rounded value shows), and beyond them only the digits the value has (15, 15.0
    and 15.00 are all "15.00" at precision 2; 9.4736842105… keeps every digit). Not a number: returned as it is."""
    number = None if value is None else _finite(value)
    if number is None:
        return value
    digits = _places(places)
    shortest = number.normalize(WIDE)
    if shortest.as_tuple().exponent >= -digits:  # type: ignore[operator]  # finite: an int exponent
        return format(number.quantize(Decimal(1).scaleb(-digits), context=WIDE), "f")
    return format(shortest, "f")


def due_descriptions(name: str, what: str, local_example: str) -> tuple[str, str, str]:
    """The descriptions of a due instant `<name>At` and of its `<name>On` and `<name>Local` (docs/api.md)."""
    return (f"When {what} is due, an instant in UTC; `{name}On` and `{name}Local` say the same for a reader.",
            f"The day {what} is due in the office's time zone (KAOHE_TIMEZONE, Asia/Shanghai by default), ISO "
            f"8601: it is due by the instant `{name}Local` shows on that day.",
            f"`{name}At` written with the office's offset (`{local_example}`): the same instant.")


def office_time(instant: str | None) -> datetime | None:
    """An ISO 8601 instant in the office's time zone (KAOHE_TIMEZONE, Asia/Shanghai by default); None when absent or
    not an instant with a zone."""
    if instant is None:
        return None
    try:
        moment = datetime.fromisoformat(instant)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(ZoneInfo(get_settings().timezone))


def local_instant(instant: str | None) -> str | None:
    """The same instant written with the office's offset: `2026-03-31T15:59:59.999999Z` →
    `2026-03-31T23:59:59.999999+08:00`."""
    moment = office_time(instant)
    return None if moment is None else moment.isoformat()


def local_date(instant: str | None) -> str | None:
    """The office's calendar day of an instant: the day a deadline ends (`2026-03-31T15:59:59.999999Z` →
    `2026-03-31`)."""
    moment = office_time(instant)
    return None if moment is None else moment.date().isoformat()
