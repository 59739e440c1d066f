"""A journal, an excused week and a rectification notice check scope first and tell nothing outside it
(scopefirst2), over evidence's REST with scoring faked.

Hand-worked (tests/evidence/conftest.py): period 2026-Q1 (owner: the organisation) enrols p001 张三 and unit ua
(city/a), p002 李四 and unit ub (city/b). A caller of city/a is answered about a subject of city/b exactly as about
`nobody`, a subject the period does not enrol (422, the same message but for the id, no unit path); a caller whose
role does the act nowhere is refused whole (403, naming no unit); a period owned by city/b is 404 as one of nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import auth
from tests.evidence import conftest

NOT_ENROLLED = {"field": "subject_id", "reason": "unknown subject"}


def answer(response: httpx.Response) -> tuple[int, str, str, Any]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"], error.get("details")


def journal(subject_id: str, period_id: str = "2026-Q1") -> dict[str, str]:
    return {"period_id": period_id, "subject_id": subject_id, "week": "2026-W10", "text": "周志", "points": "45"}


def excuse(subject_id: str, period_id: str = "2026-Q1") -> dict[str, str]:
    return {
        "period_id": period_id,
        "subject_id": subject_id,
        "week": "2026-W11",
        "kind": "leave",
        "reason": "病假",
        "ends_on": "2026-03-13",
    }


def notice(subject_id: str, period_id: str = "2026-Q1") -> dict[str, str]:
    return {
        "period_id": period_id,
        "subject_id": subject_id,
        "checked_at": "2026-03-02T10:00:00+08:00",
        "problem": "台账缺失",
        "opinion": "限期整改",
        "deadline": "2026-03-09",
    }


def outside(subject_id: str) -> tuple[int, str, str, Any]:
    return 422, "invalid_input", f"subject '{subject_id}' is not in period '2026-Q1'", NOT_ENROLLED


async def test_a_journal_for_a_subject_outside_the_scope_is_answered_as_one_not_enrolled(
    client: httpx.AsyncClient,
) -> None:
    clerk = auth(("submitter", "city/a"), subject="clerk-a")
    for subject_id in ("p002", "nobody"):
        response = await client.post("/v1/journals", json=journal(subject_id), headers=clerk)
        assert answer(response) == outside(subject_id)
        assert "city/b" not in response.text
    # a role that writes no journal anywhere is refused whole, whatever the subject
    auditor = auth(("auditor", "city/a"), subject="aud-a")
    for subject_id in ("p001", "p002", "nobody"):
        assert answer(await client.post("/v1/journals", json=journal(subject_id), headers=auditor)) == (
            403,
            "forbidden",
            f"aud-a may not write {subject_id}'s journal",
            None,
        )
    # a submitter of city/b who reviews city/a sees p001 but may not write its journal
    both = auth(("submitter", "city/b"), ("reviewer", "city/a"), subject="both")
    assert answer(await client.post("/v1/journals", json=journal("p001"), headers=both)) == (
        403,
        "forbidden",
        "both may not write p001's journal",
        None,
    )
    assert (await client.post("/v1/journals", json=journal("p001"), headers=clerk)).status_code == 201


async def test_an_excused_week_for_a_subject_outside_the_scope_is_answered_as_one_not_enrolled(
    client: httpx.AsyncClient,
) -> None:
    head = auth(("reviewer", "city/a"), subject="head-a")
    for subject_id in ("p002", "nobody"):
        assert answer(await client.post("/v1/journals/excuses", json=excuse(subject_id), headers=head)) == outside(
            subject_id
        )
    clerk = auth(("submitter", "city/a"), subject="clerk-a")
    for subject_id in ("p001", "p002", "nobody"):
        assert answer(await client.post("/v1/journals/excuses", json=excuse(subject_id), headers=clerk)) == (
            403,
            "forbidden",
            f"clerk-a does not supervise {subject_id}",
            None,
        )
    both = auth(("reviewer", "city/b"), ("submitter", "city/a"), subject="both")
    assert answer(await client.post("/v1/journals/excuses", json=excuse("p001"), headers=both)) == (
        403,
        "forbidden",
        "both does not supervise p001",
        None,
    )
    assert (await client.post("/v1/journals/excuses", json=excuse("p001"), headers=head)).status_code == 201


async def test_a_notice_for_a_unit_outside_the_scope_is_answered_as_one_not_enrolled(client: httpx.AsyncClient) -> None:
    inspector = auth(("assessor", "city/a"), subject="inspector-a")
    for subject_id in ("ub", "nobody"):
        response = await client.post("/v1/rectifications", json=notice(subject_id), headers=inspector)
        assert answer(response) == outside(subject_id)
        assert "city/b" not in response.text
    clerk = auth(("submitter", "city/a"), subject="clerk-a")
    for subject_id in ("ua", "ub", "nobody"):
        assert answer(await client.post("/v1/rectifications", json=notice(subject_id), headers=clerk)) == (
            403,
            "forbidden",
            "clerk-a may not issue rectification notices",
            None,
        )
    # sees ua (a reviewer over city/a) but inspects only city/b: refused, naming the unit's id, not its path
    both = auth(("assessor", "city/b"), ("reviewer", "city/a"), subject="both")
    refused = await client.post("/v1/rectifications", json=notice("ua"), headers=both)
    assert answer(refused) == (403, "forbidden", "both may not issue rectification notices for subject ua", None)
    assert "city/a" not in refused.text
    assert (await client.post("/v1/rectifications", json=notice("ua"), headers=inspector)).status_code == 201


async def test_another_offices_period_is_answered_as_one_that_does_not_exist(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(conftest.PERIODS, "2026-B", "collecting")
    monkeypatch.setitem(conftest.OWNERS, "2026-B", "city/b")
    monkeypatch.setitem(conftest.OWNERS, "2025-Q4", "city/b")  # finalized: its 409 would confirm it exists
    acts = [
        (auth(("submitter", "city/a")), "/v1/journals", journal),
        (auth(("reviewer", "city/a")), "/v1/journals/excuses", excuse),
        (auth(("assessor", "city/a")), "/v1/rectifications", notice),
    ]
    for headers, path, body in acts:
        for period_id in ("2026-B", "2025-Q4", "nonexist"):
            for subject_id in ("p001", "ua", "nobody"):
                response = await client.post(path, json=body(subject_id, period_id), headers=headers)
                assert answer(response) == (404, "not_found", f"period {period_id} not found", None), path
