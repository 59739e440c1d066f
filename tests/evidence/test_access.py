"""The access matrix: each role, on its own unit and on another, against every evidence endpoint.

Permission is checked before anything else, so writes carry a stale `version`: a caller who may write
gets 409 (past the permission check, stopped by optimistic concurrency), one who may read but not
write gets 403, and one who may not even read gets 404 (nothing about other units leaks)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import auth, token_for
from tests.evidence.conftest import SCORE

ROLES = ("admin", "auditor", "assessor", "reviewer", "submitter", "rater", "subject")
READERS = {"admin", "auditor", "assessor", "reviewer", "submitter", "subject"}
FACT_READERS = {"admin", "auditor", "assessor", "reviewer", "submitter"}
WRITERS = {"admin", "assessor"}  # score facts: assessing bodies
REVIEWERS = {"admin", "reviewer"}


def _headers(role: str, own: bool) -> dict[str, str]:
    if role == "subject":
        token = token_for(subject="person", subject_ids=("p001" if own else "p002",))
        return {"Authorization": f"Bearer {token}"}
    return auth((role, "city/a" if own else "city/b"), subject=f"{role}-user")


def _expected(role: str, own: bool, allowed: set[str], ok: int) -> int:
    if not own or role not in READERS:
        return 404
    return ok if role in allowed else 403


async def _setup(client: httpx.AsyncClient) -> tuple[str, str, str]:
    assessor = auth(("assessor", "city/a"), subject="assessor-a")
    pending = (await client.post("/v1/submissions", json=SCORE, headers=assessor)).json()["id"]
    files = {"file": ("a.txt", b"evidence", "text/plain")}
    attachment = (await client.post(f"/v1/submissions/{pending}/attachments", files=files, headers=assessor)).json()
    approved = (await client.post("/v1/submissions", json=SCORE, headers=assessor)).json()["id"]
    decision = await client.post(f"/v1/submissions/{approved}/decisions", json={"action": "approve", "version": 1},
                                 headers=auth(("reviewer", "city/a")))
    assert decision.json()["status"] == "approved"
    return pending, attachment["id"], approved


@pytest.mark.parametrize("own", [True, False], ids=["own-unit", "other-unit"])
@pytest.mark.parametrize("role", ROLES)
async def test_access_matrix(client: httpx.AsyncClient, role: str, own: bool) -> None:
    pending, attachment, approved = await _setup(client)
    h = _headers(role, own)
    read = 200 if own and role in READERS else 404
    observed: dict[str, Any] = {
        "get": (await client.get(f"/v1/submissions/{pending}", headers=h)).status_code,
        "versions": (await client.get(f"/v1/submissions/{pending}/versions", headers=h)).status_code,
        "decisions": (await client.get(f"/v1/submissions/{pending}/decisions", headers=h)).status_code,
        "attachments": (await client.get(f"/v1/submissions/{pending}/attachments", headers=h)).status_code,
        "attachment": (await client.get(f"/v1/attachments/{attachment}", headers=h)).status_code,
        "download": (await client.get(f"/v1/attachments/{attachment}/content", headers=h)).status_code,
        "list": sorted(s["id"] for s in (await client.get("/v1/submissions", headers=h)).json()["items"]),
        "facts": [f["id"] for f in (await client.get("/v1/facts", params={"period_id": "2026-Q1"},
                                                     headers=h)).json()["items"]],
        "patch": (await client.patch(f"/v1/submissions/{pending}", json={"content": {"points": "1"}, "version": 99},
                                     headers=h)).status_code,
        "decide": (await client.post(f"/v1/submissions/{pending}/decisions",
                                     json={"action": "approve", "version": 99}, headers=h)).status_code,
        "upload": (await client.post(f"/v1/submissions/{pending}/attachments",
                                     files={"file": ("b.txt", b"more", "text/plain")}, headers=h)).status_code,
        "create": (await client.post("/v1/submissions", json={**SCORE, "subject_id": "p001"},
                                     headers=h)).status_code,
    }
    assert observed == {
        "get": read, "versions": read, "decisions": read, "attachments": read, "attachment": read, "download": read,
        "list": sorted([pending, approved]) if read == 200 else [],
        "facts": [f"sub-{approved}"] if own and role in FACT_READERS else [],
        "patch": _expected(role, own, WRITERS, 409),
        "decide": _expected(role, own, REVIEWERS, 409),
        "upload": _expected(role, own, WRITERS, 201),
        # a role that submits no score facts is refused as a whole; for one that does, a subject outside its scope
        # is answered as one not enrolled (422), never 403 (probe defects)
        "create": 403 if role not in WRITERS else 201 if own else 422,
    }
