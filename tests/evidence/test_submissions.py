"""Submissions through the HTTP API: roles per fact kind, validation, versions, idempotency, frozen periods."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import auth
from tests.evidence.conftest import SCORE
from tests.scoring.conftest import service_headers

ASSESSOR_A = auth(("assessor", "city/a"), subject="assessor-a")
SUBMITTER_A = auth(("submitter", "city/a"), subject="alice")


async def test_assessor_submits_a_score(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["level"], body["level_name"], body["version"]) == ("pending", 0, "审核", 1)
    assert body["value"] == {"points": "46", "assessor": "科室负责人"}
    assert (body["scheme_id"], body["submitted_by"], body["fact_id"]) == ("meiling", "assessor-a", None)


async def test_each_kind_needs_its_role(client: httpx.AsyncClient) -> None:
    refused = await client.post("/v1/submissions", json=SCORE, headers=SUBMITTER_A)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    measure = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "output", "fact": "measure",
               "content": {"numerator": "45", "denominator": "50"}}
    assert (await client.post("/v1/submissions", json=measure, headers=SUBMITTER_A)).status_code == 201
    assert (await client.post("/v1/submissions", json=measure, headers=ASSESSOR_A)).status_code == 403


async def test_content_and_indicator_are_checked(client: httpx.AsyncClient) -> None:
    wrong_kind = {**SCORE, "indicator": "attendance"}
    response = await client.post("/v1/submissions", json=wrong_kind, headers=ASSESSOR_A)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "indicator 'attendance' reads event facts, not score"
    bad = {**SCORE, "content": {"points": "abc"}}
    response = await client.post("/v1/submissions", json=bad, headers=ASSESSOR_A)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "content.points"
    unknown = {**SCORE, "subject_id": "nobody"}
    response = await client.post("/v1/submissions", json=unknown, headers=ASSESSOR_A)
    assert response.json()["error"]["message"] == "subject 'nobody' is not in period '2026-Q1'"


async def test_an_edit_makes_a_new_version_and_keeps_the_old(client: httpx.AsyncClient) -> None:
    created = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
    edit = {"content": {"points": "47"}, "justification": "更正", "version": 1}
    response = await client.patch(f"/v1/submissions/{created['id']}", json=edit, headers=ASSESSOR_A)
    assert response.status_code == 200, response.text
    assert (response.json()["current_version"], response.json()["version"]) == (2, 2)
    stale = await client.patch(f"/v1/submissions/{created['id']}", json=edit, headers=ASSESSOR_A)
    assert stale.status_code == 409
    versions = (await client.get(f"/v1/submissions/{created['id']}/versions", headers=ASSESSOR_A)).json()
    assert [(v["number"], v["content"], v["justification"]) for v in versions] == [
        (1, {"points": "46", "assessor": "科室负责人"}, "季度平时考核"), (2, {"points": "47"}, "更正")]


async def test_idempotent_retry_returns_the_first_response(client: httpx.AsyncClient) -> None:
    headers = {**ASSESSOR_A, "Idempotency-Key": str(uuid.uuid4())}
    first = await client.post("/v1/submissions", json=SCORE, headers=headers)
    again = await client.post("/v1/submissions", json=SCORE, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotent-Replay"] == "true"
    listed = (await client.get("/v1/submissions", params={"period_id": "2026-Q1"}, headers=ASSESSOR_A)).json()
    assert [s["id"] for s in listed["items"]] == [first.json()["id"]]
    counted = (await client.get("/v1/submissions", params={"period_id": "2026-Q1", "count": "true"},
                                headers=ASSESSOR_A)).json()
    assert (counted["total_count"], listed.get("total_count")) == (1, None)  # counted only when asked
    other = await client.post("/v1/submissions", json={**SCORE, "justification": "x"}, headers=headers)
    assert other.status_code == 422


async def test_finalized_period_refuses_writes(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/submissions", json={**SCORE, "period_id": "2025-Q4"}, headers=ASSESSOR_A)
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "period 2025-Q4 is finalized; evidence can no longer change"


async def test_period_status_event_freezes_and_reopens(client: httpx.AsyncClient, scoring: Any) -> None:
    system = service_headers("ranking")
    event = {"id": str(uuid.uuid4()), "source": "ranking", "topic": "period.status",
             "payload": {"period_id": "2026-Q1", "status": "finalized"}}
    assert (await client.post("/events", json=event, headers=system)).json() == {"applied": True}
    assert (await client.post("/events", json=event, headers=system)).json() == {"applied": False}
    assert (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).status_code == 409
    reopen = {**event, "id": str(uuid.uuid4()), "payload": {"period_id": "2026-Q1", "status": "collecting"}}
    assert (await client.post("/events", json=reopen, headers=system)).json() == {"applied": True}
    assert (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).status_code == 201
    not_a_service = await client.post("/events", json={**event, "id": str(uuid.uuid4())}, headers=ASSESSOR_A)
    assert not_a_service.status_code == 403
    an_admin = await client.post("/events", json={**event, "id": str(uuid.uuid4())}, headers=auth(("admin", "")))
    assert an_admin.status_code == 403  # a person's admin grant is not a service (issue 21, item 2)


async def test_subjects_are_cached_and_each_write_reads_the_period_fresh(client: httpx.AsyncClient,
                                                                         scoring: Any) -> None:
    """A write is gated on the period's status, which scoring changes without telling evidence: each of three
    submissions reads the period once, the subject only the first time (docs/decisions.md, "Writes read the
    period's status fresh")."""
    for _ in range(3):
        assert (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).status_code == 201
    assert scoring.calls == ["/v1/periods/2026-Q1?", "/v1/periods/2026-Q1/subjects?ids=p001",
                             "/v1/periods/2026-Q1?", "/v1/periods/2026-Q1?"]


async def test_scoring_down_is_503_and_nothing_written(client: httpx.AsyncClient, scoring: Any) -> None:
    scoring.down = True
    response = await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)
    assert response.status_code == 503
    assert (await client.get("/v1/submissions", headers=ASSESSOR_A)).json()["items"] == []


