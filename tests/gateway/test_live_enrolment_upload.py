"""Enrolment from a file through the gateway over the real services (issue 17): `POST /uploads/periods/{id}/subjects`
takes the template scoring takes (CSV or xlsx, columns id, group, attributes), enrols all or nothing, and reports
every bad row (row, column, reason); a file of 10,000 rows goes in one request."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from openpyxl import Workbook

from tests.gateway.live import Live, module_stack
from tests.gateway.test_live_publication import scheme

live = module_stack("enrolment-upload")
SUBJECTS = "query($p: ID!) { subjects(periodId: $p) { totalCount nodes { id group } } }"


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, str]:
    units = live.city(("甲街道", "a"), ("乙街道", "b"), ("丙街道", "c"))
    document = {**scheme("upload"), "groups": ["街道", "乡镇"]}
    return {"id": live.opened_period(document, "2026-Q2", []), **units}


def upload(live: Live, token: str, period_id: str, name: str, data: bytes) -> httpx.Response:
    return live.http.post(f"{live.url}/uploads/periods/{period_id}/subjects", files={"file": (name, data)},
                          headers={"Authorization": f"Bearer {token}"})


def test_every_bad_row_is_reported_and_nothing_is_enrolled(live: Live, period: dict[str, str]) -> None:
    admin = live.token("admin", "")
    data = (f"id,group,population\n{period['a']},街道,12000\nghost,街道,1\n{period['b']},市区,3\n"
            f"{period['a']},乡镇,5\n{period['c']},乡镇,x\n").encode()
    refused = upload(live, admin, period["id"], "名单.csv", data)
    assert refused.status_code == 422, refused.text
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["details"]["rows"] == [
        {"row": 3, "column": "id", "reason": "ghost is not a unit of the organisation"},
        {"row": 4, "column": "group", "reason": "group '市区' is not one of the scheme's (街道, 乡镇)"},
        {"row": 5, "column": "id", "reason": f"subject {period['a']} is listed twice (first on line 2)"}]
    assert live(admin, SUBJECTS, p=period["id"])["subjects"]["totalCount"] == 0  # nothing written

    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    for row in (["id", "group", "population"], [period["a"], "街道", 12000], [period["c"], "乡镇", 800]):
        sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    done = upload(live, admin, period["id"], "名单.xlsx", buffer.getvalue())
    assert done.status_code == 201, done.text
    assert done.json() == {"enrolled": 2, "subjects": [period["a"], period["c"]]}
    enrolled = live(admin, SUBJECTS, p=period["id"])["subjects"]
    assert sorted((n["id"], n["group"]) for n in enrolled["nodes"]) == sorted(
        [(period["a"], "街道"), (period["c"], "乡镇")])


def test_ten_thousand_rows_in_one_request(live: Live, period: dict[str, str]) -> None:
    """10,000 rows of units that do not exist: one request, every row reported, nothing enrolled."""
    rows = "".join(f"unit-{n:05d},街道\n" for n in range(10_000))
    answer = upload(live, live.token("admin", ""), period["id"], "big.csv", ("id,group\n" + rows).encode())
    assert answer.status_code == 422, answer.text[:500]
    reported = answer.json()["errors"][0]["extensions"]["details"]["rows"]
    assert len(reported) == 10_000
    assert reported[0] == {"row": 2, "column": "id", "reason": "unit-00000 is not a unit of the organisation"}
    assert reported[-1]["row"] == 10_001


def test_only_the_office_of_the_period_uploads(live: Live, period: dict[str, str]) -> None:
    data = f"id,group\n{period['b']},街道\n".encode()
    for token in (live.token("admin", "city/a"), live.token("assessor", "")):
        refused = upload(live, token, period["id"], "x.csv", data)
        assert refused.status_code == 403, refused.text
    anonymous = live.http.post(f"{live.url}/uploads/periods/{period['id']}/subjects", files={"file": ("x.csv", data)})
    assert anonymous.status_code == 401



def upload_organisation(live: Live, token: str, name: str, data: bytes) -> httpx.Response:
    return live.http.post(f"{live.url}/uploads/organisation", files={"file": (name, data)},
                          headers={"Authorization": f"Bearer {token}"})


def test_units_and_people_from_a_file_all_or_nothing(live: Live, period: dict[str, str]) -> None:
    """A branch's admin leaves ids out (kaohe makes them): a row giving one is refused on `id` like the others."""
    office_a = live.token("admin", "city/a")
    bad = ("type,id,name,slug,parent,unit\n"
           f"unit,,一组,x,{period['a']},\n"            # 2: fine
           f"person,,王五,,,{period['a']}\n"           # 3: fine
           f"unit,,二组,x,{period['b']},\n"            # 4: under a unit of city/b, not city/a's to see
           f"unit,,三组,Y Y,{period['a']},\n"          # 5: a slug no unit has
           "person,,赵六,,,nowhere\n"                  # 6: no such unit
           "team,,小组,,,\n"                           # 7: no such type
           f"person,p-8,孙七,,,{period['a']}\n").encode()  # 8: an id, from a branch's admin
    refused = upload_organisation(live, office_a, "org.csv", bad)
    assert refused.status_code == 422, refused.text
    rows = refused.json()["errors"][0]["extensions"]["details"]["rows"]
    assert [(r["row"], r["column"]) for r in rows] == [(4, "parent"), (5, "slug"), (6, "unit"), (7, "type"),
                                                       (8, "id")]
    # another branch's unit reads as one that does not exist: neither it nor its path is confirmed (attacker probe)
    assert rows[0]["reason"] == "parent unit not found"
    assert rows[2]["reason"] == "unit not found"
    assert rows[3]["reason"] == "type must be unit or person, not 'team'"
    assert rows[4]["reason"] == ("only an administrator of the whole organisation gives the id of a new unit or "
                                 "person: leave id out and one is made")
    children = "query($p: ID) { units(parentId: $p) { nodes { path } } }"
    people = "query($u: ID!) { unitPeople(unitId: $u) { nodes { id name } } }"
    assert live(live.token("admin", ""), children, p=period["a"])["units"]["nodes"] == []  # nothing written
    assert live(live.token("admin", ""), people, u=period["a"])["unitPeople"]["nodes"] == []

    good = ("type,name,slug,parent,unit\n"
            f"unit,一组,x,{period['a']},\n"
            f"person,王五,,,{period['a']}\n"
            f"person,赵六,,,{period['a']}\n").encode()
    done = upload_organisation(live, office_a, "org.csv", good)
    assert (done.status_code, done.json()) == (201, {"units": 1, "people": 2, "warnings": []})
    assert live(live.token("admin", ""), children, p=period["a"])["units"]["nodes"] == [{"path": "city/a/x"}]
    made = {p["name"]: p["id"] for p in live(live.token("admin", ""), people, u=period["a"])["unitPeople"]["nodes"]}
    assert sorted(made) == ["王五", "赵六"]
    trail = live(live.token("auditor", ""),
                 'query($e: String!) { auditTrail(entityId: $e) { nodes { action actor } } }', e=made["赵六"])
    assert trail["auditTrail"]["nodes"] == [{"action": "person.create", "actor": "admin@city/a"}]


