"""Small validation helpers shared by the scheme parser: every problem gets a pointer and a sentence.

A sentence is a marked message (`_()`, kaohe.i18n): English in the `Problem`, rendered in the caller's language
where it leaves the process. `what` names the value checked: a key of the scheme as written (`version`,
`scope`), which stays as it is in either language, or a marked phrase: a constant made once
(`INDICATOR_CODE = _("the indicator code")`), or a function that makes one with parameters, called only when
there is a problem to report (a valid scheme builds no sentence)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from kaohe.i18n import _

from .expression import CompiledExpression, ExpressionError, beyond_bounds, compile_expression, to_decimal
from .model import Problem

CODE_RE = re.compile(r"[a-z][a-z0-9_]*")
What = str | Callable[[], str]  # a key as written, a marked phrase, or a function making one (only on a problem)
_HUNDRED = Decimal(100)


def pointer(base: str, key: str | int) -> str:
    """Append one JSON-pointer segment (RFC 6901 escaping)."""
    return f"{base}/{str(key).replace('~', '~0').replace('/', '~1')}"


class Checker:
    """Collects problems; each helper returns the parsed value or None after recording a problem."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, ptr: str, message: str) -> None:  # message: a marked message (kaohe.i18n.Text)
        """Record one problem at `ptr`."""
        self.problems.append(Problem(message=message, pointer=ptr or "/"))

    def warn(self, ptr: str, message: str) -> None:
        """Record something valid that is very likely a slip (the scheme is still accepted)."""
        self.warnings.append(Problem(message=message, pointer=ptr or "/"))

    def keys(self, data: Mapping[str, Any], ptr: str, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        """Reject unknown keys (with the nearest valid key) and report missing required ones."""
        allowed = tuple(allowed)
        for key in data:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1)
            if close:
                self.add(pointer(ptr, key), _("unknown key '%(key)s'; did you mean '%(close)s'?", key=key,
                                              close=close[0]))
            else:
                self.add(pointer(ptr, key), _("unknown key '%(key)s'; allowed keys are %(allowed)s", key=key,
                                              allowed=", ".join(allowed)))
        for key in required:
            if key not in data:
                self.add(pointer(ptr, key), _("'%(key)s' is required here", key=key))

    def mapping(self, value: Any, ptr: str, what: What) -> Mapping[str, Any] | None:
        """The value as a mapping, or a problem."""
        if isinstance(value, Mapping):
            return value
        self.add(ptr, _("%(what)s must be a mapping (key: value), not %(kind)s", what=said(what), kind=_kind(value)))
        return None

    def seq(self, value: Any, ptr: str, what: What) -> list[Any] | None:
        """The value as a list, or a problem."""
        if isinstance(value, list | tuple):
            return list(value)
        self.add(ptr, _("%(what)s must be a list, not %(kind)s", what=said(what), kind=_kind(value)))
        return None

    def text(self, value: Any, ptr: str, what: What) -> str | None:
        """A non-empty string."""
        if isinstance(value, str) and value.strip():
            return value
        self.add(ptr, _("%(what)s must be non-empty text, not %(kind)s", what=said(what), kind=_kind(value)))
        return None

    def choice(self, value: Any, ptr: str, what: What, options: tuple[str, ...]) -> str | None:
        """One of `options`, with the nearest one suggested."""
        if isinstance(value, str) and value in options:
            return value
        close = difflib.get_close_matches(str(value), options, n=1)
        listed = ", ".join(options)
        if close:
            self.add(ptr, _("%(what)s must be one of %(options)s, not %(value)r; did you mean '%(close)s'?",
                            what=said(what), options=listed, value=value, close=close[0]))
        else:
            self.add(ptr, _("%(what)s must be one of %(options)s, not %(value)r", what=said(what), options=listed,
                            value=value))
        return None

    def boolean(self, value: Any, ptr: str, what: What) -> bool | None:
        """true or false."""
        if isinstance(value, bool):
            return value
        self.add(ptr, _("%(what)s must be true or false, not %(value)r", what=said(what), value=value))
        return None

    def integer(
        self, value: Any, ptr: str, what: What, *, low: int | None = None, high: int | None = None
    ) -> int | None:
        """A whole number within [low, high]."""
        number = to_decimal(value)
        if number is None or number != number.to_integral_value():
            self.add(ptr, too_large(what, value)
                     or _("%(what)s must be a whole number, not %(value)r", what=said(what), value=value))
            return None
        result = int(number)
        if (low is not None and result < low) or (high is not None and result > high):
            if high is not None:
                self.add(ptr, _("%(what)s must be between %(low)s and %(high)s, not %(value)s", what=said(what),
                                low=low, high=high, value=result))
            else:
                self.add(ptr, _("%(what)s must be at least %(low)s, not %(value)s", what=said(what), low=low,
                                value=result))
            return None
        return result

    def number(
        self,
        value: Any,
        ptr: str,
        what: What,
        *,
        positive: bool = False,
        non_negative: bool = False,
        percent: bool = False,
    ) -> Decimal | None:
        """An exact decimal (numbers or numeric strings, "90%" too when `percent`), optionally > 0 or ≥ 0."""
        number = percent_or_number(value, as_fraction=True) if percent else to_decimal(value)
        if number is None:
            self.add(ptr, too_large(what, value)
                     or _("%(what)s must be a number, not %(value)r", what=said(what), value=value))
            return None
        if positive and number <= 0:
            self.add(ptr, _("%(what)s must be greater than 0, not %(value)r", what=said(what), value=value))
            return None
        if non_negative and number < 0:
            self.add(ptr, _("%(what)s must not be negative, not %(value)r", what=said(what), value=value))
            return None
        return number

    def share(self, value: Any, ptr: str, what: What) -> Decimal | None:
        """A fraction in (0, 1], written as 0.25 or "25%"."""
        number = percent_or_number(value, as_fraction=True)
        if number is None or not 0 < number <= 1:
            self.add(ptr, too_large(what, value) or _(
                "%(what)s must be a share above 0 and at most 1 (such as 0.25 or 25%%), not %(value)r",
                what=said(what), value=value))
            return None
        return number

    def code(self, value: Any, ptr: str, what: What) -> str | None:
        """An indicator code `[a-z][a-z0-9_]*`."""
        if isinstance(value, str) and CODE_RE.fullmatch(value):
            return value
        self.add(ptr, _("%(what)s %(value)r is not a valid code: use lower-case letters, digits and '_', starting "
                        "with a letter", what=said(what), value=value))
        return None


