"""Text bound for spreadsheets (CSV and xlsx) that Excel and WPS will not run as a formula.

OWASP's CSV-injection guidance: a cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is read as a formula (``=HYPERLINK("http://x","点我")`` becomes a live link, ``@SUM(…)``
runs), so every text cell leaving kaohe in a spreadsheet passes through here. Numbers are never text:
a negative score stays a number (callers pass Decimals and ints through untouched).
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell import WriteOnlyCell

# OWASP's six, then their full-width forms as a precaution (Chinese input methods type them)
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would read this text as the start of a formula."""
    return text.startswith(FORMULA_TRIGGERS)


def csv_text(text: str) -> str:
    """A CSV field's text: a formula-like one gets a leading apostrophe, as OWASP recommends
    (the csv writer then quotes whatever needs quoting)."""
    return "'" + text if formula_like(text) else text


def csv_field(value: Any) -> str:
    """One CSV field: None empty, text neutralised, numbers as their exact text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    return str(value)


def xlsx_text_cell(sheet: Any, text: str) -> Any:
    """A write-only cell that holds the text as a string, never a formula.

    openpyxl turns any text starting with ``=`` into a formula; here the cell's type is forced to
    string and marked ``quotePrefix`` (the apostrophe Excel itself adds when one types '=1+1), so
    the office sees the name exactly as entered and an edit keeps it text.
    """
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if formula_like(text):
        cell.quotePrefix = True
    return cell


_SHEET_TITLE_FORBIDDEN = str.maketrans({c: "_" for c in "\\/*?:[]"})


def sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of \\ / * ? : [ ]."""
    return title.translate(_SHEET_TITLE_FORBIDDEN)[:31] or "Sheet1"
