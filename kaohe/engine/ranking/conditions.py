"""Attribute conditions of §7 (`ungraded_when`, `force_grade_when`, `max_grade_when`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..scheme.model import AttributeCondition
from .numbers import as_decimal


def condition_holds(condition: AttributeCondition, attributes: Mapping[str, Any]) -> bool:
    """Whether the subject's attribute satisfies the condition; a missing attribute never does."""
    if condition.attribute not in attributes:
        return False
    actual = attributes[condition.attribute]
    if condition.op in ("eq", "ne"):
        return _equal(actual, condition.value) == (condition.op == "eq")
    left, right = as_decimal(actual), as_decimal(condition.value)
    if left is None or right is None:
        return False
    return {
        "lt": left < right,
        "lte": left <= right,
        "gt": left > right,
        "gte": left >= right,
    }[condition.op]


def _equal(actual: Any, expected: Any) -> bool:
    # `true` is not 1 and "3" equals 3: booleans compare as booleans, numbers exactly.
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected or (actual == expected and type(actual) is type(expected))
    left, right = as_decimal(actual), as_decimal(expected)
    if left is not None and right is not None:
        return left == right
    return bool(actual == expected)
