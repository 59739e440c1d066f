"""Leaf options of docs/scheme-reference.md §3.4–3.5: required documents and the look-back window (001 篇5).

`documents` lists the evidence documents a task must be proven by and who supplies them; a task
without all of them scores as `when_missing` says. `lookback: {periods: n}` makes a leaf read its
facts of the n − 1 earlier periods of the scheme too ("3年内…"). Parsing lives here with the
scoring helpers so the two halves of each option are read together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from kaohe.i18n import _

from .checks import Checker, pointer
from .model import Documents, RequiredDocument

MAX_LOOKBACK = 10
EACH_DOCUMENT = _("each required document")
DOCUMENT_NAME = _("the document name")
SUPPLIER = _("the supplier")
_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])|H([12])|W(0[1-9]|[1-4]\d|5[0-3])))?$")


def parse_documents(c: Checker, value: Any, ptr: str) -> Documents | None:
    data = c.mapping(value, ptr, "documents")
    if data is None:
        return None
    c.keys(data, ptr, ("required", "when_missing"), ("required",))
    items = c.seq(data.get("required"), pointer(ptr, "required"), "required") if "required" in data else None
    if items is not None and not items:
        c.add(pointer(ptr, "required"),
              _("list at least one required document, such as {name: 培训记录, supplier: 法制科}"))
    required: list[RequiredDocument] = []
    for i, item in enumerate(items or []):
        at = pointer(pointer(ptr, "required"), i)
        doc = c.mapping(item, at, EACH_DOCUMENT)
        if doc is None:
            continue
        c.keys(doc, at, ("name", "supplier"), ("name",))
        name = c.text(doc.get("name"), pointer(at, "name"), DOCUMENT_NAME) if "name" in doc else None
        supplier = (c.text(doc.get("supplier"), pointer(at, "supplier"), SUPPLIER) if "supplier" in doc
                    else None)
        if name is None:
            continue
        if any(d.name == name for d in required):
            c.add(pointer(at, "name"), _("the document %(name)r is listed twice; each document once", name=name))
            continue
        required.append(RequiredDocument(name=name, supplier=supplier))
    when = c.choice(data.get("when_missing", "zero"), pointer(ptr, "when_missing"), "when_missing",
                    ("zero", "proportional", "missing")) or "zero"
    return Documents(required=tuple(required), when_missing=when) if required else None  # type: ignore[arg-type]


def parse_lookback(c: Checker, value: Any, ptr: str) -> int | None:
    data = c.mapping(value, ptr, "lookback")
    if data is None:
        return None
    c.keys(data, ptr, ("periods",), ("periods",))
    if "periods" not in data:
        return None
    periods = c.integer(data["periods"], pointer(ptr, "periods"), "periods", low=2)
    if periods is not None and periods > MAX_LOOKBACK:
        c.add(pointer(ptr, "periods"), _("look back at most %(most)s periods (this one included)", most=MAX_LOOKBACK))
        return None
    return periods


def earlier_periods(period: str, count: int) -> tuple[str, ...]:
    """The `count` − 1 periods of the same kind before `period`, nearest first ("2014", 3 → 2013, 2012)."""
    match = _PERIOD.match(period)
    if match is None:
        return ()
    year = int(match.group(1))
    month, quarter, half, week = match.group(2), match.group(3), match.group(4), match.group(5)
    out = []
    for back in range(1, count):
        if month:
            index = year * 12 + int(month) - 1 - back
            out.append(f"{index // 12}-{index % 12 + 1:02d}")
        elif quarter:
            index = year * 4 + int(quarter) - 1 - back
            out.append(f"{index // 4}-Q{index % 4 + 1}")
        elif half:
            index = year * 2 + int(half) - 1 - back
            out.append(f"{index // 2}-H{index % 2 + 1}")
        elif week:
            monday = date.fromisocalendar(year, int(week), 1) - timedelta(weeks=back)
            iso = monday.isocalendar()
            out.append(f"{iso[0]}-W{iso[1]:02d}")
        else:
            out.append(str(year - back))
    return tuple(out)


def period_span(period: str) -> tuple[date, date] | None:
    """The first and last day of a period identifier of §1 (an ISO week: Monday to Sunday); None for a label that
    is not one ("Q1", "2026 年一季度"), whose days kaohe cannot tell."""
    match = _PERIOD.match(period)
    if match is None:
        return None
    year = int(match.group(1))
    month, quarter, half, week = match.group(2), match.group(3), match.group(4), match.group(5)
    if week:
        try:
            monday = date.fromisocalendar(year, int(week), 1)
        except ValueError:  # W53 of a year that has 52 weeks
            return None
        return monday, monday + timedelta(days=6)
    first, count = (int(month), 1) if month else (3 * int(quarter) - 2, 3) if quarter \
        else (6 * int(half) - 5, 6) if half else (1, 12)
    after = year * 12 + first - 1 + count  # the month after the last one, counted from year 0
    return date(year, first, 1), date(after // 12, after % 12 + 1, 1) - timedelta(days=1)


def apply_documents(rule: Documents, facts: Sequence[Mapping[str, Any]], score: Decimal | None,
                    text: str) -> tuple[Decimal | None, str]:
    """The leaf's score once its documents are checked (None: the leaf's missing policy applies)."""
    supplied = {f.get("document") for f in facts}
    missing = [d for d in rule.required if d.name not in supplied]
    count = len(rule.required)
    lead = f"{text}; " if text else ""
    if not missing:
        return score, f"{lead}documents {count} of {count}"
    owed = ", ".join(f"{d.name} ({d.supplier})" if d.supplier else d.name for d in missing)
    have = count - len(missing)
    head = f"{lead}documents {have} of {count}, missing {owed}"
    if rule.when_missing == "missing":
        return None, head
    if rule.when_missing == "proportional":
        value = (score if score is not None else Decimal(0)) * have / count
        return value, f"{head}: × {have}/{count} = {_shown(value)}"
    return Decimal(0), f"{head}: 0"


def _shown(value: Decimal) -> str:
    """At most 6 decimals, for the explanation only."""
    text = format(value.quantize(Decimal("0.000001")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
