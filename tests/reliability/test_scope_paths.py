"""Every scope stored (an API key's grants, a scheme's or period's owner path, a review level's scope, a rating
task's scope and its raters' units) is a unit path: surrounding blanks and slashes are dropped, anything else that
no unit can have is refused with the field and the reason, and nothing is written (issue 21, item 9)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.common.auth import normalise_scope
from tests.conftest import auth
from tests.evidence.conftest import client, clock, scoring  # noqa: F401 - evidence over a faked scoring
from tests.scoring.conftest import TINY

ADMIN = auth(("admin", ""), subject="office")
# `..` is refused, never resolved: city/dept-1/../dept-2 would otherwise move a dept-1 grant to dept-2
DOTS = ("scope 'city/dept-1/../dept-2' is not a unit path: segment '..' is not a unit slug (lower-case letters, "
        "digits, '-' and '_', starting with a letter or digit; '.' and '..' are not resolved)")
BAD = ["city/dept-1/../dept-2", "city//dept-1", "city/./dept-1", "city/Dept-1", "city/dept 1", "city/部门",
       "city/dept-1\u0000", "city/dept-1?x=1", "../city"]


@pytest.mark.parametrize(("given", "stored"), [("city/dept-1", "city/dept-1"), (" /city/dept-1/ ", "city/dept-1"),
                                               ("", ""), ("/", "")])
def test_a_scope_is_stored_without_surrounding_blanks_and_slashes(given: str, stored: str) -> None:
    assert normalise_scope(given) == stored


@pytest.mark.parametrize(("given", "reason"), [
    ("city/dept-1/../dept-2", DOTS),
    ("city//dept-1", "scope 'city//dept-1' is not a unit path: segment 2 is empty"),
    ("city/部门", "scope 'city/部门' is not a unit path: segment '部门' is not a unit slug (lower-case letters, "
                "digits, '-' and '_', starting with a letter or digit; '.' and '..' are not resolved)"),
])
def test_the_reason_names_the_segment(given: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalise_scope(given)
    assert str(caught.value) == reason


def _refused(response: httpx.Response, field: str) -> str:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["field"] == field
    reason: str = error["details"][0]["reason"]
    return reason


@pytest.mark.parametrize("scope", BAD)
async def test_api_key_grants(api: Any, scope: str) -> None:
    scoring_api: httpx.AsyncClient = await api("scoring")
    body = {"name": "portal", "grants": [{"role": "auditor", "scope": scope}]}
    reason = _refused(await scoring_api.post("/v1/api-keys", json=body, headers=ADMIN), "grants.0.scope")
    assert reason.startswith(f"scope {scope!r} is not a unit path: ")
    assert (await scoring_api.get("/v1/api-keys", headers=ADMIN)).json() == []


async def test_an_api_key_grant_is_stored_normalised(api: Any) -> None:
    scoring_api: httpx.AsyncClient = await api("scoring")
    body = {"name": "portal", "grants": [{"role": "auditor", "scope": "/city/dept-1/"}]}
    created = await scoring_api.post("/v1/api-keys", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    listed = (await scoring_api.get("/v1/api-keys", headers=ADMIN)).json()
    assert [k["grants"] for k in listed] == [[{"role": "auditor", "scope": "city/dept-1"}]]


async def test_owner_paths_of_schemes_and_periods(api: Any) -> None:
    scoring_api: httpx.AsyncClient = await api("scoring")
    scheme = await scoring_api.post("/v1/schemes", json={"text": TINY, "owner_path": "city/a/../b"}, headers=ADMIN)
    assert _refused(scheme, "owner_path").startswith("scope 'city/a/../b' is not a unit path: segment '..'")
    period = {"scheme_id": "tiny", "scheme_version": 1, "label": "2026-Q1", "owner_path": "city//b"}
    refused = await scoring_api.post("/v1/periods", json=period, headers=ADMIN)
    assert _refused(refused, "owner_path") == "scope 'city//b' is not a unit path: segment 2 is empty"
    schemes = (await scoring_api.get("/v1/schemes", headers=ADMIN)).json()
    assert schemes["items"] == []


async def test_review_levels_and_rating_tasks(client: httpx.AsyncClient) -> None:  # noqa: F811
    chain = {"levels": [{"name": "分管领导", "scope": "city/dept-1/../dept-2", "working_days": 3}]}
    refused = await client.put("/v1/schemes/meiling/review-chains", json=chain, headers=ADMIN)
    assert _refused(refused, "levels.0.scope") == DOTS
    assert (await client.get("/v1/schemes/meiling/review-chains", headers=ADMIN)).json() == []
    task = {"period_id": "2026-Q1", "indicator": "peer", "kind": "democratic", "scope": "city/dept-1/../dept-2",
            "grades": ["好", "差"], "closes_at": "2026-03-20T18:00:00+08:00",
            "raters": [{"rater": "x", "level": "群众", "unit_path": "city/c"}], "subject_ids": ["ua"]}
    assert _refused(await client.post("/v1/rating-tasks", json=task, headers=ADMIN), "scope") == DOTS
    rater = {**task, "scope": "city", "raters": [{"rater": "x", "level": "群众", "unit_path": "city/./c"}]}
    reason = _refused(await client.post("/v1/rating-tasks", json=rater, headers=ADMIN), "raters.0.unit_path")
    assert reason.startswith("scope 'city/./c' is not a unit path: segment '.'")