def too_large(what: What, value: Any) -> str | None:
    """The problem of a number the engine does not read (kaohe.engine.bounds: 10^15 or more in size, or more than 12
    decimal places), naming the field; None for any other value."""
    if not beyond_bounds(value):
        return None
    shown = value if not isinstance(value, str) or len(value) <= 40 else f"{value[:20]}… ({len(value)} characters)"
    return _("%(what)s must be a number below 10^15 in size with at most 12 decimal places, not %(value)s",
             what=said(what), value=shown)


def said(what: What) -> str:
    """The phrase `what` names (a function's phrase made now)."""
    return what() if callable(what) else what


def percent_or_number(value: Any, *, as_fraction: bool) -> Decimal | None:
    """Read 25, 0.25 or "25%": with as_fraction "25%" is 0.25, otherwise "25%" is 25."""
    if isinstance(value, str) and value.strip().endswith("%"):
        number = to_decimal(value.strip()[:-1])
        if number is None:
            return None
        return number / _HUNDRED if as_fraction else number
    return to_decimal(value)


def _kind(value: Any) -> str:
    if value is None:
        return _("empty")
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, Mapping):
        return _("a mapping")
    if isinstance(value, list | tuple):
        return _("a list")
    if isinstance(value, str):
        return _("the text %(text)r", text=value)
    return repr(value)


def compile_checked(c: Checker, value: Any, ptr: str) -> CompiledExpression | None:
    """Compile an expression, turning a syntax error into a problem at `ptr`."""
    if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
        c.add(ptr, _("an expression must be text, not %(value)r", value=value))
        return None
    try:
        return compile_expression(str(value))
    except ExpressionError as exc:
        c.add(ptr, _("cannot read the expression %(value)r: %(reason)s", value=value, reason=exc.reason))
        return None
