"""The period and scheme lists (keyset pages of scoring's lists), reopenings, and ranking's exports
streamed through `GET /exports/...`."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.schema import build_schema
from services.common import listing
from services.common.auth import Grant, Principal
from tests.gateway.fakes import PERIOD, FakeBackend, context

SCHEMA = build_schema()
AUDITOR = Principal(subject="au", grants=(Grant("auditor", ""),))
PERIODS = "query($f: Int, $a: String) { periods(first: $f, after: $a) { totalCount edges { cursor node { id } } " \
          "pageInfo { hasNextPage hasPreviousPage endCursor } } }"


class Paged(FakeBackend):
    """Scoring's period list as two pages of one row each."""

    def __init__(self) -> None:
        super().__init__()
        self.params: list[dict[str, str]] = []

    def _scoring(self, request: httpx.Request, path: str, body: Any) -> Any:
        if path != "/v1/periods":
            return super()._scoring(request, path, body)
        self.params.append(dict(request.url.params))
        second = request.url.params.get("after") is not None
        row = {**self._period(), "id": "p0" if second else PERIOD,
               "created_at": "2026-01-01T00:00:00Z" if second else "2026-03-01T02:00:00Z"}
        return {"items": [row], "next": None if second else "opaque-next", "total_count": 2}


async def _run(backend: FakeBackend, query: str, **variables: Any) -> Any:
    clients = backend.clients()
    try:
        result = await SCHEMA.execute(query, variable_values=variables, context_value=context(clients, AUDITOR))
    finally:
        await clients.aclose()
    return result


async def test_periods_page_through_scorings_keyset_cursors() -> None:
    backend = Paged()
    first = (await _run(backend, PERIODS, f=1)).data["periods"]
    cursor = listing.encode_cursor("2026-03-01T02:00:00Z", PERIOD)
    assert first == {"totalCount": 2, "edges": [{"cursor": cursor, "node": {"id": PERIOD}}],
                     "pageInfo": {"hasNextPage": True, "hasPreviousPage": False, "endCursor": cursor}}
    second = (await _run(backend, PERIODS, f=1, a=cursor)).data["periods"]
    assert [e["node"]["id"] for e in second["edges"]] == ["p0"]
    assert (second["pageInfo"]["hasNextPage"], second["pageInfo"]["hasPreviousPage"]) == (False, True)
    assert backend.params == [{"limit": "1"}, {"limit": "1", "after": cursor}]  # the cursor goes to scoring as is
    count_only = (await _run(backend, PERIODS, f=0)).data["periods"]
    assert (count_only["totalCount"], count_only["edges"], count_only["pageInfo"]["hasNextPage"]) == (2, [], True)
    too_many = await _run(backend, PERIODS, f=101)
    assert [e.extensions["code"] for e in too_many.errors] == ["BAD_USER_INPUT"]


async def test_schemes_and_reopenings_read_the_services_rows() -> None:
    schemes = (await _run(FakeBackend(), "{ schemes { nodes { id version status ownerPath versionCount name } } }"))
    assert schemes.data == {"schemes": {"nodes": [{"id": "sch", "version": 1, "status": "published",
                                                   "ownerPath": "city", "versionCount": 1, "name": "社区考核"}]}}
    reopenings = await _run(FakeBackend(), "query($p: ID!) { reopenings(periodId: $p) { nodes { reason "
                                           "snapshotSequence reopenedBy reopenedAt } } }", p=PERIOD)
    assert reopenings.data == {"reopenings": {"nodes": [{"reason": "更正", "snapshotSequence": 1, "reopenedBy": "admin",
                                                         "reopenedAt": "2026-04-12T02:00:00+00:00"}]}}


async def test_an_export_streams_rankings_file_and_its_errors(gateway: Any, bearer: Any, backend: FakeBackend) -> None:
    headers = bearer(("auditor", ""))
    response = await gateway.get(f"/exports/periods/{PERIOD}/ranking.csv", headers=headers)
    assert response.status_code == 200
    assert response.content == "\ufeff名次,名称\r\n1,甲街道\r\n".encode()
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''p1-ranking.csv"
    assert backend.requests[-1] == ("ranking", "GET", f"/v1/periods/{PERIOD}/exports/ranking")
    assert (await gateway.get(f"/exports/periods/{PERIOD}/ranking.pdf", headers=headers)).status_code == 422
    assert (await gateway.get(f"/exports/periods/{PERIOD}/scores.csv", headers=headers)).status_code == 422

    def refuse(request: httpx.Request, path: str, body: Any) -> Any:
        return httpx.Response(409, json={"error": {"code": "conflict", "message": "period p1 has not been published",
                                                   "details": None}})

    backend._ranking = refuse  # type: ignore[method-assign]
    conflict = await gateway.get(f"/exports/periods/{PERIOD}/publication.xlsx", headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["errors"][0]["extensions"] == {"code": "CONFLICT", "reason": "conflict"}
