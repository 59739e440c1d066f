"""Tables from uploaded CSV or xlsx files (enrolment, organisation, facts in bulk): the header and each row with
the line it starts on, and the one error that lists every bad row of a file (`{row, column, reason}`)."""

from __future__ import annotations

import csv
import io
from typing import Any

from kaohe.i18n import N_, Text, _
from services.common.errors import InvalidInput
from services.common.workbook import open_workbook
from services.common.workbook import rows as sheet_rows

MAX_ROWS = 20_000  # rows read from one file, unless the caller says fewer
Line = tuple[int, list[Any]]  # a row of the file and the line (CSV) or sheet row (xlsx) it starts on


def bad_line(line: int, reason: str) -> InvalidInput:
    """A malformed file, the line named in the message and the details (issue 21, item 24)."""
    return InvalidInput(_("line %(line)s: %(reason)s", line=line, reason=reason),
                        details={"field": "file", "line": line})


class BadRows(InvalidInput):
    """Every bad row of a file (`details.rows`: `{row, column, reason}`), the first named in the message."""

    def __init__(self, problems: list[dict[str, Any]], what: str = "enrolled") -> None:
        first, more = problems[0], len(problems) - 1
        reason = first["reason"]
        line = _("line %(line)s: %(reason)s", line=first["row"],
                 reason=reason if isinstance(reason, Text) else str(reason)[:200 - len(f"line {first['row']}: ")])
        message = line if not more else _tail(line, more, what)
        super().__init__(message, details={"field": "file", "line": first["row"], "rows": problems[:MAX_REPORTED]})


def _tail(line: Text, more: int, what: str) -> Text:
    """The first bad row, then how many more and what was not done (one bad row and nothing is written)."""
    if what == "created":
        return (_("%(line)s (and 1 more bad row; nothing was created)", line=line) if more == 1 else
                _("%(line)s (and %(more)s more bad rows; nothing was created)", line=line, more=more))
    if what == "submitted":
        return (_("%(line)s (and 1 more bad row; nothing was submitted)", line=line) if more == 1 else
                _("%(line)s (and %(more)s more bad rows; nothing was submitted)", line=line, more=more))
    return (_("%(line)s (and 1 more bad row; nothing was enrolled)", line=line) if more == 1 else
            _("%(line)s (and %(more)s more bad rows; nothing was enrolled)", line=line, more=more))


MAX_REPORTED = 10_000  # bad rows listed in one answer


_CSV_REASONS = {
    "new-line character seen in unquoted field": N_("a carriage return (CR) outside quotes"),
    "unexpected end of data": N_("a quote opened and never closed"),
    "expected after": N_("text after a closing quote"),
    "field larger than field limit": N_("a cell longer than the CSV reader's limit"),
}


def _csv_reason(message: str) -> Text:
    return next((Text(reason, {}) for key, reason in _CSV_REASONS.items() if key in message),
                _("malformed CSV (%(reason)s)", reason=message))


def csv_table(data: bytes) -> tuple[Line, list[Line]]:
    """The header and rows of a UTF-8 CSV file (a BOM is dropped); a malformed file names its line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad_line(data.count(b"\n", 0, exc.start) + 1, _("the CSV file must be UTF-8")) from None
    if (nul := text.find("\0")) >= 0:  # the csv module reads NUL as text, PostgreSQL cannot store it
        raise bad_line(text.count("\n", 0, nul) + 1, _("a NUL character"))
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
        raise InvalidInput(_("the CSV file is empty"), details={"field": "file"})
    return rows[0], rows[1:]


def xlsx_table(data: bytes, max_rows: int = MAX_ROWS) -> tuple[Line, list[Line]]:
    """The header and rows of the first sheet of a workbook, read as it goes (422 past `max_rows` rows)."""
    sheets = open_workbook(data).worksheets
    if not sheets:
        raise InvalidInput(_("the workbook has no sheet"), details={"field": "file"})
    rows: list[Line] = []
    for n, values in sheet_rows(sheets[0]):
        if len(rows) > max_rows:
            raise InvalidInput(_("at most %(max_rows)s rows", max_rows=max_rows))
        rows.append((n, list(values)))
    if not rows:
        raise InvalidInput(_("the workbook is empty"), details={"field": "file"})
    return rows[0], rows[1:]


def table(filename: str, data: bytes, max_rows: int = MAX_ROWS) -> tuple[Line, list[Line]]:
    """The header and rows (with their lines) of an uploaded .csv or .xlsx file."""
    if filename.lower().endswith(".xlsx"):
        return xlsx_table(data, max_rows)
    if filename.lower().endswith(".csv"):
        return csv_table(data)
    raise InvalidInput(_("upload a .csv or .xlsx file"), details={"field": "file"})
