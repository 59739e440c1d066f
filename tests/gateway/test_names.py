"""Names through the gateway against the real scoring service (issue 21, item 26): refused characters are
BAD_USER_INPUT naming the character, a look-alike name in the same unit comes back with a warning."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.gateway.test_scheme_tools import RealScoring, _post

CREATE_UNIT = """mutation($name: String!, $parent: ID) {
  createUnit(name: $name, slug: "c", parentId: $parent, id: "u-c") { id name warnings { code similarTo message } } }"""
CREATE_PERSON = """mutation($name: String!, $id: ID!) { createPerson(name: $name, unitId: "u-a", id: $id)
  { id name warnings { code similarTo } } }"""


@pytest.fixture
async def backend(api: Any) -> RealScoring:
    await api("scoring")
    return RealScoring()


async def test_names_through_the_gateway(gateway: httpx.AsyncClient, bearer: Any) -> None:
    admin = bearer(("admin", ""))
    city = (await _post(gateway, admin, CREATE_UNIT.replace('"u-c"', '"u-city"').replace('"c"', '"city"'),
                        name="市", parent=None))["data"]["createUnit"]
    assert city["warnings"] == []
    unit = (await _post(gateway, admin, CREATE_UNIT.replace('"u-c"', '"u-a"').replace('"c"', '"a"'),
                        name="一中队", parent="u-city"))["data"]["createUnit"]
    assert unit["id"] == "u-a"
    refused = await _post(gateway, admin, CREATE_PERSON, name="张\u202e三", id="p0")
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "U+202E" in refused["errors"][0]["message"]
    first = (await _post(gateway, admin, CREATE_PERSON, name="张三", id="p1"))["data"]["createPerson"]
    assert first == {"id": "p1", "name": "张三", "warnings": []}
    second = (await _post(gateway, admin, CREATE_PERSON, name="张三", id="p2"))["data"]["createPerson"]
    assert second["warnings"] == [{"code": "confusable_name", "similarTo": "p1"}]
    look_alike = (await _post(gateway, admin, CREATE_UNIT, name="一中队\u3000", parent="u-city"))["data"]["createUnit"]
    assert (look_alike["name"], [w["similarTo"] for w in look_alike["warnings"]]) == ("一中队", ["u-a"])
