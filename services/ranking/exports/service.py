"""The ranking table and the publication list (公示名单) as xlsx and CSV, their headers and fixed texts in the
request's language (Chinese or English: kaohe.i18n)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from kaohe.engine.ranking.output import GRADE_REASONS
from kaohe.i18n import N_, _, localize, translate
from services.common.spreadsheet import csv_field, sheet_title, xlsx_text_cell
from services.ranking.periods.models import RankedPeriod
from services.ranking.results.models import SubjectResult

BOM = "\ufeff"  # Excel and WPS read a CSV as UTF-8 only with it


@dataclass(frozen=True)
class Column:
    """One column: its header (in the request's language), how a row fills it, and its number format (None: text)."""

    header: str
    value: Any
    number_format: str | None = None


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[SubjectResult]
    note: str | None = None  # printed under the rows of a workbook (a CSV stays one row per subject)


def points_format(precision: int) -> str:
    return "0" if precision == 0 else "0." + "0" * precision


def _decimal(text: Any) -> Decimal | None:
    return Decimal(text) if isinstance(text, str) and text else None


def _labels(row: SubjectResult) -> str:
    return "、".join(row.document.get("labels") or [])


def _reward_names(rows: Sequence[SubjectResult]) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row.document.get("rewards") or {}))
    return list(names)


def grade_reason(reason: str | None) -> str:
    """Why a grade was given (名额限制, 一票否决, 条件限定) in the current language; empty for none."""
    known = GRADE_REASONS.get(reason or "")
    return translate(known) if known else ""


def ranking_table(period: RankedPeriod, rows: Sequence[SubjectResult]) -> Table:
    """名次, the subject, each top-level indicator, 总分, 等次, 标签 and each reward."""
    points = points_format(period.precision)
    columns = [
        Column(translate(RANK), lambda r: r.document.get("rank"), "0"),
        Column(translate(ID), lambda r: r.subject_id),
        Column(translate(NAME), lambda r: r.name or ""),
        Column(translate(GROUP), lambda r: r.group),
    ]
    columns += [Column(str(node["name"]), _score_of(str(node["code"])), points) for node in period.indicators]
    columns += [
        Column(translate(TOTAL), lambda r: _decimal(r.document.get("total")), points),
        Column(translate(GRADE), lambda r: r.document.get("grade") or ""),
        Column(translate(GRADE_REASON), lambda r: grade_reason(r.document.get("grade_reason"))),
        Column(translate(LABELS), _labels),
    ]
    columns += [Column(localize(_("%(reward)s (yuan)", reward=name)), _reward_of(name), "0.00")
                for name in _reward_names(rows)]
    title = localize(_("%(period)s ranking", period=period.label))
    return Table(title, [*columns, *_stale(period, RANKING_STALE)], rows, note=rounding_note(period.precision))


def rounding_note(precision: int) -> str:
    """Why the printed columns need not add up to the printed total (docs/scheme-reference.md: results are rounded only
    when output, each on its own, from unrounded values)."""
    return localize(_("Note: each score and the total are rounded half-up to %(places)s decimal places from "
                      "unrounded values; the total is not the sum of the rounded columns, which may differ from it "
                      "by up to %(unit)s per column.",
                      places=precision, unit=format(Decimal(1).scaleb(-precision), "f")))


def publication_list(period: RankedPeriod, rows: Sequence[SubjectResult]) -> Table:
    """The list put up for 公示: who, score, rank, grade, labels."""
    columns = [
        Column(translate(NUMBER), None, "0"),
        Column(translate(ID), lambda r: r.subject_id),
        Column(translate(NAME), lambda r: r.name or ""),
        Column(translate(GROUP), lambda r: r.group),
        Column(translate(TOTAL), lambda r: _decimal(r.document.get("total")), points_format(period.precision)),
        Column(translate(RANK), lambda r: r.document.get("rank"), "0"),
        Column(translate(GRADE), lambda r: r.document.get("grade") or ""),
        Column(translate(LABELS), _labels),
    ]
    title = localize(_("%(period)s results for publication", period=period.label))
    return Table(title, [*columns, *_publication_state(period)], rows)


# the column headers (zh-CN: 名次, 编号, 名称, 组别, 总分, 等次, 等次说明, 标签, 序号)
RANK, ID, NAME, GROUP = N_("Rank"), N_("ID"), N_("Name"), N_("Group")
TOTAL, GRADE, GRADE_REASON, LABELS, NUMBER = N_("Total"), N_("Grade"), N_("Grade reason"), N_("Labels"), N_("No.")
# while the results differ from the 公示 (docs/decisions.md), every row of a file says so in a last column
STALE_HEADER = N_("Publication status")
PUBLICATION_STALE = N_("Void: the results changed after publication; to be published again")
RANKING_STALE = N_("Differs from the published results; to be published again")
PUBLICATION_REOPENED = N_("Superseded: the period was reopened after approval (审定) for a correction; to be "
                          "published again")


def _stale(period: RankedPeriod, text: str) -> list[Column]:
    shown = translate(text)
    return [Column(translate(STALE_HEADER), lambda r: shown)] if period.stale and period.status == "published" else []


def _publication_state(period: RankedPeriod) -> list[Column]:
    """The 公示状态 column of the publication list: stale, or the last 公示 of a period reopened after 审定."""
    if period.status == "computed" and period.publication_sequence:
        reopened = translate(PUBLICATION_REOPENED)
        return [Column(translate(STALE_HEADER), lambda r: reopened)]
    return _stale(period, PUBLICATION_STALE)


def _score_of(code: str) -> Any:
    return lambda r: _decimal((r.document.get("scores") or {}).get(code))


def _reward_of(name: str) -> Any:
    return lambda r: _decimal((r.document.get("rewards") or {}).get(name))


def _values(table: Table) -> Iterator[list[Any]]:
    for number, row in enumerate(table.rows, start=1):
        yield [number if column.value is None else column.value(row) for column in table.columns]


def xlsx_bytes(table: Table) -> bytes:
    """A workbook with a frozen header row; numbers are written as exact Decimals, text as text
    (never a formula, whatever it starts with: issue 21, item 21)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(table.title))
    sheet.freeze_panes = "A2"
    sheet.append([xlsx_text_cell(sheet, column.header) for column in table.columns])
    for values in _values(table):
        sheet.append([_cell(sheet, value, column) for value, column in zip(values, table.columns, strict=True)])
    if table.note:
        sheet.append([xlsx_text_cell(sheet, table.note)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(sheet: Any, value: Any, column: Column) -> Any:
    if isinstance(value, str):
        return xlsx_text_cell(sheet, value)
    if value is None or column.number_format is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = column.number_format
    return cell


def csv_chunks(table: Table) -> Iterator[bytes]:
    """UTF-8 with BOM, one encoded line at a time; decimals as their exact text, formula-like text
    neutralised (OWASP CSV injection: issue 21, item 21)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_field(column.header) for column in table.columns])
    yield (BOM + buffer.getvalue()).encode()
    for values in _values(table):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_field(value) for value in values])
        yield buffer.getvalue().encode()
