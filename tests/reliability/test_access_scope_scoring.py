"""Scoring: valid tokens of the wrong role or the wrong scope get 403/404 or a filtered answer, and never a
byte of another unit's scores."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.common.auth import ROLES
from tests.conftest import auth
from tests.scoring.conftest import period, scoring  # noqa: F401 - fixtures


async def send(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    response = await client.request(method, path, **kwargs)
    assert "人p1" not in response.text and "人p2" not in response.text, response.text
    return response


@pytest.mark.parametrize("role", [r for r in ROLES if r != "auditor"])
async def test_scores_of_unit_a_are_invisible_elsewhere(period: httpx.AsyncClient, role: str) -> None:  # noqa: F811
    recomputed = await period.post("/v1/periods/q1/recompute", headers=auth(("admin", "city")))
    assert recomputed.status_code == 200, recomputed.text
    outsider = auth((role, "city/b"))
    history = await send(period, "GET", "/v1/periods/q1/subjects/p1/history", headers=outsider)
    assert history.status_code in (403, 404), history.text
    scores = await send(period, "GET", "/v1/periods/q1/scores", headers=outsider)
    assert scores.status_code in (200, 403, 404) and '"88"' not in scores.text
    subjects = await send(period, "GET", "/v1/periods/q1/subjects", params={"ids": "p1,p2"}, headers=outsider)
    assert subjects.status_code in (200, 403, 404)
    refused = await send(period, "POST", "/v1/periods/q1/recompute", headers=outsider)
    assert refused.status_code in (403, 404), refused.text