IMPOSSIBLE_MEASURES = [
    ({"numerator": "5", "denominator": "0"}, "content.denominator"),
    ({"numerator": "1", "denominator": "-3"}, "content.denominator"),
    ({"numerator": 0, "denominator": -3}, "content.denominator"),
    ({"numerator": "-5", "denominator": "10"}, "content.numerator"),
    ({"numerator": "2.5", "denominator": "10"}, "content.numerator"),
    ({"numerator": "1_000", "denominator": "2000"}, "content.numerator"),
    ({"numerator": "５", "denominator": "10"}, "content.numerator"),
    ({"numerator": "3", "denominator": "١٠"}, "content.denominator"),  # Arabic-Indic digits
    ({"numerator": " 3", "denominator": "10"}, "content.numerator"),
    ({"numerator": True, "denominator": "10"}, "content.numerator"),
    ({"value": "1_5"}, "content.value"),
    ({"value": "７.５"}, "content.value"),
    # beyond the engine's bound (below 10^15, kaohe.engine.bounds): 10^15 is 16 digits
    ({"numerator": "1000000000000000", "denominator": "1000000000000000"}, "content.numerator"),
    ({"numerator": "1", "denominator": "1000000000000000"}, "content.denominator"),
    ({"value": "1e400"}, "content.value"),
]


async def test_impossible_measure_facts_are_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    """(issue 21, item 13) counts non-negative whole numbers, denominators positive, ASCII digits only."""
    for content, field in IMPOSSIBLE_MEASURES:
        measure = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "output", "fact": "measure",
                   "content": content}
        response = await client.post("/v1/submissions", json=measure, headers=SUBMITTER_A)
        assert response.status_code == 422, (content, response.text)
        error = response.json()["error"]
        assert error["details"][0]["field"] == field, (content, error)
        assert error["message"].startswith(field + ": "), (content, error)
    listed = await client.get("/v1/submissions", headers=SUBMITTER_A)
    assert listed.json()["items"] == []


async def test_possible_measure_facts_are_kept(client: httpx.AsyncClient) -> None:
    """0/0 (nothing to count this month, the scheme's zero_denominator decides), 12/10 (over plan), a value."""
    for content, stored in [({"numerator": 0, "denominator": 0}, {"numerator": "0", "denominator": "0"}),
                            ({"numerator": "12", "denominator": 10}, {"numerator": "12", "denominator": "10"}),
                            ({"value": "-2.75"}, {"value": "-2.75"}), ({"value": 3}, {"value": "3"}),
                            ({"numerator": "999999999999999", "denominator": "999999999999999"},  # below 10^15
                             {"numerator": "999999999999999", "denominator": "999999999999999"})]:
        measure = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "output", "fact": "measure",
                   "content": content}
        response = await client.post("/v1/submissions", json=measure, headers=SUBMITTER_A)
        assert response.status_code == 201, (content, response.text)
        assert response.json()["value"] == stored


