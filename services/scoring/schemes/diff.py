"""Indicator-by-indicator comparison of two scheme documents."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from services.scoring.schemes.schemas import FieldChange, IndicatorChange


def _nodes(items: Any, parent: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    for node in items if isinstance(items, list) else []:
        if not isinstance(node, Mapping) or "code" not in node:
            continue
        flat = {k: v for k, v in node.items() if k != "children"}
        flat["parent"] = parent
        yield str(node["code"]), flat
        yield from _nodes(node.get("children"), str(node["code"]))


def flatten(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """code → the node's own fields (children replaced by `parent`)."""
    return dict(_nodes(document.get("indicators"), None))


def _field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    keys = sorted(set(before) | set(after))
    return [FieldChange(field=k, before=before.get(k), after=after.get(k))
            for k in keys if before.get(k) != after.get(k)]


def diff_documents(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[list[str], list[str], list[IndicatorChange], list[FieldChange]]:
    """(added codes, removed codes, changed indicators, changed top-level sections)."""
    a, b = flatten(before), flatten(after)
    added = [code for code in b if code not in a]
    removed = [code for code in a if code not in b]
    changed = [
        IndicatorChange(code=code, changes=fields)
        for code in a if code in b and (fields := _field_changes(a[code], b[code]))
    ]
    skip = {"indicators", "version"}
    sections = _field_changes({k: v for k, v in before.items() if k not in skip},
                              {k: v for k, v in after.items() if k not in skip})
    return added, removed, changed, sections
