"""Write `indicator-table-template.xlsx`: the Excel indicator table that `POST /v1/schemes/import-excel` reads.

Sheet `scheme`: one `key | value` row per header field (id, version, title, subject_kind, period,
precision, groups as a comma list, total). Sheet `indicators`: one row per node with the columns
code, name, parent (empty for a top-level node), max, weight (for a weighted parent), rule (the
leaf's kind; empty for an inner node), params (JSON, or `key=value; key=value`), and the optional
columns aggregate and missing. A parent whose children all carry a weight is `weighted`.

Run: `python examples/schemes/make_template.py` (writes next to this file).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HEADER = [
    ("id", "indicator-table-example"),
    ("version", 1),
    ("title", "指标表示例: 机关工作人员季度考核"),
    ("subject_kind", "person"),
    ("period", "quarter"),
    ("precision", 2),
    ("groups", "科级干部, 一般工作人员"),
]
COLUMNS = ["code", "name", "parent", "max", "weight", "rule", "params", "aggregate", "missing"]
ROWS = [
    ["work", "工作实绩", None, 60, None, None, None, None, None],
    ["routine", "常规工作", "work", 100, 70, "manual", "combine=mean", None, None],
    ["key_tasks", "重点工作", "work", 100, 30, "completion", "target=10; below=proportional", None, None],
    ["attendance", "考勤", None, 10, None, "deduction", '{"per_event": {"late": 1, "absent": 5}}', None, None],
    ["evaluation", "民主测评", None, 30, None, "rating", '{"scale": {"优秀": 30, "称职": 24, "不称职": 0}}', None,
     None],
]


def build(path: Path) -> None:
    """Write the template workbook to `path`."""
    wb = Workbook()
    scheme = wb.active
    assert scheme is not None
    scheme.title = "scheme"
    scheme.append(["key", "value"])
    for row in HEADER:
        scheme.append(list(row))
    indicators = wb.create_sheet("indicators")
    indicators.append(COLUMNS)
    for row in ROWS:
        indicators.append(row)
    for ws in (scheme, indicators):
        for cell in ws[1]:
            cell.font = Font(bold=True)
    indicators.column_dimensions["G"].width = 50
    wb.save(path)


if __name__ == "__main__":
    build(Path(__file__).with_name("indicator-table-template.xlsx"))