async def test_a_numerator_above_its_denominator_is_refused_where_the_ratio_counts_a_share(
        client: httpx.AsyncClient) -> None:
    """按期办结率 (target at most 100 %): 21 cases completed of 20 due is refused naming content.numerator, whether
    submitted, corrected or uploaded, and nothing is written; 20 of 20 is kept (docs/decisions.md, "Ratio counts")."""
    field = "content.numerator"
    reason = ("the numerator 21 is above the denominator 20: this ratio counts a part of its denominator "
              "(its target is at most 100%), such as 18 of 20 cases due")
    body = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "jsl", "fact": "measure",
            "content": {"numerator": "21", "denominator": 20}}
    refused = await client.post("/v1/submissions", json=body, headers=ADMIN)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["message"] == f"{field}: {reason}"
    assert refused.json()["error"]["details"] == [{"field": field, "reason": reason}]
    assert (await client.get("/v1/submissions?period_id=2026-Q1", headers=ADMIN)).json()["items"] == []
    made = await client.post("/v1/submissions", json={**body, "content": {"numerator": 20, "denominator": "20"}},
                             headers=ADMIN)
    assert made.status_code == 201, made.text
    corrected = await client.patch(f"/v1/submissions/{made.json()['id']}", headers=ADMIN,
                                   json={"content": {"numerator": "21", "denominator": "20"}, "version": 1})
    assert (corrected.status_code, corrected.json()["error"]["message"]) == (422, f"{field}: {reason}")
    kept = await client.get(f"/v1/submissions/{made.json()['id']}", headers=ADMIN)
    assert kept.json()["value"] == {"numerator": "20", "denominator": "20"}
    upload = await client.post("/v1/periods/2026-Q1/submissions/import", headers=ADMIN,
                               files={"file": ("ledger.csv", b"subject,numerator,denominator\nua,18,20\np001,21,20\n")},
                               data={"indicator": "jsl"})
    assert upload.status_code == 422, upload.text
    assert upload.json()["error"]["details"]["rows"] == [{"row": 3, "column": "numerator",
                                                          "reason": f"numerator: {reason}"}]
    listed = await client.get("/v1/submissions?period_id=2026-Q1&subject_id=ua", headers=ADMIN)
    assert listed.json()["items"] == []


async def test_points_in_other_digits_are_refused(client: httpx.AsyncClient) -> None:
    """(issue 21, item 13) the same number rules for every kind's numbers."""
    for points in ["４６", "4_6", "٤٦"]:
        response = await client.post("/v1/submissions", json={**SCORE, "content": {"points": points}},
                                     headers=ASSESSOR_A)
        assert response.status_code == 422, (points, response.text)
        assert response.json()["error"]["details"][0]["field"] == "content.points"


async def test_a_document_is_accepted_only_for_a_task_that_requires_it(client: httpx.AsyncClient) -> None:
    # docs/scheme-reference.md §3.4: `tasks` requires 任务台账 and 完成情况总结 (tests/evidence/conftest.py)
    document = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "tasks", "fact": "document",
                "content": {"document": "任务台账", "supplier": "办公室"}}
    accepted = await client.post("/v1/submissions", json=document, headers=SUBMITTER_A)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["value"] == {"document": "任务台账", "supplier": "办公室"}
    other = {**document, "content": {"document": "会议记录"}}
    refused = await client.post("/v1/submissions", json=other, headers=SUBMITTER_A)
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == "'会议记录' is not a document tasks requires (任务台账, 完成情况总结)"
    elsewhere = {**document, "indicator": "output"}
    refused = await client.post("/v1/submissions", json=elsewhere, headers=SUBMITTER_A)
    assert refused.json()["error"]["message"] == "indicator 'output' requires no documents"
    assert (await client.post("/v1/submissions", json=document, headers=ASSESSOR_A)).status_code == 403


