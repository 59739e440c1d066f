"""The Excel indicator table: sheet `indicators` (code, name, parent, max, weight, rule, params) and
an optional sheet `scheme` (key | value rows: id, title, subject_kind, period, precision, groups, total).

Assessment offices keep their 评分细则 as spreadsheets; this turns one into a scheme document,
which then goes through the same validation as YAML.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from kaohe.i18n import _
from services.common.errors import InvalidInput
from services.common.i18n import json_problem
from services.common.workbook import excerpt, open_workbook
from services.common.workbook import rows as sheet_rows

COLUMNS = ("code", "name", "parent", "max", "weight", "rule", "params")
MAX_ROWS = 2000
LIST_KEYS = frozenset({"groups"})


def _number(value: Any) -> Any:
    """Cells hold floats; keep integers as int and other numbers as exact decimal strings."""
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        return value
    return int(d) if d == d.to_integral_value() else format(d, "f")


def _scalar(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_params(raw: Any, row: int) -> dict[str, Any]:
    """`{"target": 0.72}` (JSON) or `target=0.72; below=zero` (key=value, values read as JSON when they can be)."""
    if raw is None or str(raw).strip() == "":
        return {}
    text = str(raw).strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(_("row %(row)s: params is not valid JSON (%(msg)s)", row=row,
                                 msg=json_problem(exc.msg)),
                               details={"row": row}) from None
        if not isinstance(value, dict):
            raise InvalidInput(_("row %(row)s: params must be an object", row=row), details={"row": row})
        return value
    out: dict[str, Any] = {}
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise InvalidInput(_("row %(row)s: params entry %(excerpt)r is not key=value",
                                 row=row, excerpt=excerpt(part.strip())),
                               details={"row": row})
        out[key.strip()] = _scalar(value.strip())
    return out


def _header(ws: Any) -> dict[str, int]:
    first = next(sheet_rows(ws), (1, ()))[1]
    names = {str(v).strip().lower(): i for i, v in enumerate(first) if v is not None}
    missing = [c for c in ("code", "name", "max") if c not in names]
    if missing:
        raise InvalidInput(_("sheet %(title)s: missing columns %(names)s", title=ws.title, names=', '.join(missing)),
                           details={"columns": missing})
    return names


def _node(cells: dict[str, Any], row: int) -> dict[str, Any]:
    node: dict[str, Any] = {"code": str(cells["code"]).strip(), "name": str(cells.get("name") or "").strip(),
                            "max": _number(cells.get("max"))}
    if cells.get("weight") not in (None, ""):
        node["weight"] = _number(cells["weight"])
    if cells.get("rule") not in (None, ""):
        node["rule"] = {"kind": str(cells["rule"]).strip(), **parse_params(cells.get("params"), row)}
    for extra in ("aggregate", "missing"):
        if cells.get(extra) not in (None, ""):
            node[extra] = str(cells[extra]).strip()
    return node


def _tree(rows: list[tuple[dict[str, Any], str | None, int]]) -> list[dict[str, Any]]:
    by_code = {node["code"]: node for node, _, _ in rows}
    top: list[dict[str, Any]] = []
    for node, parent, row in rows:
        if not parent:
            top.append(node)
            continue
        if parent not in by_code:
            raise InvalidInput(_("row %(row)s: parent %(excerpt)r is not a code of the table",
                                 row=row, excerpt=excerpt(parent)),
                               details={"row": row})
        by_code[parent].setdefault("children", []).append(node)
    for node in by_code.values():
        kids = node.get("children", [])
        if kids and "aggregate" not in node and all("weight" in k for k in kids):
            node["aggregate"] = "weighted"
    return top


def _indicators(ws: Any) -> list[dict[str, Any]]:
    names = _header(ws)
    rows: list[tuple[dict[str, Any], str | None, int]] = []
    for n, values in sheet_rows(ws, min_row=2):
        cells = {name: values[i] if i < len(values) else None for name, i in names.items()}
        if cells.get("code") in (None, ""):
            continue
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(_("at most %(max_rows)s indicator rows", max_rows=MAX_ROWS))
        parent = cells.get("parent")
        rows.append((_node(cells, n), str(parent).strip() if parent not in (None, "") else None, n))
    return _tree(rows)


def _header_sheet(ws: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for _row, values in sheet_rows(ws):
        key, value = (*values, None, None)[:2]
        if key in (None, "", "key") or value in (None, ""):
            continue
        name = str(key).strip()
        if name in LIST_KEYS:
            out[name] = [s.strip() for s in str(value).replace("，", ",").split(",") if s.strip()]
        else:
            out[name] = _number(value) if name in ("version", "precision") else value
    return out


def document_from_workbook(data: bytes, overrides: dict[str, Any]) -> dict[str, Any]:
    """Build a scheme document from the indicator table; form fields override the `scheme` sheet."""
    wb = open_workbook(data)
    sheet = wb["indicators"] if "indicators" in wb.sheetnames else wb.worksheets[0]
    document = _header_sheet(wb["scheme"]) if "scheme" in wb.sheetnames else {}
    document.update({k: v for k, v in overrides.items() if v not in (None, "")})
    document["indicators"] = _indicators(sheet)
    return document
