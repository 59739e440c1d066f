"""Organisation: units with paths, people, batch reads within scope, hashed API keys and their verification."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx
from sqlalchemy import select, text

from services.common.auth import Grant, Principal, issue_service_token
from services.scoring.organisation.models import ApiKey
from tests.conftest import auth, token_for
from tests.scoring.conftest import admin, app_db, make_org, ok, org_admin, service_headers, subject_headers


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body["error"].items() if k != "request_id"}


async def test_units_and_people_with_paths(scoring: httpx.AsyncClient) -> None:
    await make_org(scoring)
    units = await ok(await scoring.get("/v1/units?ids=u-b,u-a,u-city", headers=admin()))
    assert units == [
        {"id": "u-city", "name": "市", "parent_id": None, "path": "city"},
        {"id": "u-a", "name": "a", "parent_id": "u-city", "path": "city/a"},
        {"id": "u-b", "name": "b", "parent_id": "u-city", "path": "city/b"},
    ]
    people = await ok(await scoring.get("/v1/people?ids=p3,p1", headers=service_headers("gateway")))
    assert people == [{"id": "p1", "name": "人p1", "unit_id": "u-a", "unit_path": "city/a"},
                      {"id": "p3", "name": "人p3", "unit_id": "u-b", "unit_path": "city/b"}]
    scoped = await ok(await scoring.get("/v1/people?ids=p1,p2,p3", headers=auth(("assessor", "city/b"))))
    assert [p["id"] for p in scoped] == ["p3"]
    assert [p["id"] for p in await ok(await scoring.get("/v1/people?ids=p1,p2", headers=subject_headers("p2")))] == [
        "p2"]
    dup = await scoring.post("/v1/units", json={"name": "again", "slug": "a", "parent_id": "u-city"}, headers=admin())
    assert dup.status_code == 409


async def test_unit_writes_are_scoped(scoring: httpx.AsyncClient) -> None:
    await make_org(scoring)
    # another branch's unit answers as a unit that does not exist: nothing confirms it (attacker probe)
    for parent in ("u-a", "no-such-unit"):
        refused = await scoring.post("/v1/units", json={"name": "c", "slug": "c", "parent_id": parent},
                                     headers=auth(("admin", "city/b")))
        assert (refused.status_code, without_request_id(refused.json())) == (422, {
            "code": "invalid_input", "message": "parent unit not found", "details": {"field": "parent_id"}})
    for unit in ("u-a", "no-such-unit"):
        refused = await scoring.post("/v1/people", json={"name": "x", "unit_id": unit},
                                     headers=auth(("admin", "city/b")))
        assert (refused.status_code, without_request_id(refused.json())) == (422, {
            "code": "invalid_input", "message": "unit not found", "details": {"field": "unit_id"}})
    # a unit the caller reads but does not administer is no secret: that is a refusal of the act
    assert (await scoring.post("/v1/units", json={"name": "c", "slug": "c", "parent_id": "u-a"},
                               headers=auth(("assessor", "city/a"), ("admin", "city/b")))).status_code == 403
    assert (await scoring.post("/v1/units", json={"name": "Bad", "slug": "Bad Slug"},
                               headers=admin())).status_code == 422


async def test_api_keys_are_hashed_verified_and_revoked(scoring: httpx.AsyncClient) -> None:
    created = await ok(await scoring.post("/v1/api-keys", json={
        "name": "portal", "grants": [{"role": "auditor", "scope": "city/a"}]}, headers=admin()), 201)
    secret = created["key"]
    async with app_db().sessionmaker() as session:
        digest = await session.scalar(select(ApiKey.key_sha256).where(ApiKey.id == created["id"]))
    assert digest == hashlib.sha256(secret.encode()).hexdigest()
    listed = await ok(await scoring.get("/v1/api-keys", headers=admin()))
    assert [k["name"] for k in listed] == ["portal"] and "key" not in listed[0]
    assert listed[0]["last_used_at"] is None
    assert (await scoring.post("/v1/api-keys/verify", json={"key": secret}, headers=admin())).status_code == 403
    found = await ok(await scoring.post("/v1/api-keys/verify", json={"key": secret},
                                        headers=service_headers("gateway")))
    assert found == {"id": created["id"], "name": "portal", "grants": [{"role": "auditor", "scope": "city/a"}],
                     "created_by": "office", "creator_subject_ids": []}
    used = await ok(await scoring.get("/v1/api-keys", headers=admin()))
    assert used[0]["last_used_at"] is not None
    assert await ok(await scoring.get("/v1/api-keys", headers=auth(("admin", "city/b")))) == []
    assert (await scoring.delete(f"/v1/api-keys/{created['id']}", headers=auth(("admin", "city/b")))).status_code == 404
    assert (await scoring.delete(f"/v1/api-keys/{created['id']}", headers=admin())).status_code == 204
    gone = await scoring.post("/v1/api-keys/verify", json={"key": secret}, headers=service_headers("gateway"))
    assert gone.status_code == 404
    assert await ok(await scoring.get("/v1/api-keys", headers=admin())) == []


async def test_an_api_key_acts_for_its_creator(scoring: httpx.AsyncClient) -> None:
    """Separation of duties compares persons (docs/identity.md): verification names the key's creator and the
    subjects the creator was; other services learn who created keys (revoked ones too); a key made before
    scoring_0009 (no creator's subjects kept) says so with null."""
    zhang = {"Authorization": f"Bearer {token_for(('admin', 'city/a'), subject='zhang', subject_ids=('p1',))}"}
    made = await ok(await scoring.post("/v1/api-keys", json={
        "name": "门户", "grants": [{"role": "reviewer", "scope": "city/a"}]}, headers=zhang), 201)
    other = await ok(await scoring.post("/v1/api-keys", json={
        "name": "旧", "grants": [{"role": "reviewer", "scope": "city/a"}]}, headers=admin()), 201)
    gateway = service_headers("gateway")
    found = await ok(await scoring.post("/v1/api-keys/verify", json={"key": made["key"]}, headers=gateway))
    assert (found["created_by"], found["creator_subject_ids"]) == ("zhang", ["p1"])
    async with app_db().sessionmaker() as session:
        await session.execute(text("UPDATE scoring.api_key SET creator_subject_ids = NULL WHERE id = :id"),
                              {"id": other["id"]})
        await session.commit()
    old = await ok(await scoring.post("/v1/api-keys/verify", json={"key": other["key"]}, headers=gateway))
    assert (old["created_by"], old["creator_subject_ids"]) == ("office", None)
    assert (await scoring.delete(f"/v1/api-keys/{made['id']}", headers=admin())).status_code == 204
    ids = f"{made['id']},{other['id']},nokey"
    assert await ok(await scoring.get(f"/v1/api-keys/creators?ids={ids}", headers=service_headers())) == {
        "creators": {made["id"]: "zhang", other["id"]: "office"}}
    assert (await scoring.get(f"/v1/api-keys/creators?ids={ids}", headers=admin())).status_code == 403


async def test_an_api_key_is_never_kept_in_clear_for_a_replay(scoring: httpx.AsyncClient) -> None:
    """The idempotency table keeps each answer to replay it: an API key's answer holds the key itself, so its
    creation takes no Idempotency-Key (the header is ignored) and the key is nowhere in the database in clear."""
    headers = {**admin(), "Idempotency-Key": "portal-key-1"}
    body = {"name": "portal", "grants": [{"role": "auditor", "scope": "city/a"}]}
    first = await ok(await scoring.post("/v1/api-keys", json=body, headers=headers), 201)
    second = await ok(await scoring.post("/v1/api-keys", json=body, headers=headers), 201)
    assert first["key"] != second["key"] and first["id"] != second["id"]  # two keys: revoke the one not used
    async with app_db().sessionmaker() as session:
        stored = (await session.execute(text("SELECT count(*) FROM scoring.idempotency_key "
                                             "WHERE response_body::text LIKE :k OR response_body::text LIKE :k2"),
                                        {"k": f"%{first['key']}%", "k2": f"%{second['key']}%"})).scalar_one()
    assert stored == 0


async def test_api_key_grants_cannot_exceed_the_issuer(scoring: httpx.AsyncClient) -> None:
    wider = await scoring.post("/v1/api-keys", json={"name": "p", "grants": [{"role": "admin", "scope": ""}]},
                               headers=admin())
    assert wider.status_code == 403
    bad_role = await scoring.post("/v1/api-keys", json={"name": "p", "grants": [{"role": "root", "scope": ""}]},
                                  headers=admin())
    assert bad_role.status_code == 422


BAD_NAMES = {
    "张\u202e三": "U+202E", "张\u202d三": "U+202D", "\u2066张三\u2069": "U+2066", "张\u200d三": "U+200D",
    "\u200b张三": "U+200B", "张\t三": "U+0009", "张\r三": "U+000D", "张三\n": "U+000A", "张三\x00": "U+0000",
    "ABC\u200e": "U+200E", "张\ufeff三": "U+FEFF",
}


async def test_names_with_control_or_bidi_characters_are_refused(scoring: httpx.AsyncClient) -> None:
    """(issue 21, item 26) zero-width joiners, right-to-left overrides, tabs and CRs were accepted in names."""
    await make_org(scoring)
    for name, code in BAD_NAMES.items():
        for path, body in (("/v1/people", {"name": name, "unit_id": "u-a"}),
                           ("/v1/units", {"name": name, "slug": "c", "parent_id": "u-city"})):
            response = await scoring.post(path, json=body, headers=admin())
            assert response.status_code == 422, (name, path, response.text)
            error = response.json()["error"]
            assert error["message"].startswith("name: ") and code in error["message"], (name, error)
    units = await ok(await scoring.get("/v1/units?ids=u-a,u-b,u-city", headers=admin()))
    assert len(units) == 3


async def test_names_are_stored_nfc(scoring: httpx.AsyncClient) -> None:
    """(issue 21, item 26) NFC and NFD forms of one name were two different people."""
    await make_org(scoring)
    nfd = "Zoe\u0308 Lo\u0308w"
    created = await ok(await scoring.post("/v1/people", json={"id": "z1", "name": nfd, "unit_id": "u-a"},
                                          headers=org_admin()), 201)
    assert created["name"] == "Zo\u00eb L\u00f6w"
    again = await ok(await scoring.post("/v1/people", json={"id": "z2", "name": "Zo\u00eb L\u00f6w",
                                                             "unit_id": "u-a"}, headers=org_admin()), 201)
    assert [w["similar_to"] for w in again["warnings"]] == ["z1"]
    people = await ok(await scoring.get("/v1/people?ids=z1,z2", headers=admin()))
    assert {p["name"] for p in people} == {"Zo\u00eb L\u00f6w"}


async def test_a_confusable_name_in_the_same_unit_is_a_warning(scoring: httpx.AsyncClient) -> None:
    """(issue 21, item 26) full-width letters and Cyrillic homoglyphs: kept, but the answer warns."""
    await make_org(scoring)
    first = await ok(await scoring.post("/v1/people", json={"id": "a1", "name": "Alice 张", "unit_id": "u-a"},
                                        headers=org_admin()), 201)
    assert first["warnings"] == []
    for pid, name in (("a2", "Ａlice 张"), ("a3", "\u0410lice 张"), ("a4", "ALICE 张")):
        created = await ok(await scoring.post("/v1/people", json={"id": pid, "name": name, "unit_id": "u-a"},
                                              headers=org_admin()), 201)
        assert created["name"] == name
        assert "a1" in [w["similar_to"] for w in created["warnings"]], (name, created)
        assert created["warnings"][0]["code"] == "confusable_name"
    elsewhere = await ok(await scoring.post("/v1/people", json={"id": "b1", "name": "\u0410lice 张",
                                                                "unit_id": "u-b"}, headers=org_admin()), 201)
    assert elsewhere["warnings"] == []
    other = await ok(await scoring.post("/v1/people", json={"id": "a5", "name": "Alicia 张", "unit_id": "u-a"},
                                        headers=org_admin()), 201)
    assert other["warnings"] == []
    sibling = await ok(await scoring.post("/v1/units", json={"name": "\u0430", "slug": "c", "parent_id": "u-city"},
                                          headers=admin()), 201)
    assert [w["similar_to"] for w in sibling["warnings"]] == ["u-a"]  # Cyrillic а beside the unit named a


CHOSEN_ID = ("only an administrator of the whole organisation gives the id of a new unit or person: leave id out "
             "and one is made")


async def test_a_branch_admin_giving_an_id_is_refused_alike_for_a_free_and_a_taken_id(
        scoring: httpx.AsyncClient) -> None:
    """(attacker probe) `POST /v1/units` with the id of a unit of another branch answered 409 "unit … exists", so a
    branch admin could enumerate the organisation's ids. Now any id from anyone but an admin of the whole organisation
    is the same 422, whether it is free or taken, and before anything is looked up (a parent that does not exist)."""
    await make_org(scoring)
    refusal = {"error": {"code": "invalid_input", "message": CHOSEN_ID, "details": {"field": "id"}}}
    for office in (auth(("admin", "city/a")), admin()):  # a branch's admin, and the city's (not the organisation's)
        for chosen in ("u-b", "u-free"):  # u-b is city/b's unit
            for parent in ("u-a", "nowhere"):
                unit = await scoring.post("/v1/units", json={"id": chosen, "name": "c", "slug": "c",
                                                             "parent_id": parent}, headers=office)
                assert (unit.status_code, unit.json()) == (422, refusal), (chosen, parent)
        for chosen in ("p3", "p-free"):  # p3 is in city/b
            for unit_id in ("u-a", "nowhere"):
                person = await scoring.post("/v1/people", json={"id": chosen, "name": "王五", "unit_id": unit_id},
                                            headers=office)
                assert (person.status_code, person.json()) == (422, refusal), (chosen, unit_id)
    everything = org_admin()
    assert await ok(await scoring.get("/v1/units?ids=u-free", headers=everything)) == []
    assert await ok(await scoring.get("/v1/people?ids=p-free", headers=everything)) == []
    assert (await ok(await scoring.get("/v1/units/u-a/people", headers=everything)))["total_count"] == 2

    made = await ok(await scoring.post("/v1/units", json={"name": "c", "slug": "c", "parent_id": "u-a"},
                                       headers=auth(("admin", "city/a"))), 201)
    assert made["path"] == "city/a/c" and re.fullmatch("[0-9a-f]{32}", made["id"])
    person = await ok(await scoring.post("/v1/people", json={"name": "王五", "unit_id": made["id"]},
                                         headers=auth(("admin", "city/a"))), 201)
    assert person["unit_path"] == "city/a/c" and re.fullmatch("[0-9a-f]{32}", person["id"])


async def test_an_admin_of_the_whole_organisation_chooses_ids(scoring: httpx.AsyncClient) -> None:
    await make_org(scoring)
    unit = await ok(await scoring.post("/v1/units", json={"id": "u-c", "name": "c", "slug": "c", "parent_id": "u-b"},
                                       headers=org_admin()), 201)
    assert (unit["id"], unit["path"]) == ("u-c", "city/b/c")
    person = await ok(await scoring.post("/v1/people", json={"id": "p9", "name": "王五", "unit_id": "u-c"},
                                         headers=org_admin()), 201)
    assert (person["id"], person["unit_path"]) == ("p9", "city/b/c")
    taken = await scoring.post("/v1/units", json={"id": "u-a", "name": "d", "slug": "d", "parent_id": "u-b"},
                               headers=org_admin())
    assert (taken.status_code, taken.json()["error"]["message"]) == (409, "unit u-a exists")
    service = Principal(subject="system", grants=(Grant("admin", ""),), kind="service")  # kaohe's own, as SYSTEM
    made = await ok(await scoring.post("/v1/people", json={"id": "p10", "name": "赵六", "unit_id": "u-c"},
                                       headers={"Authorization": f"Bearer {issue_service_token(service)}"}), 201)
    assert made["id"] == "p10"


def _csv(*lines: str) -> dict[str, Any]:
    return {"file": ("org.csv", ("\n".join(lines) + "\n").encode())}


async def test_an_import_row_with_an_id_from_a_branch_admin_is_a_bad_row(scoring: httpx.AsyncClient) -> None:
    """Per row of an organisation file as in one call: every row with an id, taken on another branch or free, is
    refused on `id` with the same reason, and the file writes nothing (all or nothing)."""
    await make_org(scoring)
    office_a = auth(("admin", "city/a"))
    refused = await scoring.post("/v1/organisation/import", headers=office_a, files=_csv(
        "type,id,name,slug,parent,unit",
        "unit,,一组,x,u-a,",          # 2: fine
        "unit,u-b,二组,y,u-a,",        # 3: city/b's unit
        "unit,u-free,三组,z,u-a,",     # 4: a free id
        "person,,王五,,,u-a",          # 5: fine
        "person,p3,赵六,,,u-a",        # 6: a person of city/b
        "person,p-free,孙七,,,u-a"))   # 7: a free id
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["details"]["rows"] == [{"row": row, "column": "id", "reason": CHOSEN_ID} for row in (3, 4, 6, 7)]
    assert error["message"] == f"line 3: {CHOSEN_ID} (and 3 more bad rows; nothing was created)"
    everything = org_admin()
    assert (await ok(await scoring.get("/v1/units/children?parent_id=u-a", headers=everything)))["items"] == []
    assert (await ok(await scoring.get("/v1/units/u-a/people", headers=everything)))["total_count"] == 2

    done = await scoring.post("/v1/organisation/import", headers=office_a, files=_csv(
        "type,name,slug,parent,unit", "unit,一组,x,u-a,", "person,王五,,,u-a"))
    assert (done.status_code, done.json()) == (201, {"units": 1, "people": 1, "warnings": []})
    children = (await ok(await scoring.get("/v1/units/children?parent_id=u-a", headers=everything)))["items"]
    assert [u["path"] for u in children] == ["city/a/x"]

    chosen = await scoring.post("/v1/organisation/import", headers=everything, files=_csv(
        "type,id,name,slug,parent,unit", "unit,u-y,二组,y,u-a,", "person,p-y,赵六,,,u-y"))
    assert (chosen.status_code, chosen.json()) == (201, {"units": 1, "people": 1, "warnings": []})
    assert [p["unit_path"] for p in await ok(await scoring.get("/v1/people?ids=p-y", headers=everything))] == [
        "city/a/y"]
