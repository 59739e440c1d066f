"""Enrolment from CSV or xlsx: columns `id`, `group`, every other column an attribute."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from kaohe.i18n import _
from services.common.errors import InvalidInput
from services.common.i18n import pydantic_reason
from services.common.tabular import BadRows, Line, bad_line, csv_table, table, xlsx_table
from services.common.workbook import excerpt
from services.scoring.periods.schemas import SubjectIn

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


def _rows_to_subjects(header: Line, rows: list[Line]) -> list[dict[str, Any]]:
    """The subjects of a file; BadRows naming every bad row."""
    subjects, problems = subjects_with_lines(header, rows)
    if problems:
        raise BadRows(problems)
    return [subject for _, subject in subjects]


def subjects_with_lines(header: Line, rows: list[Line]) -> tuple[list[tuple[int, dict[str, Any]]],
                                                                  list[dict[str, Any]]]:
    """`(line, subject)` of every good row, and `{row, column, reason}` of every bad one."""
    first, cells = header
    names = [str(h or "").strip() for h in cells]
    while names and names[-1] == "":
        names.pop()
    if "id" not in names or "group" not in names:
        raise InvalidInput(_("the file needs the columns id and group"),
                           details={"columns": [excerpt(name) for name in names[:50]], "line": first})
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        raise bad_line(first, _("the column %(column)r appears more than once", column=excerpt(twice[0])))
    if len(rows) > MAX_ROWS:
        raise InvalidInput(_("at most %(max_rows)s rows", max_rows=MAX_ROWS))
    out: list[tuple[int, dict[str, Any]]] = []
    problems: list[dict[str, Any]] = []
    for line, row in rows:
        if any(cell not in (None, "") for cell in row[len(names):]):
            problems.append({"row": line, "column": None,
                             "reason": _("%(cells)s cells for %(columns)s columns", cells=len(row),
                                         columns=len(names))})
            continue
        values = dict(zip(names, row, strict=False))
        if values.get("id") in (None, ""):
            continue
        attributes = {k: v for k, raw in values.items() if k not in ("id", "group", "name") and k
                      and (v := _value(raw)) is not None}
        subject = {"id": str(values["id"]).strip(), "group": str(values.get("group") or "").strip(),
                   "attributes": attributes}
        try:
            out.append((line, SubjectIn.model_validate(subject).model_dump()))
        except ValidationError as exc:
            for problem in exc.errors(include_url=False):
                field = ".".join(str(part) for part in problem["loc"])
                problems.append({"row": line, "column": field.split(".")[0],
                                 "reason": _("%(field)s: %(reason)s", field=field, reason=pydantic_reason(problem))})
    return out, problems


def read_csv(data: bytes) -> list[dict[str, Any]]:
    return _rows_to_subjects(*csv_table(data))


def read_xlsx(data: bytes) -> list[dict[str, Any]]:
    return _rows_to_subjects(*xlsx_table(data))


def enrolment_rows(filename: str, data: bytes) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """`(line, subject)` of every good row of an uploaded file and `{row, column, reason}` of every bad one; a file
    that cannot be read as a table at all (not UTF-8, a broken quote, no id column) raises at once."""
    header, rows = table(filename, data)
    return subjects_with_lines(header, rows)


def read_enrolment(filename: str, data: bytes) -> list[dict[str, Any]]:
    """Subjects from an uploaded file, by its extension."""
    if filename.lower().endswith(".xlsx"):
        return read_xlsx(data)
    if filename.lower().endswith(".csv"):
        return read_csv(data)
    raise InvalidInput(_("upload a .csv or .xlsx file"), details={"field": "file"})
