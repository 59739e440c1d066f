"""Enrolment from CSV or xlsx: columns `id`, `group`, every other column an attribute."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from services.common.errors import InvalidInput
from services.common.workbook import excerpt, open_workbook
from services.common.workbook import rows as sheet_rows
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


Line = tuple[int, list[Any]]  # a row of the file and the line (CSV) or sheet row (xlsx) it starts on


def bad_line(line: int, reason: str) -> InvalidInput:
    """A malformed file, the line named in the message and the details (issue 21, item 24)."""
    return InvalidInput(f"line {line}: {reason}", details={"field": "file", "line": line})


class BadRows(InvalidInput):
    """Every bad row of a file (`details.rows`: `{row, column, reason}`), the first named in the message."""

    def __init__(self, problems: list[dict[str, Any]], what: str = "enrolled") -> None:
        first, more = problems[0], len(problems) - 1
        tail = f" (and {more} more bad row{'s' if more > 1 else ''}; nothing was {what})" if more else ""
        super().__init__(f"line {first['row']}: {first['reason']}"[:200] + tail,
                         details={"field": "file", "line": first["row"], "rows": problems[:MAX_REPORTED]})


MAX_REPORTED = 10_000  # bad rows listed in one answer


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
        raise InvalidInput("the file needs the columns id and group",
                           details={"columns": [excerpt(name) for name in names[:50]], "line": first})
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        raise bad_line(first, f"the column {excerpt(twice[0])!r} appears more than once")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} rows")
    out: list[tuple[int, dict[str, Any]]] = []
    problems: list[dict[str, Any]] = []
    for line, row in rows:
        if any(cell not in (None, "") for cell in row[len(names):]):
            problems.append({"row": line, "column": None, "reason": f"{len(row)} cells for {len(names)} columns"})
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
                problems.append({"row": line, "column": field.split(".")[0], "reason": f"{field}: {problem['msg']}"})
    return out, problems


_CSV_REASONS = {
    "new-line character seen in unquoted field": "a carriage return (CR) outside quotes",
    "unexpected end of data": "a quote opened and never closed",
    "expected after": "text after a closing quote",
    "field larger than field limit": "a cell longer than the CSV reader's limit",
}


def _csv_reason(message: str) -> str:
    return next((reason for key, reason in _CSV_REASONS.items() if key in message), f"malformed CSV ({message})")


def read_csv(data: bytes) -> list[dict[str, Any]]:
    return _rows_to_subjects(*_csv_table(data))


def _csv_table(data: bytes) -> tuple[Line, list[Line]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad_line(data.count(b"\n", 0, exc.start) + 1, "the CSV file must be UTF-8") from None
    if (nul := text.find("\0")) >= 0:  # the csv module reads NUL as text, PostgreSQL cannot store it
        raise bad_line(text.count("\n", 0, nul) + 1, "a NUL character")
    reader = csv.reader(io.StringIO(text), strict=True)  # lines end at LF only: a lone CR is malformed
    rows: list[Line] = []
    start = 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        # the line the broken record reached; a quote left open reports the last line of the file
        raise bad_line(max(reader.line_num, start), _csv_reason(str(exc))) from None
    if not rows:
        raise InvalidInput("the CSV file is empty", details={"field": "file"})
    return rows[0], rows[1:]


def read_xlsx(data: bytes) -> list[dict[str, Any]]:
    return _rows_to_subjects(*_xlsx_table(data))


def _xlsx_table(data: bytes) -> tuple[Line, list[Line]]:
    sheets = open_workbook(data).worksheets
    if not sheets:
        raise InvalidInput("the workbook has no sheet", details={"field": "file"})
    rows: list[Line] = []
    for n, values in sheet_rows(sheets[0]):
        if len(rows) > MAX_ROWS:
            raise InvalidInput(f"at most {MAX_ROWS} rows")
        rows.append((n, list(values)))
    if not rows:
        raise InvalidInput("the workbook is empty", details={"field": "file"})
    return rows[0], rows[1:]


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
    raise InvalidInput("upload a .csv or .xlsx file", details={"field": "file"})


def table(filename: str, data: bytes) -> tuple[Line, list[Line]]:
    """The header and rows (with their lines) of an uploaded .csv or .xlsx file."""
    if filename.lower().endswith(".xlsx"):
        return _xlsx_table(data)
    if filename.lower().endswith(".csv"):
        return _csv_table(data)
    raise InvalidInput("upload a .csv or .xlsx file", details={"field": "file"})
