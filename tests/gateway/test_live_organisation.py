"""The organisation through the gateway over the real services (issue 17): the unit tree (children, ancestors),
the people of a unit, periods by status, scheme and owner, schemes by owner; each filtered by the caller's grants,
and a mobile app's home screen in one request."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.live import Live, module_stack
from tests.gateway.test_live_publication import scheme

live = module_stack("organisation")
CHILDREN = "query($p: ID) { units(parentId: $p) { totalCount nodes { name path } } }"
PERSON = "mutation($n: String!, $u: ID!) { createPerson(name: $n, unitId: $u) { id } }"


@pytest.fixture(scope="module")
def city(live: Live) -> dict[str, str]:
    units = live.city(("甲街道", "a"), ("乙街道", "b"))
    units["a1"] = live.unit("甲一社区", "a1", units["a"])["id"]
    admin = live.token("admin", "")
    for name in ("王五", "张三"):
        live(admin, PERSON, n=name, u=units["a"])
    live(admin, PERSON, n="李四", u=units["b"])
    return units


def names(data: dict[str, Any]) -> list[str]:
    return [n["name"] for n in data["nodes"]]


def test_the_tree_by_children_and_ancestors(live: Live, city: dict[str, str]) -> None:
    office, clerk = live.token("admin", ""), live.token("submitter", "city/a")
    assert live(office, CHILDREN)["units"] == {"totalCount": 1, "nodes": [{"name": "市", "path": "city"}]}
    assert names(live(office, CHILDREN, p=city["city"])["units"]) == ["甲街道", "乙街道"]
    # a street's clerk walks down from the city to its street, and sees nothing of the other street
    assert names(live(clerk, CHILDREN)["units"]) == ["市"]
    assert live(clerk, CHILDREN, p=city["city"])["units"] == {"totalCount": 1,
                                                             "nodes": [{"name": "甲街道", "path": "city/a"}]}
    assert names(live(clerk, CHILDREN, p=city["a"])["units"]) == ["甲一社区"]
    assert live(clerk, CHILDREN, p=city["b"])["units"] == {"totalCount": 0, "nodes": []}
    ancestors = "query($u: ID!) { unitAncestors(id: $u) { name path } }"
    assert live(office, ancestors, u=city["a1"])["unitAncestors"] == [{"name": "市", "path": "city"},
                                                                       {"name": "甲街道", "path": "city/a"}]
    assert live(office, ancestors, u=city["city"])["unitAncestors"] == []
    assert live.error(clerk, ancestors, u=city["b"])["extensions"]["code"] == "NOT_FOUND"  # not admitted
    paged = live(office, "query($p: ID) { units(parentId: $p, first: 1) { totalCount pageInfo { hasNextPage "
                         "endCursor } nodes { name } } }", p=city["city"])["units"]
    assert (paged["totalCount"], names(paged), paged["pageInfo"]["hasNextPage"]) == (2, ["甲街道"], True)
    rest = live(office, "query($p: ID, $a: String) { units(parentId: $p, first: 1, after: $a) { pageInfo "
                        "{ hasNextPage } nodes { name } } }", p=city["city"], a=paged["pageInfo"]["endCursor"])
    assert (names(rest["units"]), rest["units"]["pageInfo"]["hasNextPage"]) == (["乙街道"], False)


def test_the_people_of_a_unit(live: Live, city: dict[str, str]) -> None:
    people = "query($u: ID!) { unitPeople(unitId: $u) { totalCount nodes { name unitPath } } }"
    clerk = live.token("submitter", "city/a")
    found = live(clerk, people, u=city["a"])["unitPeople"]
    assert found["totalCount"] == 2 and sorted(names(found)) == ["张三", "王五"]
    assert {n["unitPath"] for n in found["nodes"]} == {"city/a"}
    assert live.error(clerk, people, u=city["b"])["extensions"]["code"] == "NOT_FOUND"
    assert live(live.token("admin", ""), people, u=city["b"])["unitPeople"]["totalCount"] == 1


def test_periods_and_schemes_filtered_and_a_home_screen_in_one_request(live: Live, city: dict[str, str]) -> None:
    admin = live.token("admin", "")
    first = live.opened_period(scheme("org-one"), "2026-Q1", [(city["a"], "街道"), (city["b"], "街道")])
    live.published_scheme({**scheme("org-two"), "title": "社区考核"}, owner_path="city/a")
    second = live(admin, """mutation { openPeriod(input: {schemeId: "org-two", schemeVersion: 1, label: "2026-Q2",
        ownerPath: "city/a", subjects: []}) { id } }""")["openPeriod"]["id"]
    periods = "query($s: String, $o: String) { periods(schemeId: $s, ownerPath: $o) { totalCount nodes { id } } }"
    assert live(admin, periods, s="org-one")["periods"] == {"totalCount": 1, "nodes": [{"id": first}]}
    assert live(admin, periods, o="city/a")["periods"] == {"totalCount": 1, "nodes": [{"id": second}]}
    assert live(admin, periods, s="org-one", o="city/a")["periods"]["totalCount"] == 0
    by_owner = "query($o: String) { schemes(ownerPath: $o) { nodes { id ownerPath } } }"
    assert live(admin, by_owner, o="city/a")["schemes"]["nodes"] == [{"id": "org-two", "ownerPath": "city/a"}]
    assert live(admin, by_owner, o="city")["schemes"]["nodes"] == [{"id": "org-one", "ownerPath": "city"}]

    clerk = live.token("submitter", "city/a", subject="clerk-a")
    home = live(clerk, """query Home($unit: ID!) {
      me { subject grants { role scope } }
      unitAncestors(id: $unit) { name }
      units(parentId: $unit) { nodes { name } }
      unitPeople(unitId: $unit, first: 5) { totalCount }
      periods(status: "open", first: 5) { nodes { id label } }
      schemes(first: 5) { nodes { id } }
    }""", unit=city["a"])
    assert home["me"] == {"subject": "clerk-a", "grants": [{"role": "submitter", "scope": "city/a"}]}
    assert (home["unitAncestors"], names(home["units"]), home["unitPeople"]["totalCount"]) == (
        [{"name": "市"}], ["甲一社区"], 2)
    assert {p["id"] for p in home["periods"]["nodes"]} == {first, second}
