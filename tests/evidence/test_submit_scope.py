"""One submission (`POST /v1/submissions`) checks scope first and tells nothing outside it (probe defects), over
evidence's REST with scoring faked.

Hand-worked (tests/evidence/conftest.py): period 2026-Q1 (owner: the organisation) enrols p001 张三 (city/a) and
p002 李四 (city/b). An assessor of city/a may submit scores for p001 only: p002 is outside its scope and must be
answered exactly as `nobody`, a subject the period does not enrol (422, the same message but for the id, no unit
path). A period owned by city/b is one the assessor has no grant on the branch of: 404 as a period that does not
exist, whatever the body says (even a finalized one, whose 409 would confirm it)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import auth
from tests.evidence import conftest
from tests.evidence.conftest import SCORE

ASSESSOR_A = auth(("assessor", "city/a"), subject="assessor-a")


def answer(response: httpx.Response) -> tuple[int, str, str, Any]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"], error.get("details")


async def test_a_subject_outside_the_scope_is_answered_as_one_not_enrolled(client: httpx.AsyncClient) -> None:
    outside = await client.post("/v1/submissions", json={**SCORE, "subject_id": "p002"}, headers=ASSESSOR_A)
    unknown = await client.post("/v1/submissions", json={**SCORE, "subject_id": "nobody"}, headers=ASSESSOR_A)
    details = {"field": "subject_id", "reason": "unknown subject"}
    assert answer(outside) == (422, "invalid_input", "subject 'p002' is not in period '2026-Q1'", details)
    assert answer(unknown) == (422, "invalid_input", "subject 'nobody' is not in period '2026-Q1'", details)
    assert "city/b" not in outside.text
    # what follows the scope check is not reached either: a bad indicator or content outside says the same
    wrong = {**SCORE, "subject_id": "p002", "indicator": "nosuch", "content": {"points": "abc"}}
    assert answer(await client.post("/v1/submissions", json=wrong, headers=ASSESSOR_A)) == answer(outside)
    # inside the scope the caller is told the rest, and the refusal of a kind it may not submit names no unit
    own = await client.post("/v1/submissions", json={**SCORE, "indicator": "nosuch"}, headers=ASSESSOR_A)
    assert answer(own)[:3] == (422, "invalid_input", "indicator 'nosuch' is not in the period's scheme")
    measure = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "output", "fact": "measure",
               "content": {"numerator": "45", "denominator": "50"}}
    refused = await client.post("/v1/submissions", json=measure, headers=ASSESSOR_A)  # no role that submits them
    assert answer(refused) == (403, "forbidden", "assessor-a may not submit measure facts", None)
    # an assessor of city/b who reviews city/a sees p001 but may not submit its scores
    both = auth(("assessor", "city/b"), ("reviewer", "city/a"), subject="both")
    refused = await client.post("/v1/submissions", json=SCORE, headers=both)
    assert answer(refused) == (403, "forbidden", "both may not submit score facts for subject p001", None)
    # the office of city/b submits for p002
    other_office = await client.post("/v1/submissions", json={**SCORE, "subject_id": "p002"},
                                     headers=auth(("assessor", "city/b")))
    assert other_office.status_code == 201, other_office.text


async def test_another_offices_period_is_answered_as_one_that_does_not_exist(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(conftest.PERIODS, "2026-B", "collecting")
    monkeypatch.setitem(conftest.OWNERS, "2026-B", "city/b")
    monkeypatch.setitem(conftest.OWNERS, "2025-Q4", "city/b")  # finalized: its 409 would confirm it exists
    answers = {}
    for period_id in ("2026-B", "2025-Q4", "nonexist"):
        for subject_id in ("p001", "p002", "nobody"):
            response = await client.post("/v1/submissions", json={**SCORE, "period_id": period_id,
                                                                   "subject_id": subject_id}, headers=ASSESSOR_A)
            answers[(period_id, subject_id)] = answer(response)
    assert answers == {(period_id, subject_id): (404, "not_found", f"period {period_id} not found", None)
                       for period_id in ("2026-B", "2025-Q4", "nonexist") for subject_id in ("p001", "p002", "nobody")}
    own = await client.post("/v1/submissions", json={**SCORE, "period_id": "2025-Q4", "subject_id": "p002"},
                            headers=auth(("assessor", "city/b")))
    assert answer(own)[:3] == (409, "conflict", "period 2025-Q4 is finalized; evidence can no longer change")
