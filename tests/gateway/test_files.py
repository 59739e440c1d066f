"""The file routes next to /graphql (upload, download, Excel import): their exact allow/deny matrix
for every role inside, outside and over the whole organisation, like tests/gateway/test_access_matrix.py."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from services.common.auth import ROLES
from tests.gateway.fakes import FILE, FILE_SHA256
from tests.gateway.test_access_matrix import WHERE, _roles

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPECTED: dict[str, tuple[str, str, str]] = {
    "uploadAttachment": ("ad as su", "", "ad as su"),
    "downloadAttachment": ("ad as re su au sj", "", "ad as re su au"),
    "importSchemeExcel": ("", "", "ad"),
}


def _multipart(name: str, payload: bytes, kind: str) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://x", files={"file": (name, payload, kind)}, data={"owner_path": "city"})
    return request.read(), request.headers["Content-Type"]


async def _call(gateway: httpx.AsyncClient, route: str, headers: dict[str, str]) -> httpx.Response:
    if route == "downloadAttachment":
        return await gateway.get("/attachments/att-a", headers=headers)
    if route == "uploadAttachment":
        path, (body, kind) = "/uploads/submissions/sub-a/attachments", _multipart("a.pdf", b"%PDF-1", "application/pdf")
    else:
        path, (body, kind) = "/uploads/schemes/import-excel", _multipart("t.xlsx", b"PK\x03\x04", XLSX)
    return await gateway.post(path, content=body, headers={**headers, "Content-Type": kind})


@pytest.mark.parametrize("route", sorted(EXPECTED))
async def test_file_route_matrix(route: str, gateway: httpx.AsyncClient, backend: Any, bearer: Any) -> None:
    cases = [(column, where, role) for column, where in enumerate(WHERE) for role in ROLES]
    responses = await asyncio.gather(*(
        _call(gateway, route, bearer((role, WHERE[where][0]), subject=f"{role}@{where}",
                                     subject_ids=list(WHERE[where][1])))
        for _column, where, role in cases))
    readers = _roles(EXPECTED["downloadAttachment"][0])
    for column, where in enumerate(WHERE):
        seen = {role for (c, _w, role), r in zip(cases, responses, strict=True) if c == column and r.status_code < 300}
        assert seen == _roles(EXPECTED[route][column]), (route, where)
        for (c, _w, role), r in zip(cases, responses, strict=True):
            if c == column and r.status_code >= 300:
                # a role that reads attachments, asking for one outside its scope, is told it does not exist (as
                # for an id that does not); a role that reads none is refused
                hidden = route == "downloadAttachment" and where == "outside" and role in readers
                assert r.status_code == (404 if hidden else 403), (route, where, role, r.status_code)
    writes = backend.writes()
    allowed = sum(len(_roles(cell)) for cell in EXPECTED[route])
    assert len(writes) == (0 if route == "downloadAttachment" else allowed)


async def test_download_streams_the_bytes_and_their_hash(gateway: httpx.AsyncClient, bearer: Any) -> None:
    response = await gateway.get("/attachments/att-a", headers=bearer(("auditor", "city/a")))
    assert response.status_code == 200 and response.content == FILE
    assert response.headers["x-content-sha256"] == FILE_SHA256
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''%E5%8F%B0%E8%B4%A6.pdf"


async def test_scheme_import_limits(gateway: httpx.AsyncClient, backend: Any, bearer: Any) -> None:
    admin = bearer(("admin", ""))
    raw = await gateway.post("/uploads/schemes/import-excel", content=b"PK", headers={**admin, "Content-Type": XLSX})
    assert (raw.status_code, raw.json()["errors"][0]["message"]) == (422, "send the file as multipart/form-data")
    body, kind = _multipart("t.xlsx", b"x" * (5 * 2**20 + 64 * 1024), XLSX)
    large = await gateway.post("/uploads/schemes/import-excel", content=body, headers={**admin, "Content-Type": kind})
    assert (large.status_code, large.json()["errors"][0]["message"]) == (
        413, f"an indicator table may be at most {5 * 2**20 + 64 * 1024} bytes")
    assert backend.requests == []
