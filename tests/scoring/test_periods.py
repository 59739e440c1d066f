"""Periods: opening, lifecycle (illegal transitions 409), JSON/CSV/xlsx enrolment, batch reads, access."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import Workbook

from tests.conftest import auth
from tests.scoring.conftest import admin, make_org, ok, open_period, publish, service_headers, subject_headers


async def _ready(client: httpx.AsyncClient) -> dict:
    await make_org(client)
    await publish(client)
    return await open_period(client)


async def test_open_period_reads_per_contract(scoring: httpx.AsyncClient) -> None:
    period = await _ready(scoring)
    assert (period["id"], period["status"], period["subject_count"], period["score_set"]) == ("q1", "open", 2, 0)
    none = {"documents": [], "required_documents": [], "documents_when_missing": None, "lookback_periods": None,
            "event_types": [], "event_levels": [], "numerator_within_denominator": False}
    assert period["indicators"] == [
        {"code": "work", "name": "工作", "max": "60", "rule_kind": "manual", "fact_kind": "score", **none},
        {"code": "attend", "name": "考勤", "max": "10", "rule_kind": "deduction", "fact_kind": "event",
         **none, "event_types": ["late"]},
        {"code": "rankp", "name": "排名分", "max": "30", "rule_kind": "rank_points", "fact_kind": None, **none},
    ]
    assert period["veto_events"] == []  # TINY has no vetoes
    subjects = await ok(await scoring.get("/v1/periods/q1/subjects?ids=p2,p1,zz", headers=service_headers()))
    assert subjects == [
        {"id": "p1", "name": "人p1", "kind": "person", "group": "A", "unit_path": "city/a", "attributes": {}},
        {"id": "p2", "name": "人p2", "kind": "person", "group": "A", "unit_path": "city/a", "attributes": {}},
    ]


async def test_a_draft_scheme_cannot_open_a_period(scoring: httpx.AsyncClient) -> None:
    await make_org(scoring)
    from tests.scoring.conftest import TINY

    await ok(await scoring.post("/v1/schemes", json={"text": TINY, "owner_path": "city"}, headers=admin()), 201)
    body = {"scheme_id": "tiny", "scheme_version": 1, "label": "2026-Q1", "subjects": []}
    assert (await scoring.post("/v1/periods", json=body, headers=admin())).status_code == 409


async def test_lifecycle_moves_one_step_at_a_time(scoring: httpx.AsyncClient) -> None:
    await _ready(scoring)
    skip = await scoring.post("/v1/periods/q1/status", json={"status": "scoring"}, headers=admin())
    assert skip.status_code == 409
    assert skip.json()["error"]["details"] == {"from": "open", "to": "scoring", "allowed": ["collecting"]}
    for status in ("collecting", "scoring"):
        read = await ok(await scoring.post("/v1/periods/q1/status", json={"status": status}, headers=admin()))
        assert read["status"] == status
    # 公示 and 审定 are ranking's: they reach scoring as ranking's period.status events, never by hand
    for status in ("published", "finalized"):
        by_hand = await scoring.post("/v1/periods/q1/status", json={"status": status}, headers=admin())
        assert (by_hand.status_code, by_hand.json()["error"]["details"]) == (409, {"from": "scoring", "to": status})
    back = await scoring.post("/v1/periods/q1/status", json={"status": "collecting"}, headers=admin())
    assert back.status_code == 409
    audit = await ok(await scoring.get("/v1/audit?entity_id=q1", headers=auth(("auditor", ""))))
    assert [(r["action"], r["actor"]) for r in audit] == [("period.open", "office")] + [("period.status", "office")] * 2
    bogus = await scoring.post("/v1/periods/q1/status", json={"status": "closed"}, headers=admin())
    assert bogus.status_code == 422


async def test_enrolment_from_csv_and_xlsx(scoring: httpx.AsyncClient) -> None:
    await _ready(scoring)
    csv_text = "id,group,service_days,under_investigation,coefficient\np1,B,61,false,1.25\np3,A,30,true,\n"
    files = {"file": ("staff.csv", csv_text.encode(), "text/csv")}
    result = await ok(await scoring.post("/v1/periods/q1/subjects/import", files=files, headers=admin()))
    assert result == {"enrolled": 2, "subjects": ["p1", "p3"]}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["id", "group", "service_days", "coefficient"])
    ws.append(["p2", "B", 45, 0.8])
    buffer = io.BytesIO()
    wb.save(buffer)
    files = {"file": ("staff.xlsx", buffer.getvalue(), "application/octet-stream")}
    await ok(await scoring.post("/v1/periods/q1/subjects/import", files=files, headers=admin()))
    subjects = await ok(await scoring.get("/v1/periods/q1/subjects", headers=admin()))
    assert [(s["id"], s["group"], s["unit_path"], s["attributes"]) for s in subjects] == [
        ("p1", "B", "city/a", {"service_days": 61, "under_investigation": False, "coefficient": "1.25"}),
        ("p2", "B", "city/a", {"service_days": 45, "coefficient": "0.8"}),
        ("p3", "A", "city/b", {"service_days": 30, "under_investigation": True}),
    ]
    period = await ok(await scoring.get("/v1/periods/q1", headers=admin()))
    assert (period["subject_count"], period["recompute_pending"]) == (3, True)


async def test_bad_enrolment_is_refused_whole(scoring: httpx.AsyncClient) -> None:
    await _ready(scoring)
    files = {"file": ("staff.csv", b"id,group\np1,B\nghost,A\np2,Z\n", "text/csv")}
    response = await scoring.post("/v1/periods/q1/subjects/import", files=files, headers=admin())
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"]["rows"] == [  # every bad row, with its column (issue 17)
        {"row": 3, "column": "id", "reason": "ghost is not a person of the organisation"},
        {"row": 4, "column": "group", "reason": "group 'Z' is not one of the scheme's (A, B)"}]
    assert error["message"] == ("line 3: ghost is not a person of the organisation (and 1 more bad row; nothing was "
                                "enrolled)")
    wrong_group = await scoring.post("/v1/periods/q1/subjects", json={"subjects": [{"id": "p1", "group": "Z"}]},
                                     headers=admin())
    assert wrong_group.json()["error"]["details"]["unknown_group"] == ["p1"]
    no_columns = {"file": ("staff.csv", b"name\nx\n", "text/csv")}
    assert (await scoring.post("/v1/periods/q1/subjects/import", files=no_columns, headers=admin())).status_code == 422
    subjects = await ok(await scoring.get("/v1/periods/q1/subjects", headers=admin()))
    assert [(s["id"], s["group"]) for s in subjects] == [("p1", "A"), ("p2", "A")]


async def test_withdraw_a_subject(scoring: httpx.AsyncClient) -> None:
    await _ready(scoring)
    assert (await scoring.delete("/v1/periods/q1/subjects/p2", headers=admin())).status_code == 204
    assert (await scoring.delete("/v1/periods/q1/subjects/p2", headers=admin())).status_code == 404
    assert [s["id"] for s in await ok(await scoring.get("/v1/periods/q1/subjects", headers=admin()))] == ["p1"]


async def test_other_units_are_refused_and_filtered(scoring: httpx.AsyncClient) -> None:
    await _ready(scoring)
    await ok(await scoring.post("/v1/periods/q1/subjects", json={"subjects": [{"id": "p3", "group": "A"}]},
                                headers=admin()))
    other_admin = auth(("admin", "city/b"))
    assert (await scoring.post("/v1/periods/q1/status", json={"status": "collecting"},
                               headers=other_admin)).status_code == 403
    assert (await scoring.post("/v1/periods/q1/subjects", json={"subjects": [{"id": "p3", "group": "B"}]},
                               headers=other_admin)).status_code == 403
    assert (await scoring.delete("/v1/periods/q1/subjects/p1", headers=other_admin)).status_code == 403
    seen = await ok(await scoring.get("/v1/periods/q1/subjects?ids=p1,p2,p3", headers=auth(("assessor", "city/b"))))
    assert [s["id"] for s in seen] == ["p3"]
    own = await ok(await scoring.get("/v1/periods/q1/subjects", headers=subject_headers("p2")))
    assert [s["id"] for s in own] == ["p2"]
    body = {"id": "q2", "scheme_id": "tiny", "scheme_version": 1, "label": "2026-Q2", "owner_path": "city/b",
            "subjects": [{"id": "p1", "group": "A"}]}
    outside = await scoring.post("/v1/periods", json=body, headers=auth(("admin", "city/b")))
    assert outside.status_code == 422 and outside.json()["error"]["details"]["outside_owner"] == ["p1"]
    too_many = ",".join(f"x{i}" for i in range(501))
    assert (await scoring.get(f"/v1/periods/q1/subjects?ids={too_many}", headers=admin())).status_code == 422


MALFORMED_CSV = [
    (b"id,group\np1,A\np2,B\rx\n", 3),  # a lone CR inside an unquoted field
    (b"id,group\np1,A\x00\n", 2),  # NUL
    (b'id,group\np1,A\np2,"B"x\n', 3),  # text after a closing quote
    (b'id,group\np1,A\np2,"B\n', 3),  # a quote never closed
    (b"id,group\np1," + b"A" * 200_000 + b"\n", 2),  # a field over the csv module's limit
    (b"id,group\np1,A\np2,\xff\n", 3),  # not UTF-8
    (b"id,group\np1,A,surplus\n", 2),  # more cells than columns
    (b"id,group,id\np1,A,p2\n", 1),  # a column twice
    (b"id,group\np1,A\n" + b"x" * 65 + b",A\n", 3),  # an id over 64 characters
]


@pytest.mark.parametrize(("data", "line"), MALFORMED_CSV)
async def test_a_malformed_csv_is_422_naming_its_line(scoring: httpx.AsyncClient, data: bytes, line: int) -> None:
    """(issue 21, item 24) csv.Error used to escape as a 500; every malformed file is a 422 naming the line."""
    await _ready(scoring)
    files = {"file": ("staff.csv", data, "text/csv")}
    response = await scoring.post("/v1/periods/q1/subjects/import", files=files, headers=admin())
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["details"]["line"] == line, error
    assert error["message"].startswith(f"line {line}: "), error
    assert len(error["message"]) < 300
    subjects = await ok(await scoring.get("/v1/periods/q1/subjects", headers=admin()))
    assert [(s["id"], s["group"]) for s in subjects] == [("p1", "A"), ("p2", "A")]  # as _ready left them


async def test_a_bad_xlsx_row_is_422_naming_its_row(scoring: httpx.AsyncClient) -> None:
    """(issue 21, item 24) the same for a workbook: the row number in the sheet."""
    await _ready(scoring)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["id", "group"])
    ws.append(["p1", "A"])
    ws.append(["x" * 65, "A"])
    buffer = io.BytesIO()
    wb.save(buffer)
    files = {"file": ("staff.xlsx", buffer.getvalue(), "application/octet-stream")}
    response = await scoring.post("/v1/periods/q1/subjects/import", files=files, headers=admin())
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["line"] == 3


def test_a_ratio_that_counts_a_share_says_so_in_the_indicator_list() -> None:
    """numerator_within_denominator: a ratio with a numeric target of at most 1 (the default 1, 95%); not one with a
    target above 1 or a subject's own target, nor any other kind (docs/decisions.md, "Ratio counts")."""
    from kaohe.engine import parse_scheme
    from services.scoring.periods.service import indicators
    from tests.engine.scoring._helpers import leaf, scheme_doc

    scheme = parse_scheme(scheme_doc([
        leaf("a", 25, {"kind": "ratio"}), leaf("b", 25, {"kind": "ratio", "target": "95%"}),
        leaf("c", 20, {"kind": "ratio", "target": "1.2"}), leaf("d", 15, {"kind": "ratio", "target": "attr.goal"}),
        leaf("e", 15, {"kind": "banded", "bands": [{"min": "0.9", "points": 15}]})]))
    assert [(i.code, i.numerator_within_denominator) for i in indicators(scheme)] == [
        ("a", True), ("b", True), ("c", False), ("d", False), ("e", False)]
