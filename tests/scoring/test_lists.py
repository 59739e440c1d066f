"""The period and scheme lists: only what the caller's grants relate to, newest period first,
schemes by id, keyset cursors, drafts only for the office over the scheme and auditors."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import auth
from tests.scoring.conftest import TINY, admin, make_org, ok, service_headers

# owners: q1 → city, qa → city/a, qb → city/b, opened in that order (so newest first: qb, qa, q1)
PERIODS = (("q1", "city"), ("qa", "city/a"), ("qb", "city/b"))


async def _publish(client: httpx.AsyncClient, scheme_id: str, owner: str, version: int = 1,
                   publish: bool = True) -> None:
    text = TINY.replace("id: tiny", f"id: {scheme_id}").replace("version: 1", f"version: {version}")
    draft = await ok(await client.post("/v1/schemes", json={"text": text, "owner_path": owner},
                                       headers=auth(("admin", owner))), 201)
    if publish:
        await ok(await client.post(f"/v1/schemes/{scheme_id}/versions/{version}/publish",
                                   json={"revision": draft["revision"]}, headers=auth(("admin", owner))))


async def _periods(client: httpx.AsyncClient) -> None:
    await make_org(client)
    await _publish(client, "tiny", "city")
    for period_id, owner in PERIODS:
        body = {"id": period_id, "scheme_id": "tiny", "scheme_version": 1, "label": "2026-Q1", "owner_path": owner}
        await ok(await client.post("/v1/periods", json=body, headers=admin()), 201)


async def _ids(client: httpx.AsyncClient, path: str, headers: dict[str, str], key: str = "id") -> list[str]:
    body = await ok(await client.get(path, headers=headers))
    return [row[key] for row in body["items"]]


async def test_periods_are_those_the_grants_relate_to(scoring: httpx.AsyncClient) -> None:
    await _periods(scoring)
    expected: list[tuple[Any, list[str]]] = [
        (("auditor", ""), ["qb", "qa", "q1"]),
        (("submitter", "city/a"), ["qa", "q1"]),  # inside city (q1) and on city/a (qa)
        (("assessor", "city/b/x"), ["qb", "q1"]),
        (("admin", "city"), ["qb", "qa", "q1"]),  # over all three
        (("reviewer", "city/ab"), ["q1"]),  # city/ab is not below city/a
        (("rater", "town"), []),
    ]
    for grant, ids in expected:
        assert await _ids(scoring, "/v1/periods", auth(grant)) == ids, grant
    assert await _ids(scoring, "/v1/periods", service_headers()) == ["qb", "qa", "q1"]
    row = (await ok(await scoring.get("/v1/periods", headers=auth(("subject", "city/a")))))["items"][0]
    assert {k: row[k] for k in ("id", "scheme_id", "scheme_version", "label", "status", "owner_path")} == {
        "id": "qa", "scheme_id": "tiny", "scheme_version": 1, "label": "2026-Q1", "status": "open",
        "owner_path": "city/a"}


async def test_periods_page_with_a_cursor_and_filter_by_status(scoring: httpx.AsyncClient) -> None:
    await _periods(scoring)
    await ok(await scoring.post("/v1/periods/qa/status", json={"status": "collecting"}, headers=admin()))
    everyone = auth(("auditor", ""))
    first = await ok(await scoring.get("/v1/periods?limit=2", headers=everyone))
    assert ([r["id"] for r in first["items"]], first["total_count"]) == (["qb", "qa"], 3)
    second = await ok(await scoring.get("/v1/periods", params={"limit": 2, "after": first["next"]}, headers=everyone))
    assert ([r["id"] for r in second["items"]], second["next"], second["total_count"]) == (["q1"], None, 3)
    collecting = await ok(await scoring.get("/v1/periods?status=collecting", headers=everyone))
    assert ([r["id"] for r in collecting["items"]], collecting["total_count"]) == (["qa"], 1)
    for bad in ({"after": "bm90LWEtY3Vyc29y"}, {"after": "W10="}, {"limit": 0}, {"limit": 101}, {"status": "x"}):
        assert (await scoring.get("/v1/periods", params=bad, headers=everyone)).status_code == 422, bad
    nobody = await scoring.get("/v1/periods", headers={"Authorization": "Bearer nope"})
    assert nobody.status_code == 401


async def test_schemes_show_drafts_only_to_their_office_and_auditors(scoring: httpx.AsyncClient) -> None:
    await make_org(scoring)
    await _publish(scoring, "tiny", "city")
    await _publish(scoring, "sa", "city/a")
    await _publish(scoring, "sa", "city/a", version=2, publish=False)
    await _publish(scoring, "sb", "city/b", publish=False)

    async def seen(*grant: str) -> list[tuple[str, int, str, int]]:
        body = await ok(await scoring.get("/v1/schemes", headers=auth(grant)))  # type: ignore[arg-type]
        return [(r["scheme_id"], r["version"], r["status"], r["versions"]) for r in body["items"]]

    assert await seen("submitter", "city/a") == [("sa", 1, "published", 1), ("tiny", 1, "published", 1)]
    assert await seen("admin", "city/a") == [("sa", 2, "draft", 2), ("tiny", 1, "published", 1)]
    assert await seen("admin", "city/b") == [("sb", 1, "draft", 1), ("tiny", 1, "published", 1)]
    assert await seen("submitter", "city/b") == [("tiny", 1, "published", 1)]
    assert await seen("auditor", "") == [("sa", 2, "draft", 2), ("sb", 1, "draft", 1), ("tiny", 1, "published", 1)]
    first = await ok(await scoring.get("/v1/schemes?limit=2", headers=auth(("auditor", ""))))
    assert ([r["scheme_id"] for r in first["items"]], first["total_count"]) == (["sa", "sb"], 3)
    rest = await ok(await scoring.get("/v1/schemes", params={"after": first["next"]}, headers=auth(("auditor", ""))))
    assert ([r["scheme_id"] for r in rest["items"]], rest["next"]) == (["tiny"], None)
    tiny = rest["items"][0]
    assert (tiny["owner_path"], tiny["title"], tiny["revision"]) == ("city", "小方案", 2)  # publishing bumps it
