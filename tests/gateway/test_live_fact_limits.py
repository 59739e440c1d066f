"""Facts held to the scheme, over the real services through the gateway (docs/decisions.md, "Facts held to the
scheme, period labels"): evidence refuses a score above its leaf's max, an event type its leaf does not know and an
event without indicator in a scheme without vetoes, one by one and in a bulk upload; `openPeriod` refuses a label of
another period kind and a second period of the same scheme, label and owner; `Period.problems` shows the office a
fact the engine left out.

Hand-worked: 市 (city) holds 甲街道 (city/a) and 乙街道 (city/b), group 街道, a quarterly scheme with 重点工作 (`work`,
manual, max 60), 纪律 (`discipline`, deduction of 2 per `late_report`, max 20) and 加分 (`bonus`, accrual: level 市级
2 points, type `award` 1 point, max 5), no vetoes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.common.auth import Principal
from tests.gateway.live import Live, module_stack
from tests.gateway.test_live_publication import scheme

live = module_stack("fact-limits")
EVIDENCE = Principal(subject="evidence", kind="service")
SUBMIT = "mutation($i: EvidenceInput!) { submitEvidence(input: $i) { id version } }"
OPEN = """mutation($id: String!, $l: String!, $s: [EnrolmentInput!]!) {
  openPeriod(input: {schemeId: $id, schemeVersion: 1, label: $l, subjects: $s}) { id label } }"""
PROBLEMS = """query($p: ID!, $s: ID) { period(id: $p) { problems(subjectId: $s) { factId subjectId indicator pointer
  message } } }"""


def document(scheme_id: str) -> dict[str, Any]:
    return {**scheme(scheme_id), "indicators": [
        {"code": "work", "name": "重点工作", "max": 60, "rule": {"kind": "manual"}},
        {"code": "discipline", "name": "纪律", "max": 20,
         "rule": {"kind": "deduction", "per_event": {"late_report": 2}}},
        {"code": "bonus", "name": "加分", "max": 5,
         "rule": {"kind": "accrual", "levels": {"市级": 2}, "per_event": {"award": 1}}}]}


@pytest.fixture(scope="module")
def units(live: Live) -> dict[str, str]:
    return live.city(("甲街道", "a"), ("乙街道", "b"))


@pytest.fixture(scope="module")
def period(live: Live, units: dict[str, str]) -> tuple[str, str, str]:
    streets = [(units["a"], "街道"), (units["b"], "街道")]
    return live.opened_period(document("limits"), "2026-Q2", streets), units["a"], units["b"]


def evidence(period_id: str, subject: str, indicator: str | None, fact: str, **content: Any) -> dict[str, Any]:
    return {"periodId": period_id, "subjectId": subject, "indicator": indicator, "fact": fact, "content": content}


def refusal(live: Live, token: str, given: dict[str, Any]) -> tuple[str, str, list[str]]:
    error = live.error(token, SUBMIT, i=given)
    details = error["extensions"]["details"]
    fields = [d["field"] for d in details] if isinstance(details, list) else [details["field"]]
    return error["extensions"]["code"], error["message"], fields


def test_a_score_outside_its_leaf_s_points_is_refused(live: Live, period: tuple[str, str, str]) -> None:
    period_id, a, _ = period
    assessor = live.token("assessor", "city")
    assert refusal(live, assessor, evidence(period_id, a, "work", "score", points="500")) == (
        "BAD_USER_INPUT", "content.points: 500 is outside the points of indicator work: give 0 to 60",
        ["content.points"])
    assert refusal(live, assessor, evidence(period_id, a, "work", "score", points="-1"))[1] == (
        "content.points: -1 is outside the points of indicator work: give 0 to 60")
    assert refusal(live, assessor, evidence(period_id, a, "work", "score", points="60.01"))[2] == ["content.points"]
    live(assessor, SUBMIT, i=evidence(period_id, a, "work", "score", points="60"))  # the max itself is points
    live(assessor, SUBMIT, i=evidence(period_id, a, "work", "score", points="0"))


def test_an_event_its_leaf_does_not_count_is_refused(live: Live, period: tuple[str, str, str]) -> None:
    period_id, a, _ = period
    assessor = live.token("assessor", "city")
    assert refusal(live, assessor, evidence(period_id, a, "discipline", "event", type="typo")) == (
        "BAD_USER_INPUT", "content.type: event type 'typo' is not one that indicator discipline deducts for (its "
        "types: late_report)", ["content.type"])
    assert refusal(live, assessor, evidence(period_id, a, "discipline", "event", type="late_report", points="5"))[2] \
        == ["content.points"]  # a deduction's points are its rule's
    assert refusal(live, assessor, evidence(period_id, a, "bonus", "event", type="award2", level="省级")) == (
        "BAD_USER_INPUT", "content.level: level '省级' gives no points on indicator bonus (its levels: 市级)",
        ["content.level"])
    live(assessor, SUBMIT, i=evidence(period_id, a, "discipline", "event", type="late_report", count=2))
    live(assessor, SUBMIT, i=evidence(period_id, a, "bonus", "event", type="表彰", level="市级"))
    live(assessor, SUBMIT, i=evidence(period_id, a, "bonus", "event", type="表彰", points="1.5"))  # its own points


def test_an_event_without_indicator_needs_a_veto(live: Live, period: tuple[str, str, str]) -> None:
    period_id, a, _ = period
    assert refusal(live, live.token("assessor", "city"), evidence(period_id, a, None, "event", type="violation")) \
        == ("BAD_USER_INPUT", "indicator is required: the scheme has no vetoes, so every event counts on an indicator",
            ["indicator"])


def test_a_bulk_upload_reports_each_row_the_scheme_would_not_count(live: Live, period: tuple[str, str, str]) -> None:
    period_id, a, b = period
    admin = live.token("admin", "")
    answer = live.http.post(f"{live.url}/uploads/periods/{period_id}/facts", data={"indicator": "work"},
                            files={"file": ("work.csv", f"subject,points\n{a},55\n{b},500\n".encode())},
                            headers={"Authorization": f"Bearer {admin}"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["extensions"]["details"]["rows"] == [
        {"row": 3, "column": "points", "reason": "points: 500 is outside the points of indicator work: give 0 to 60"}]
    answer = live.http.post(f"{live.url}/uploads/periods/{period_id}/facts", data={"indicator": "discipline"},
                            files={"file": ("d.csv", f"subject,type\n{a},typo\n{b},late_report\n".encode())},
                            headers={"Authorization": f"Bearer {admin}"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["extensions"]["details"]["rows"] == [
        {"row": 2, "column": "type", "reason": "type: event type 'typo' is not one that indicator discipline deducts "
                                                "for (its types: late_report)"}]


def test_a_reviewer_may_not_adjust_a_score_past_its_max(live: Live, period: tuple[str, str, str]) -> None:
    period_id, _, b = period
    sent = live(live.token("assessor", "city"), SUBMIT, i=evidence(period_id, b, "work", "score", points="50"))
    error = live.error(live.token("reviewer", "city"), """mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id,
        input: {action: "adjust", version: $v, reason: "复核", value: {points: "600"}}) { status } }""",
                       id=sent["submitEvidence"]["id"], v=sent["submitEvidence"]["version"])
    assert error["message"] == "value.points: 600 is outside the points of indicator work: give 0 to 60"


def test_a_label_must_fit_the_scheme_and_is_opened_once(live: Live, period: tuple[str, str, str]) -> None:
    _, a, _ = period
    admin = live.token("admin", "")
    for label in ("2026-03", "2026-H2"):
        error = live.error(admin, OPEN, id="limits", l=label, s=[{"id": a, "group": "街道"}])
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"] == (f"label {label} does not fit scheme limits, which is assessed quarterly: give a "
                                    "quarter such as 2026-Q1")
        assert error["extensions"]["details"] == {"field": "label", "reason": error["message"], "expected": "2026-Q1"}
    twice = live.error(admin, OPEN, id="limits", l="2026-Q2", s=[{"id": a, "group": "街道"}])
    assert twice["extensions"]["code"] == "CONFLICT"
    assert twice["message"].startswith("scheme limits already has period ")
    opened = live(admin, OPEN, id="limits", l="2026-Q3", s=[{"id": a, "group": "街道"}])
    assert opened["openPeriod"]["label"] == "2026-Q3"


def test_the_office_sees_the_facts_the_engine_left_out(live: Live, units: dict[str, str]) -> None:
    # facts that reached scoring before evidence held them to the scheme: sent as evidence's outbox sent them
    a, b = units["a"], units["b"]
    period_id = live.opened_period(document("left-out"), "2026-Q2", [(a, "街道"), (b, "街道")])
    for fact in ({"id": "old-1", "subject": a, "indicator": "discipline", "fact": "event", "type": "typo"},
                 {"id": "old-2", "subject": b, "fact": "event", "type": "violation"},
                 {"id": "old-3", "subject": a, "indicator": "work", "fact": "score", "points": "55"}):
        event = {"id": str(uuid.uuid4()), "source": "evidence", "topic": "fact.changed",
                 "payload": {"period_id": period_id, "action": "upsert", "fact": fact, "revision": 1}}
        sent = live.service("scoring", "POST", "/events", EVIDENCE, json=event)
        assert sent.status_code == 200, sent.text
    live.settle(period_id)
    typo = {"factId": "old-1", "subjectId": a, "indicator": "discipline", "pointer": None,
            "message": "unknown event type 'typo' for this deduction (known: late_report)"}
    no_veto = {"factId": "old-2", "subjectId": b, "indicator": None, "pointer": None,
               "message": "a fact without indicator must be a veto event; 'violation' is not an event of the scheme's "
                          "vetoes"}
    office = live.token("admin", "city")
    found = live(office, PROBLEMS, p=period_id, s=None)["period"]["problems"]
    assert sorted(found, key=lambda p: p["factId"]) == [typo, no_veto]
    assert live(live.token("auditor", ""), PROBLEMS, p=period_id, s=b)["period"]["problems"] == [no_veto]
    assert live(live.token("assessor", "city"), PROBLEMS, p=period_id, s=None)["period"]["problems"] is None
