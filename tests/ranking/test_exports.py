"""Exports opened back: xlsx (frozen header, numbers with the scheme's precision) and CSV with a BOM."""

from __future__ import annotations

import csv
import io

import httpx
from openpyxl import load_workbook

from tests.conftest import auth
from tests.ranking.conftest import QUARTERLY, FakeScoring, deliver, first_scores, subject

CHINESE = {"Accept-Language": "zh-CN"}  # the files as an office prints them; English: test_headers_in_english
OFFICE = {**auth(("admin", "city"), subject="office"), **CHINESE}
AUDITOR = {**auth(("auditor", "")), **CHINESE}
RANKING_HEADERS = ["名次", "编号", "名称", "组别", "工作实绩", "服务评价", "总分", "等次", "等次说明", "标签",
                   "季度奖金（元）"]


async def _computed(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    scoring.add_period("p1", QUARTERLY, "2026-Q1", first_scores())
    await deliver(ranking, "p1", scoring)


async def test_ranking_table_as_xlsx(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    await _computed(ranking, scoring)
    response = await ranking.get("/v1/periods/p1/exports/ranking", params={"format": "xlsx"}, headers=AUDITOR)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''p1-ranking.xlsx"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.freeze_panes == "A2"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == RANKING_HEADERS
    assert rows[1:] == [
        [1, "u1", "一中队", "甲组", 57.13, 38, 95.13, "优秀", None, "通报表扬", 1000],
        [2, "u2", "二中队", "甲组", 55, 37.5, 92.5, "良好", "名额限制", None, 500],
        [3, "u3", "三中队", "甲组", 50, 31, 81, "良好", None, None, 500],
        [1, "u4", "四中队", "乙组", 40.01, 30, 70.01, "一般", None, "通报表扬", 0],
        ["注：各项得分和总分均由未经舍入的数值分别四舍五入保留 2 位小数；总分不是各列舍入后之和，"
         "各列相加与总分每列最多可差 0.01。", *[None] * 10],
    ]
    total = sheet["G2"]
    assert (total.data_type, total.number_format) == ("n", "0.00")
    assert (sheet["A2"].number_format, sheet["K5"].number_format) == ("0", "0.00")


async def test_ranking_table_as_csv_with_bom(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    await _computed(ranking, scoring)
    response = await ranking.get("/v1/periods/p1/exports/ranking", params={"format": "csv"}, headers=AUDITOR)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        RANKING_HEADERS,
        ["1", "u1", "一中队", "甲组", "57.13", "38.00", "95.13", "优秀", "", "通报表扬", "1000.00"],
        ["2", "u2", "二中队", "甲组", "55.00", "37.50", "92.50", "良好", "名额限制", "", "500.00"],
        ["3", "u3", "三中队", "甲组", "50.00", "31.00", "81.00", "良好", "", "", "500.00"],
        ["1", "u4", "四中队", "乙组", "40.01", "30.00", "70.01", "一般", "", "通报表扬", "0.00"],
    ]


async def test_publication_list_only_once_published_and_only_visible_rows(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    await _computed(ranking, scoring)
    early = await ranking.get("/v1/periods/p1/exports/publication", params={"format": "csv"}, headers=OFFICE)
    assert early.status_code == 409
    await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)
    district = {**auth(("admin", "city/d1")), **CHINESE}
    response = await ranking.get("/v1/periods/p1/exports/publication", params={"format": "xlsx"}, headers=district)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.freeze_panes == "A2"
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["序号", "编号", "名称", "组别", "总分", "名次", "等次", "标签"],
        [1, "u1", "一中队", "甲组", 95.13, 1, "优秀", "通报表扬"],
        [2, "u2", "二中队", "甲组", 92.5, 2, "良好", None],
    ]
    assert sheet["E3"].number_format == "0.00"
    csv_rows = await ranking.get("/v1/periods/p1/exports/publication", params={"format": "csv"}, headers=district)
    assert csv_rows.content.decode("utf-8-sig").splitlines()[2] == "2,u2,二中队,甲组,92.50,2,良好,"
    bad = await ranking.get("/v1/periods/p1/exports/publication", params={"format": "pdf"}, headers=OFFICE)
    assert bad.status_code == 422


async def test_headers_in_english(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    """The same files in English (Accept-Language: en): fixed headers and texts translated, the scheme's own names
    (indicators, groups, grades, labels, rewards) as the scheme gives them."""
    await _computed(ranking, scoring)
    english = {**AUDITOR, "Accept-Language": "en"}
    response = await ranking.get("/v1/periods/p1/exports/ranking", params={"format": "csv"}, headers=english)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Rank", "ID", "Name", "Group", "工作实绩", "服务评价", "Total", "Grade", "Grade reason",
                       "Labels", "季度奖金 (yuan)"]
    assert rows[2] == ["2", "u2", "二中队", "甲组", "55.00", "37.50", "92.50", "良好", "quota limit", "", "500.00"]
    workbook = await ranking.get("/v1/periods/p1/exports/ranking", params={"format": "xlsx"}, headers=english)
    assert load_workbook(io.BytesIO(workbook.content)).active.title == "2026-Q1 ranking"
    chinese = await ranking.get("/v1/periods/p1/exports/ranking", params={"format": "xlsx"}, headers=AUDITOR)
    assert load_workbook(io.BytesIO(chinese.content)).active.title == "2026-Q1 考核排名"


FORMULAS = ['=HYPERLINK("http://x","点我")', "=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "＝1+1"]


async def _formula_names(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    """Eight units named like formulas, an indicator named like one, one unit with a negative score."""
    work = {**QUARTERLY["indicators"][0], "name": "=cmd|' /C calc'!A0"}
    scheme = {**QUARTERLY, "id": "rk-test-formulas", "indicators": [work, QUARTERLY["indicators"][1]]}
    subjects = []
    for number, name in enumerate(FORMULAS, start=1):
        row = subject("u1", str(60 - number), "-1.5" if number == 1 else "30")
        subjects.append({**row, "id": f"x{number}", "name": name})
    scoring.add_period("p1", scheme, "2026-Q1", subjects)
    await deliver(ranking, "p1", scoring)
    published = await ranking.post("/v1/periods/p1/publication", json={"working_days": 5}, headers=OFFICE)
    assert published.status_code in (200, 201), published.text


async def test_csv_exports_neutralise_formula_text_and_keep_numbers(
    ranking: httpx.AsyncClient, scoring: FakeScoring
) -> None:
    """(issue 21, item 21) OWASP CSV injection: text starting with = + - @ tab CR gets a leading apostrophe."""
    await _formula_names(ranking, scoring)
    for kind in ("ranking", "publication"):
        response = await ranking.get(f"/v1/periods/p1/exports/{kind}", params={"format": "csv"}, headers=OFFICE)
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
        names = {row[1]: row[2] for row in rows[1:]}
        assert names == {f"x{n}": "'" + name for n, name in enumerate(FORMULAS, start=1)}
        for row in rows[1:]:
            assert not any(cell.startswith(("=", "+", "@", "\t", "\r", "＝")) for cell in row), row
        if kind == "ranking":
            assert rows[0][4] == "'=cmd|' /C calc'!A0"
            # x1: work 59, service -1.5, total 57.5: the negative score stays a plain number
            x1 = next(row for row in rows if row[1] == "x1")
            assert x1[4:7] == ["59.00", "-1.50", "57.50"]


async def test_xlsx_exports_hold_formula_text_as_text(ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    """(issue 21, item 21) no cell of an exported workbook is a formula; numbers stay numbers."""
    await _formula_names(ranking, scoring)
    for kind in ("ranking", "publication"):
        response = await ranking.get(f"/v1/periods/p1/exports/{kind}", params={"format": "xlsx"}, headers=OFFICE)
        sheet = load_workbook(io.BytesIO(response.content)).active
        cells = [cell for row in sheet.iter_rows() for cell in row]
        assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
        subjects = [row for row in sheet.iter_rows(min_row=2) if row[1].value is not None]  # not the note's row
        names = {row[1].value: row[2] for row in subjects}
        # XML reads a bare CR back as LF: the cell is still text starting with a line break
        assert {key: cell.value for key, cell in names.items()} == {
            f"x{n}": name.replace("\r", "\n") for n, name in enumerate(FORMULAS, start=1)}
        assert all(cell.data_type == "s" and cell.quotePrefix for cell in names.values())
        assert not sheet["A1"].quotePrefix  # only formula-like text is marked
        if kind == "ranking":
            assert (sheet["E1"].value, sheet["E1"].data_type) == ("=cmd|' /C calc'!A0", "s")
            x1 = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "x1")
            assert [(cell.value, cell.data_type) for cell in x1[4:7]] == [(59, "n"), (-1.5, "n"), (57.5, "n")]


async def test_the_ranking_workbook_says_why_its_columns_need_not_add_up_to_the_total(
        ranking: httpx.AsyncClient, scoring: FakeScoring) -> None:
    """u1 10.005 + 10.005 = 20.01 exactly: each column prints 10.01 (half-up), whose sum 20.02 is not the total
    20.01 (docs/scheme-reference.md: rounded only when output). The CSV stays one row per subject; the workbook says why
    under its rows, in the reader's language."""
    scoring.add_period("p1", QUARTERLY, "2026-Q1", [subject("u1", "10.005", "10.005")])
    await deliver(ranking, "p1", scoring)
    table = await ranking.get("/v1/periods/p1/exports/ranking", params={"format": "csv"}, headers=AUDITOR)
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert [row[4:7] for row in rows[1:]] == [["10.01", "10.01", "20.01"]]
    english = {**AUDITOR, "Accept-Language": "en"}
    workbook = await ranking.get("/v1/periods/p1/exports/ranking", params={"format": "xlsx"}, headers=english)
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert [row[0].value for row in sheet.iter_rows(min_row=3)] == [
        "Note: each score and the total are rounded half-up to 2 decimal places from unrounded values; the total is "
        "not the sum of the rounded columns, which may differ from it by up to 0.01 per column."]
