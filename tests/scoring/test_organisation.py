"""Organisation: units with paths, people, batch reads within scope, hashed API keys and their verification."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select

from services.scoring.organisation.models import ApiKey
from tests.conftest import auth
from tests.scoring.conftest import admin, app_db, make_org, ok, service_headers, subject_headers


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
    refused = await scoring.post("/v1/units", json={"name": "c", "slug": "c", "parent_id": "u-a"},
                                 headers=auth(("admin", "city/b")))
    assert refused.status_code == 403
    assert (await scoring.post("/v1/people", json={"name": "x", "unit_id": "u-a"},
                               headers=auth(("admin", "city/b")))).status_code == 403
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
    assert found == {"id": created["id"], "name": "portal", "grants": [{"role": "auditor", "scope": "city/a"}]}
    used = await ok(await scoring.get("/v1/api-keys", headers=admin()))
    assert used[0]["last_used_at"] is not None
    assert await ok(await scoring.get("/v1/api-keys", headers=auth(("admin", "city/b")))) == []
    assert (await scoring.delete(f"/v1/api-keys/{created['id']}", headers=auth(("admin", "city/b")))).status_code == 404
    assert (await scoring.delete(f"/v1/api-keys/{created['id']}", headers=admin())).status_code == 204
    gone = await scoring.post("/v1/api-keys/verify", json={"key": secret}, headers=service_headers("gateway"))
    assert gone.status_code == 404
    assert await ok(await scoring.get("/v1/api-keys", headers=admin())) == []


async def test_api_key_grants_cannot_exceed_the_issuer(scoring: httpx.AsyncClient) -> None:
    wider = await scoring.post("/v1/api-keys", json={"name": "p", "grants": [{"role": "admin", "scope": ""}]},
                               headers=admin())
    assert wider.status_code == 403
    bad_role = await scoring.post("/v1/api-keys", json={"name": "p", "grants": [{"role": "root", "scope": ""}]},
                                  headers=admin())
    assert bad_role.status_code == 422
