"""The ranking table and the publication list (公示名单) as xlsx and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from services.common.spreadsheet import csv_field, sheet_title, xlsx_text_cell
from services.ranking.periods.models import RankedPeriod
from services.ranking.results.models import SubjectResult

GRADE_REASONS = {"quota": "名额限制", "veto": "一票否决", "condition": "条件限定"}
BOM = "\ufeff"  # Excel and WPS read a CSV as UTF-8 only with it


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header, how a row fills it, and its number format (None: text)."""

    header: str
    value: Any
    number_format: str | None = None


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[SubjectResult]


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


def ranking_table(period: RankedPeriod, rows: Sequence[SubjectResult]) -> Table:
    """名次, the subject, each top-level indicator, 总分, 等次, 标签 and each reward."""
    points = points_format(period.precision)
    columns = [
        Column("名次", lambda r: r.document.get("rank"), "0"),
        Column("编号", lambda r: r.subject_id),
        Column("名称", lambda r: r.name or ""),
        Column("组别", lambda r: r.group),
    ]
    columns += [Column(str(node["name"]), _score_of(str(node["code"])), points) for node in period.indicators]
    columns += [
        Column("总分", lambda r: _decimal(r.document.get("total")), points),
        Column("等次", lambda r: r.document.get("grade") or ""),
        Column("等次说明", lambda r: GRADE_REASONS.get(r.document.get("grade_reason") or "", "")),
        Column("标签", _labels),
    ]
    columns += [Column(f"{name}(元)", _reward_of(name), "0.00") for name in _reward_names(rows)]
    return Table(f"{period.label} 考核排名", [*columns, *_stale(period, RANKING_STALE)], rows)


def publication_list(period: RankedPeriod, rows: Sequence[SubjectResult]) -> Table:
    """The list put up for 公示: who, score, rank, grade, labels."""
    columns = [
        Column("序号", None, "0"),
        Column("编号", lambda r: r.subject_id),
        Column("名称", lambda r: r.name or ""),
        Column("组别", lambda r: r.group),
        Column("总分", lambda r: _decimal(r.document.get("total")), points_format(period.precision)),
        Column("名次", lambda r: r.document.get("rank"), "0"),
        Column("等次", lambda r: r.document.get("grade") or ""),
        Column("标签", _labels),
    ]
    return Table(f"{period.label} 考核结果公示", [*columns, *_stale(period, PUBLICATION_STALE)], rows)


# while the results differ from the 公示 (docs/decisions.md), every row of a file says so in a last column
STALE_HEADER = "公示状态"
PUBLICATION_STALE = "已失效：结果在公示后变更，待重新公示"
RANKING_STALE = "与公示结果不一致，待重新公示"


def _stale(period: RankedPeriod, text: str) -> list[Column]:
    return [Column(STALE_HEADER, lambda r: text)] if period.stale and period.status == "published" else []


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
