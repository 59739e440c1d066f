"""Evidence held to the scheme (docs/decisions.md, "Facts held to the scheme, period labels"): what the engine would
cap or leave out without a word is refused where it enters, naming the field: a score outside 0 to its leaf's max,
an event type its leaf does not count, a deduction event with its own points, an accrual event that gets no points,
an event without indicator that is no veto, a case rated outside 0–100; on submission, correction and a reviewer's
adjustment alike.

The faked scheme (tests/evidence/conftest.py): `regular` manual max 50; `attendance` deduction of `absent`, `late`,
`rectification_overdue`; `zdgz` accrual of type `key_task` and levels 区级, 市级; the veto event `serious_violation`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import auth
from tests.evidence.conftest import SCORE

ASSESSOR_A = auth(("assessor", "city/a"), subject="assessor-a")
SUBMITTER_A = auth(("submitter", "city/a"), subject="alice")
REVIEWER_A = auth(("reviewer", "city/a"), subject="chief-a")


def _event(indicator: str | None, **content: Any) -> dict[str, Any]:
    return {"period_id": "2026-Q1", "subject_id": "p001", "indicator": indicator, "fact": "event", "content": content}


async def _refused(client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str] = ASSESSOR_A
                   ) -> tuple[str, Any]:
    response = await client.post("/v1/submissions", json=body, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    return error["message"], error["details"]


@pytest.mark.parametrize("points", ["500", "50.0001", "-1"])
async def test_a_score_outside_its_leaf_s_points_is_refused(client: httpx.AsyncClient, points: str) -> None:
    message, details = await _refused(client, {**SCORE, "content": {"points": points}})
    reason = f"{points} is outside the points of indicator regular: give 0 to 50"
    assert (message, details) == (f"content.points: {reason}", [{"field": "content.points", "reason": reason}])


@pytest.mark.parametrize("points", ["0", "50", "49.5"])
async def test_a_score_within_its_leaf_s_points_is_taken(client: httpx.AsyncClient, points: str) -> None:
    response = await client.post("/v1/submissions", json={**SCORE, "content": {"points": points}}, headers=ASSESSOR_A)
    assert response.status_code == 201, response.text


async def test_an_event_type_a_deduction_does_not_know_is_refused(client: httpx.AsyncClient) -> None:
    message, details = await _refused(client, _event("attendance", type="typo"))
    reason = "event type 'typo' is not one that indicator attendance deducts for (its types: absent, late, " \
             "rectification_overdue)"
    assert (message, details) == (f"content.type: {reason}", [{"field": "content.type", "reason": reason}])
    message, _ = await _refused(client, _event("attendance", type="late", points="5"))
    assert message == "content.points: a deduction takes its points from its rule (per_event); leave points out"
    ok = await client.post("/v1/submissions", json=_event("attendance", type="late", count=3), headers=ASSESSOR_A)
    assert ok.status_code == 201, ok.text


async def test_an_accrual_event_must_get_points(client: httpx.AsyncClient) -> None:
    message, _ = await _refused(client, _event("zdgz", type="typo"))
    assert message == ("content.type: event type 'typo' gives no points on indicator zdgz (its types: key_task); give "
                       "one of them, a level or the event's own points")
    message, _ = await _refused(client, _event("zdgz", type="表彰", level="省级"))
    assert message == "content.level: level '省级' gives no points on indicator zdgz (its levels: 区级, 市级)"
    for content in ({"type": "key_task"}, {"type": "表彰", "level": "市级"}, {"type": "表彰", "points": "1.5"},
                    {"type": "key_task", "level": "省级"}):  # the level gives nothing, the type does
        response = await client.post("/v1/submissions", json=_event("zdgz", **content), headers=ASSESSOR_A)
        assert response.status_code == 201, (content, response.text)


async def test_an_event_without_indicator_must_be_a_veto(client: httpx.AsyncClient) -> None:
    message, details = await _refused(client, _event(None, type="typo"))
    reason = "event type 'typo' is not an event of the scheme's vetoes (serious_violation); an event without " \
             "indicator must be one"
    assert (message, details) == (f"content.type: {reason}", [{"field": "content.type", "reason": reason}])
    veto = await client.post("/v1/submissions", json=_event(None, type="serious_violation"), headers=ASSESSOR_A)
    assert veto.status_code == 201, veto.text


async def test_without_vetoes_an_event_needs_an_indicator(client: httpx.AsyncClient,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.evidence.conftest.VETO_EVENTS", [])
    message, details = await _refused(client, _event(None, type="serious_violation"))
    assert message == "indicator is required: the scheme has no vetoes, so every event counts on an indicator"
    assert details == {"field": "indicator", "reason": "no vetoes"}


async def test_a_case_is_rated_on_0_to_100(client: httpx.AsyncClient) -> None:
    case = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "cases", "fact": "case",
            "content": {"case_id": "c1", "points": "101"}}
    message, details = await _refused(client, case, SUBMITTER_A)
    assert message == "content.points: Input should be less than or equal to 100"
    assert details == [{"field": "content.points", "reason": "Input should be less than or equal to 100"}]
    case["content"] = {"case_id": "c1", "points": "100", "weight": "-1"}
    _, details = await _refused(client, case, SUBMITTER_A)
    assert details == [{"field": "content.weight", "reason": "Input should be greater than or equal to 0"}]


async def test_a_correction_and_an_adjustment_are_held_to_the_same_points(client: httpx.AsyncClient) -> None:
    created = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
    corrected = await client.patch(f"/v1/submissions/{created['id']}", headers=ASSESSOR_A,
                                   json={"content": {"points": "500"}, "justification": "更正", "version": 1})
    assert corrected.status_code == 422, corrected.text
    assert corrected.json()["error"]["details"][0]["field"] == "content.points"
    adjusted = await client.post(f"/v1/submissions/{created['id']}/decisions", headers=REVIEWER_A,
                                 json={"action": "adjust", "value": {"points": "60"}, "reason": "复核", "version": 1})
    assert adjusted.status_code == 422, adjusted.text
    assert adjusted.json()["error"]["message"] == "value.points: 60 is outside the points of indicator regular: give " \
                                                  "0 to 50"
    within = await client.post(f"/v1/submissions/{created['id']}/decisions", headers=REVIEWER_A,
                               json={"action": "adjust", "value": {"points": "48"}, "reason": "复核", "version": 1})
    assert within.status_code == 201, within.text
    assert within.json()["value"]["points"] == "48"
