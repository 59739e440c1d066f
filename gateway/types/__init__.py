"""One GraphQL type per domain object; each is built from its service's JSON by `from_json`."""

from __future__ import annotations

from typing import Any


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
