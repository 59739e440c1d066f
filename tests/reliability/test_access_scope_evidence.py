"""Evidence: valid tokens of the wrong role or the wrong scope get 403/404 or a filtered list, and never a byte of
the protected submission in the answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.common.auth import ROLES
from tests.conftest import auth
from tests.evidence.conftest import FakeScoring, client, clock, scoring  # noqa: F401 - fixtures

OUTSIDERS = [(role, "city/b") for role in ROLES if role != "auditor"] + [
    ("submitter", "city/a/x"), ("rater", "city"), ("subject", "city")]
SECRET_WORDS = ("秘密评语", "机密说明")


async def send(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:  # noqa: F811
    response = await client.request(method, path, **kwargs)
    assert not any(word in response.text for word in SECRET_WORDS), response.text
    return response


@pytest.mark.parametrize(("role", "scope"), OUTSIDERS)
async def test_evidence_of_unit_a_is_invisible_elsewhere(client: httpx.AsyncClient,  # noqa: F811
                                                         role: str, scope: str) -> None:
    score = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "regular", "fact": "score",
             "content": {"points": "46", "assessor": SECRET_WORDS[0]}, "justification": SECRET_WORDS[1]}
    made = await client.post("/v1/submissions", json=score, headers=auth(("assessor", "city/a")))
    assert made.status_code == 201, made.text
    sub_id = made.json()["id"]
    outsider = auth((role, scope))
    for path in (f"/v1/submissions/{sub_id}", f"/v1/submissions/{sub_id}/versions",
                 f"/v1/submissions/{sub_id}/decisions", f"/v1/submissions/{sub_id}/attachments"):
        response = await send(client, "GET", path, headers=outsider)
        assert response.status_code in (403, 404), (path, response.status_code, response.text)
    listed = await send(client, "GET", "/v1/submissions", params={"period_id": "2026-Q1"}, headers=outsider)
    assert listed.status_code in (200, 403) and sub_id not in listed.text
    decided = await send(client, "POST", f"/v1/submissions/{sub_id}/decisions",
                         json={"action": "approve", "version": 1}, headers=outsider)
    assert decided.status_code in (403, 404), decided.text
    changed = await send(client, "PATCH", f"/v1/submissions/{sub_id}",
                         json={"content": {"points": "60"}, "version": 1}, headers=outsider)
    assert changed.status_code in (403, 404, 422), changed.text
    after = await client.get(f"/v1/submissions/{sub_id}", headers=auth(("assessor", "city/a")))
    assert (after.json()["status"], after.json()["version"]) == (made.json()["status"], 1)
