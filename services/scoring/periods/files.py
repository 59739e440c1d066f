"""Enrolment from CSV or xlsx: columns `id`, `group`, every other column an attribute."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from services.common.errors import InvalidInput

_INT = re.compile(r"^-?\d+$")
_DEC = re.compile(r"^-?\d+\.\d+$")
MAX_ROWS = 20_000


def _value(raw: Any) -> Any:
    """Attribute cells: booleans and integers typed, decimals kept as exact strings, text as is."""
    if raw is None:
        return None
    if isinstance(raw, bool | int):
        return raw
    if isinstance(raw, float):
        d = Decimal(str(raw))
        return int(d) if d == d.to_integral_value() else format(d, "f")
    text = str(raw).strip()
    if text == "":
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _INT.match(text):
        return int(text)
    return text if not _DEC.match(text) else format(Decimal(text), "f")


def _rows_to_subjects(header: list[str], rows: list[list[Any]]) -> list[dict[str, Any]]:
    names = [h.strip() for h in header]
    if "id" not in names or "group" not in names:
        raise InvalidInput("the file needs the columns id and group", details={"columns": names})
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} rows")
    out = []
    for row in rows:
        cells = dict(zip(names, row, strict=False))
        if cells.get("id") in (None, ""):
            continue
        attributes = {k: v for k, raw in cells.items() if k not in ("id", "group", "name") and k
                      and (v := _value(raw)) is not None}
        out.append({"id": str(cells["id"]).strip(), "group": str(cells.get("group") or "").strip(),
                    "attributes": attributes})
    return out


def read_csv(data: bytes) -> list[dict[str, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV file must be UTF-8", details={"field": "file"}) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InvalidInput("the CSV file is empty", details={"field": "file"})
    return _rows_to_subjects(rows[0], rows[1:])


def read_xlsx(data: bytes) -> list[dict[str, Any]]:
    try:
        ws = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, IndexError) as exc:
        raise InvalidInput(f"not an .xlsx workbook: {exc}", details={"field": "file"}) from None
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    if not rows:
        raise InvalidInput("the workbook is empty", details={"field": "file"})
    return _rows_to_subjects([str(h or "") for h in rows[0]], rows[1:])


def read_enrolment(filename: str, data: bytes) -> list[dict[str, Any]]:
    """Subjects from an uploaded file, by its extension."""
    if filename.lower().endswith(".xlsx"):
        return read_xlsx(data)
    if filename.lower().endswith(".csv"):
        return read_csv(data)
    raise InvalidInput("upload a .csv or .xlsx file", details={"field": "file"})