# Period 2026-Q1 (tests/evidence/conftest.py) runs from 2026-01-01 to 2026-03-31: its months are 2026-01 to 2026-03.
Q1_MONTHS = "is not a month of period 2026-Q1: give a month from 2026-01 to 2026-03"
Q1_DAYS = "is not a day of period 2026-Q1: give a date from 2026-01-01 to 2026-03-31"
OUTSIDE = [  # (fact, indicator, content, field, reason)
    ("measure", "output", {"value": "0.9", "month": "2026-13"}, "content.month", f"2026-13 {Q1_MONTHS}"),
    ("measure", "output", {"value": "0.9", "month": "2026-00"}, "content.month", f"2026-00 {Q1_MONTHS}"),
    ("measure", "output", {"value": "0.9", "month": "2026-04"}, "content.month", f"2026-04 {Q1_MONTHS}"),
    ("measure", "output", {"value": "0.9", "month": "2025-03"}, "content.month", f"2025-03 {Q1_MONTHS}"),
    ("event", "attendance", {"type": "late", "date": "2025-12-31"}, "content.date", f"2025-12-31 {Q1_DAYS}"),
    ("event", "attendance", {"type": "late", "date": "2026-04-01"}, "content.date", f"2026-04-01 {Q1_DAYS}"),
    ("event", "attendance", {"type": "late", "date": "2027-02-10"}, "content.date", f"2027-02-10 {Q1_DAYS}"),
]
ADMIN = auth(("admin", ""), subject="office")


@pytest.mark.parametrize(("fact", "indicator", "content", "field", "reason"), OUTSIDE)
async def test_a_month_or_date_outside_the_period_is_refused_naming_its_range(
        client: httpx.AsyncClient, fact: str, indicator: str, content: dict[str, str], field: str,
        reason: str) -> None:
    body = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": indicator, "fact": fact, "content": content,
            "justification": "月报"}
    refused = await client.post("/v1/submissions", json=body, headers=ADMIN)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["message"] == f"{field}: {reason}"
    assert refused.json()["error"]["details"] == [{"field": field, "reason": reason}]
    # a correction is held to the same months
    inside = {**content, **({"month": "2026-03"} if fact == "measure" else {"date": "2026-03-31"})}
    made = await client.post("/v1/submissions", json={**body, "content": inside}, headers=ADMIN)
    assert made.status_code == 201, made.text
    corrected = await client.patch(f"/v1/submissions/{made.json()['id']}", json={"content": content, "version": 1},
                                   headers=ADMIN)
    assert (corrected.status_code, corrected.json()["error"]["message"]) == (422, f"{field}: {reason}")
    # and so is every row of a bulk upload, which is then refused whole
    column = field.removeprefix("content.")
    names = ["subject", *content]
    rows = [",".join(names), ",".join(["p001", *inside.values()]), ",".join(["ua", *content.values()])]
    upload = await client.post("/v1/periods/2026-Q1/submissions/import", headers=ADMIN,
                               files={"file": ("ledger.csv", "\n".join(rows).encode())},
                               data={"indicator": indicator})
    assert upload.status_code == 422, upload.text
    assert upload.json()["error"]["details"]["rows"] == [
        {"row": 3, "column": column, "reason": f"{column}: {reason}"}]
    listed = await client.get("/v1/submissions?period_id=2026-Q1&subject_id=ua", headers=ADMIN)
    assert listed.json()["items"] == []


@pytest.mark.parametrize(("month", "reason"), [("2026-13", f"2026-13 {Q1_MONTHS}"), ("2026-04", f"2026-04 {Q1_MONTHS}"),
                                               ("2025-01", f"2025-01 {Q1_MONTHS}")])
async def test_an_upload_for_a_month_outside_the_period_is_refused(client: httpx.AsyncClient, month: str,
                                                                   reason: str) -> None:
    upload = await client.post("/v1/periods/2026-Q1/submissions/import", headers=ADMIN,
                               files={"file": ("ledger.csv", b"subject,value\np001,0.9\n")},
                               data={"indicator": "output", "month": month})
    assert upload.status_code == 422, upload.text
    assert (upload.json()["error"]["message"], upload.json()["error"]["details"]) == (reason, {"field": "month"})
    fine = await client.post("/v1/periods/2026-Q1/submissions/import", headers=ADMIN,
                             files={"file": ("ledger.csv", b"subject,value\np001,0.9\n")},
                             data={"indicator": "output", "month": "2026-02"})
    assert fine.status_code == 201, fine.text
