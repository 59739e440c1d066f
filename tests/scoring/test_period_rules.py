"""A period's label fits its scheme's period kind and is opened once per owner; the problems of its computation are
readable on their own (docs/decisions.md, "Facts held to the scheme, period labels")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import auth
from tests.scoring.conftest import admin, fact_event, make_org, ok, publish, service_headers


def _body(period_id: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"id": period_id, "scheme_id": "tiny", "scheme_version": 1, "label": label,
            "subjects": [{"id": "p1", "group": "A"}], **extra}


@pytest.mark.parametrize("label", ["2026-03", "2026-H2", "2026", "2026-W05"])
async def test_a_label_of_another_period_kind_is_refused(scoring: httpx.AsyncClient, label: str) -> None:
    await make_org(scoring)
    await publish(scoring)  # tiny is quarterly
    refused = await scoring.post("/v1/periods", json=_body("q1", label), headers=admin())
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["details"]["field"] == "label"
    assert error["details"]["expected"] == "2026-Q1"
    assert error["message"] == (f"label {label} does not fit scheme tiny, which is assessed quarterly: give a quarter "
                                "such as 2026-Q1")
    assert (await scoring.get("/v1/periods/q1", headers=admin())).status_code == 404  # nothing stored
    await ok(await scoring.post("/v1/periods", json=_body("q1", "2026-Q3"), headers=admin()), 201)


async def test_a_label_is_opened_once_per_owner(scoring: httpx.AsyncClient) -> None:
    await make_org(scoring)
    await publish(scoring)
    await ok(await scoring.post("/v1/periods", json=_body("q1", "2026-Q1"), headers=admin()), 201)
    again = await scoring.post("/v1/periods", json=_body("q1-again", "2026-Q1"), headers=admin())
    assert again.status_code == 409, again.text
    assert again.json()["error"]["details"] == {"field": "label", "period_id": "q1"}
    assert again.json()["error"]["message"] == ("scheme tiny already has period q1 labelled 2026-Q1 for 'city'; a "
                                                "period is assessed once")
    # the same label for another office (a district running the city's scheme for its own units) is its own period
    await ok(await scoring.post("/v1/periods", json=_body("qa", "2026-Q1", owner_path="city/a"), headers=admin()), 201)
    await ok(await scoring.post("/v1/periods", json=_body("q2", "2026-Q2"), headers=admin()), 201)


FACTS = [
    {"id": "f1", "subject": "p1", "indicator": "work", "fact": "score", "points": "50"},
    {"id": "f2", "subject": "p1", "indicator": "attend", "fact": "event", "type": "typo"},
    {"id": "f3", "subject": "p2", "fact": "event", "type": "serious_violation"},  # tiny has no vetoes
]


async def _computed(scoring: httpx.AsyncClient) -> None:
    await make_org(scoring)
    await publish(scoring)
    body = {**_body("q1", "2026-Q1"), "subjects": [{"id": "p1", "group": "A"}, {"id": "p2", "group": "A"}]}
    await ok(await scoring.post("/v1/periods", json=body, headers=admin()), 201)
    for fact in FACTS:
        await ok(await scoring.post("/events", json=fact_event("upsert", fact), headers=service_headers()))
    await ok(await scoring.post("/v1/periods/q1/recompute", headers=admin()))


TYPO = {"fact": "f2", "subject": "p1", "indicator": "attend", "pointer": None,
        "message": "unknown event type 'typo' for this deduction (known: late)"}
NO_VETO = {"fact": "f3", "subject": "p2", "indicator": None, "pointer": None,
           "message": "a fact without indicator must be a veto event; 'serious_violation' is not an event of the "
                      "scheme's vetoes"}


async def test_the_problems_of_a_period_name_their_fact_and_subject(scoring: httpx.AsyncClient) -> None:
    await _computed(scoring)
    body = await ok(await scoring.get("/v1/periods/q1/problems", headers=admin()))
    assert body["period_id"] == "q1" and body["score_set"] >= 1
    assert sorted(body["problems"], key=lambda p: p["fact"]) == [TYPO, NO_VETO]
    mine = await ok(await scoring.get("/v1/periods/q1/problems?subject_id=p1", headers=admin()))
    assert mine["problems"] == [TYPO]
    auditor = await ok(await scoring.get("/v1/periods/q1/problems?subject_id=p2", headers=auth(("auditor", "city"))))
    assert auditor["problems"] == [NO_VETO]
    zh = await ok(await scoring.get("/v1/periods/q1/problems?subject_id=p1",
                                    headers={**admin(), "Accept-Language": "zh-CN"}))
    assert zh["problems"][0]["message"] != TYPO["message"] and "typo" in zh["problems"][0]["message"]


async def test_the_problems_are_the_office_s(scoring: httpx.AsyncClient) -> None:
    await _computed(scoring)
    assessor = await scoring.get("/v1/periods/q1/problems", headers=auth(("assessor", "city")))
    assert assessor.status_code == 403
    elsewhere = await scoring.get("/v1/periods/q1/problems", headers=auth(("admin", "town")))
    assert (elsewhere.status_code, elsewhere.json()["error"]["message"]) == (404, "period q1 not found")