def test_look_alike_names_of_a_file_come_back_as_warnings(live: Live, period: dict[str, str]) -> None:
    """A name that looks like another of the same unit is kept, with a warning naming the row, as createPerson
    keeps it: against the people already there and those the file made above it."""
    admin = live.token("admin", "")
    data = ("type,id,name,slug,parent,unit\n"
            f"unit,c-x,一组,x,{period['c']},\n"
            "person,c-1,王五,,,c-x\n"
            "person,c-2,王五,,,c-x\n"            # 4: looks like c-1
            f"unit,c-y,一组,y,{period['c']},\n"   # 5: looks like c-x, under the same parent
            "person,c-3,王五,,,c-x\n").encode()  # 6: looks like c-1 and c-2
    done = upload_organisation(live, admin, "org.csv", data)
    assert done.status_code == 201, done.text

    def warning(row: int, name: str, other: str, where: str) -> dict[str, Any]:
        return {"row": row, "column": "name", "code": "confusable_name",
                "message": f"the name looks like {name!r} ({other}) {where}", "similarTo": other}

    assert done.json() == {"units": 2, "people": 3, "warnings": [
        warning(4, "王五", "c-1", "in the same unit"), warning(5, "一组", "c-x", "under the same parent"),
        warning(6, "王五", "c-1", "in the same unit"), warning(6, "王五", "c-2", "in the same unit")]}


def test_an_organisation_file_over_a_mebibyte_is_read(live: Live, period: dict[str, str]) -> None:
    """The file may be 10 MiB: scoring's general 1 MiB body limit does not apply to it (20,000 rows of 56 bytes,
    each refused for its type, so that the test reads the whole file without writing 20,000 units)."""
    rows = "".join(f"team,t-{n:05d},{'小组' * 12},,,\n" for n in range(20_000))
    data = ("type,id,name,slug,parent,unit\n" + rows).encode()
    assert len(data) > 2**20
    refused = upload_organisation(live, live.token("admin", ""), "org.csv", data)
    assert refused.status_code == 422, refused.text[:500]
    reported = refused.json()["errors"][0]["extensions"]["details"]["rows"]
    assert len(reported) == 10_000  # the first 10,000 of 20,000 bad rows are listed
    assert reported[0] == {"row": 2, "column": "type", "reason": "type must be unit or person, not 'team'"}


def test_an_id_taken_before_or_by_an_earlier_row_is_a_bad_row(live: Live, period: dict[str, str]) -> None:
    data = ("type,id,name,slug,parent,unit\n"
            f"unit,{period['a']},甲二,a2,{period['b']},\n"   # 2: 甲街道's id
            f"unit,d-x,丁组,dx,{period['b']},\n"
            "person,d-1,孙七,,,d-x\n"
            "person,d-1,周八,,,d-x\n").encode()               # 5: row 4's id
    refused = upload_organisation(live, live.token("admin", ""), "org.csv", data)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["extensions"]["details"]["rows"] == [
        {"row": 2, "column": "id", "reason": f"unit {period['a']} exists"},
        {"row": 5, "column": "id", "reason": "person d-1 exists"}]
    children = "query($p: ID) { units(parentId: $p) { nodes { path } } }"
    assert live(live.token("admin", ""), children, p=period["b"])["units"]["nodes"] == []  # nothing written
