"""Who gives the ids of new units and people, through the gateway against the real scoring service (attacker probe,
docs/decisions.md "Who chooses the ids of new units and people"): `createUnit(…, id:)` by a branch admin answered
CONFLICT "unit … exists" for another branch's unit, so the organisation's ids could be enumerated. An id from anyone
but an admin of the whole organisation is now BAD_USER_INPUT on `id`, the same for a free id and a taken one; an
admin of the whole organisation still gives ids; a file's row with an id from a branch admin is a bad row."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.gateway.test_scheme_tools import RealScoring, _post

UNIT = """mutation($n: String!, $s: String!, $p: ID, $id: ID) {
  createUnit(name: $n, slug: $s, parentId: $p, id: $id) { id path } }"""
PERSON = """mutation($n: String!, $u: ID!, $id: ID) { createPerson(name: $n, unitId: $u, id: $id) { id unitPath } }"""
CHOSEN_ID = ("only an administrator of the whole organisation gives the id of a new unit or person: leave id out "
             "and one is made")
REFUSED = {"code": "BAD_USER_INPUT", "reason": "invalid_input", "details": [{"field": "id"}]}


@pytest.fixture
async def backend(api: Any) -> RealScoring:
    await api("scoring")
    return RealScoring()


async def _city(gateway: httpx.AsyncClient, office: dict[str, str]) -> None:
    """city (u-city) with 甲街道 (u-a, city/a) and 乙街道 (u-b, city/b), 张三 (p-b) in 乙街道: ids given by the office
    of the whole organisation."""
    for name, slug, parent, unit_id in (("市", "city", None, "u-city"), ("甲街道", "a", "u-city", "u-a"),
                                        ("乙街道", "b", "u-city", "u-b")):
        made = await _post(gateway, office, UNIT, n=name, s=slug, p=parent, id=unit_id)
        assert made["data"]["createUnit"]["id"] == unit_id, made
    person = await _post(gateway, office, PERSON, n="张三", u="u-b", id="p-b")
    assert person["data"]["createPerson"] == {"id": "p-b", "unitPath": "city/b"}


async def test_a_branch_admin_giving_an_id_is_refused_alike_for_a_free_and_a_taken_id(
        gateway: httpx.AsyncClient, bearer: Any) -> None:
    office = bearer(("admin", ""))
    await _city(gateway, office)
    for branch in (bearer(("admin", "city/a")), bearer(("admin", "city"))):
        answers = [await _post(gateway, branch, UNIT, n="一组", s="g", p=parent, id=chosen)
                   for chosen in ("u-b", "u-free") for parent in ("u-a", "nowhere")]
        answers += [await _post(gateway, branch, PERSON, n="王五", u=unit_id, id=chosen)
                    for chosen in ("p-b", "p-free") for unit_id in ("u-a", "nowhere")]
        for answer in answers:
            assert answer["data"] is None
            assert [(e["message"], e["extensions"]) for e in answer["errors"]] == [(CHOSEN_ID, REFUSED)]
    written = await _post(gateway, office, 'query { units(parentId: "u-a") { nodes { id } } '
                                           'unitPeople(unitId: "u-a") { totalCount } }')
    assert written == {"data": {"units": {"nodes": []}, "unitPeople": {"totalCount": 0}}}  # nothing written

    branch = bearer(("admin", "city/a"))
    made = (await _post(gateway, branch, UNIT, n="一组", s="g", p="u-a"))["data"]["createUnit"]
    assert made["path"] == "city/a/g" and re.fullmatch("[0-9a-f]{32}", made["id"])
    person = (await _post(gateway, branch, PERSON, n="王五", u=made["id"]))["data"]["createPerson"]
    assert person["unitPath"] == "city/a/g" and re.fullmatch("[0-9a-f]{32}", person["id"])


async def test_an_admin_of_the_whole_organisation_gives_ids(gateway: httpx.AsyncClient, bearer: Any) -> None:
    office = bearer(("admin", ""))
    await _city(gateway, office)
    made = (await _post(gateway, office, UNIT, n="一组", s="g", p="u-a", id="u-g"))["data"]["createUnit"]
    assert made == {"id": "u-g", "path": "city/a/g"}
    taken = await _post(gateway, office, UNIT, n="二组", s="h", p="u-a", id="u-b")
    assert (taken["errors"][0]["message"], taken["errors"][0]["extensions"]["code"]) == ("unit u-b exists",
                                                                                         "CONFLICT")


async def test_an_organisation_file_row_with_an_id_from_a_branch_admin_is_a_bad_row(
        gateway: httpx.AsyncClient, bearer: Any) -> None:
    office = bearer(("admin", ""))
    await _city(gateway, office)
    data = ("type,id,name,slug,parent,unit\n"
            "unit,,一组,x,u-a,\n"           # 2: fine
            "unit,u-b,二组,y,u-a,\n"         # 3: 乙街道's id
            "person,p-free,王五,,,u-a\n"     # 4: a free id
            "person,,赵六,,,u-a\n").encode()  # 5: fine
    refused = await gateway.post("/uploads/organisation", files={"file": ("org.csv", data)},
                                 headers=bearer(("admin", "city/a")))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["extensions"]["details"]["rows"] == [
        {"row": 3, "column": "id", "reason": CHOSEN_ID}, {"row": 4, "column": "id", "reason": CHOSEN_ID}]
    children = await _post(gateway, office, 'query { units(parentId: "u-a") { nodes { path } } }')
    assert children["data"]["units"]["nodes"] == []  # nothing written
