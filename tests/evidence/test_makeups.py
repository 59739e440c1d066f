"""Late evidence and make-ups (补报, architecture.md "late submissions need an approved make-up"; docs/decisions.md,
"Publication probe: late evidence, windows, reopened reads, re-publication, totals").

A period collects evidence while it is `open` or `collecting`. From `scoring` on (ranking's `published`, a
`reopened` period) new evidence of a subject is refused (409) unless the office approved a make-up for it. The
clock is Monday 2026-03-02 09:00 Shanghai: a make-up approved then closes at the end of the 5th working day after,
Monday 2026-03-09 23:59:59.999999 +08:00 (March 2026 has no holiday), i.e. 2026-03-09T15:59:59.999999Z."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import auth, token_for
from tests.evidence.conftest import Clock
from tests.scoring.conftest import service_headers

SUBMITTER_A = auth(("submitter", "city/a"), subject="alice")
REVIEWER_A = auth(("reviewer", "city/a"), subject="chief-a")
OFFICE = auth(("admin", ""), subject="office")
UNIT_ADMIN = auth(("admin", "city/a"), subject="unit-head")
MEASURE = {"period_id": "2026-Q1", "subject_id": "ua", "indicator": "output", "fact": "measure",
           "content": {"numerator": "9", "denominator": "10"}, "justification": "迟到的台账"}
CASE = {"period_id": "2026-Q1", "subject_id": "ua", "indicator": "cases", "fact": "case",
        "content": {"case_id": "2026-017", "points": "2"}, "justification": "补报案件"}
REFUSED_EN = ("period 2026-Q1 no longer collects evidence (it is %s): late evidence of subject ua needs a make-up "
              "(补报) approved by the assessment office (GraphQL: grantMakeup); once it is approved, submit within its "
              "working days")  # no internal REST route named to a GraphQL user (newcomer probe)


async def announce(client: httpx.AsyncClient, status: str) -> None:
    """Ranking's `period.status` event, as it tells evidence of a 公示 or a reopening."""
    event = {"id": str(uuid.uuid4()), "source": "ranking", "topic": "period.status",
             "payload": {"period_id": "2026-Q1", "status": status}}
    assert (await client.post("/events", json=event, headers=service_headers("ranking"))).json() == {"applied": True}


def refusal(status: str, indicator: str = "output", subject: str = "ua") -> dict[str, Any]:
    return {"code": "conflict", "message": (REFUSED_EN % status).replace("subject ua", f"subject {subject}"),
            "details": {"rule": "makeup", "status": status, "subject_id": subject, "indicator": indicator}}


async def test_a_published_period_takes_late_evidence_only_under_an_approved_makeup(
        client: httpx.AsyncClient, clock: Clock) -> None:
    assert (await client.post("/v1/submissions", json=MEASURE, headers=SUBMITTER_A)).status_code == 201
    await announce(client, "published")
    late = await client.post("/v1/submissions", json=MEASURE, headers=SUBMITTER_A)
    assert (late.status_code, late.json()["error"]) == (409, refusal("published"))
    chinese = await client.post("/v1/submissions", json=MEASURE, headers={**SUBMITTER_A, "Accept-Language": "zh-CN"})
    assert "补报" in chinese.json()["error"]["message"] and "grantMakeup" in chinese.json()["error"]["message"]

    grant = {"period_id": "2026-Q1", "subject_id": "ua", "indicator": "output", "reason": "系统故障，逾期补报"}
    assert (await client.post("/v1/makeups", json=grant, headers=SUBMITTER_A)).status_code == 403
    assert (await client.post("/v1/makeups", json=grant, headers=UNIT_ADMIN)).status_code == 403  # not the office
    approved = await client.post("/v1/makeups", json=grant, headers=OFFICE)
    assert approved.status_code == 201, approved.text
    body = approved.json()
    assert {k: body[k] for k in ("subject_id", "indicator", "approved_by", "approved_at", "closes_at")} == {
        "subject_id": "ua", "indicator": "output", "approved_by": "office",
        "approved_at": "2026-03-02T01:00:00Z", "closes_at": "2026-03-09T15:59:59.999999Z"}

    made_up = await client.post("/v1/submissions", json=MEASURE, headers=SUBMITTER_A)
    assert (made_up.status_code, made_up.json()["status"]) == (201, "pending")
    other_indicator = await client.post("/v1/submissions", json=CASE, headers=SUBMITTER_A)
    assert other_indicator.json()["error"] == refusal("published", "cases")
    listed = await client.get("/v1/makeups", params={"period_id": "2026-Q1"}, headers=SUBMITTER_A)
    assert ([m["id"] for m in listed.json()["items"]], listed.json()["total_count"]) == ([body["id"]], 1)
    assert (await client.get("/v1/makeups", params={"period_id": "2026-Q1"},
                             headers=auth(("submitter", "city/b")))).json() == {"items": [], "total_count": 0}

    clock.set("2026-03-09T16:00:00+00:00")  # Tuesday 00:00 Shanghai: the make-up has closed
    closed = await client.post("/v1/submissions", json=MEASURE, headers=SUBMITTER_A)
    assert closed.json()["error"] == refusal("published")


async def test_a_makeup_without_indicator_covers_every_indicator_of_its_subject_only(
        client: httpx.AsyncClient) -> None:
    await announce(client, "reopened")
    assert (await client.post("/v1/submissions", json=CASE, headers=SUBMITTER_A)).json()["error"] == refusal(
        "reopened", "cases")
    chinese = await client.post("/v1/submissions", json=CASE, headers={**SUBMITTER_A, "Accept-Language": "zh-CN"})
    assert chinese.json()["error"]["message"] == (
        "考核周期 2026-Q1 已停止收集佐证材料（当前为审定后已重新打开）：考核对象 ua 逾期提交的材料须经考核办批准补报"
        "（GraphQL：grantMakeup）；补报获批后，请在补报期限的工作日内提交")
    grant = {"period_id": "2026-Q1", "subject_id": "ua", "reason": "复核补报"}
    assert (await client.post("/v1/makeups", json=grant, headers=OFFICE)).status_code == 201
    assert (await client.post("/v1/submissions", json=CASE, headers=SUBMITTER_A)).status_code == 201
    assert (await client.post("/v1/submissions", json=MEASURE, headers=SUBMITTER_A)).status_code == 201
    person = {**MEASURE, "subject_id": "p001"}
    assert (await client.post("/v1/submissions", json=person, headers=SUBMITTER_A)).json()["error"] == refusal(
        "reopened", subject="p001")


async def test_a_bulk_upload_after_collection_needs_a_makeup_for_every_subject(client: httpx.AsyncClient) -> None:
    await announce(client, "published")

    async def upload() -> httpx.Response:
        return await client.post("/v1/periods/2026-Q1/submissions/import", headers=OFFICE,
                                 files={"file": ("ledger.csv", b"subject,numerator,denominator\nua,9,10\np001,8,10\n")},
                                 data={"indicator": "output"})
    assert (await upload()).json()["error"] == refusal("published")
    grant = {"period_id": "2026-Q1", "subject_id": "ua", "indicator": "output", "reason": "补报"}
    assert (await client.post("/v1/makeups", json=grant, headers=OFFICE)).status_code == 201
    assert (await upload()).json()["error"] == refusal("published", subject="p001")
    assert (await client.post("/v1/makeups", json={**grant, "subject_id": "p001"}, headers=OFFICE)).status_code == 201
    done = await upload()
    assert (done.status_code, done.json()["submitted"]) == (201, 2)


async def test_an_upheld_appeal_still_corrects_a_fact_of_a_published_period(
        client: httpx.AsyncClient, clock: Clock) -> None:
    event = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "attendance", "fact": "event",
             "content": {"type": "late", "count": 3, "date": "2026-03-02"}}
    sent = (await client.post("/v1/submissions", json=event, headers=auth(("assessor", "city/a")))).json()
    approved = await client.post(f"/v1/submissions/{sent['id']}/decisions", json={"action": "approve", "version": 1},
                                 headers=REVIEWER_A)
    fact_id = approved.json()["fact_id"]
    await announce(client, "published")
    zhang = {"Authorization": f"Bearer {token_for(subject='zhang', subject_ids=('p001',))}"}
    filed = await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["次数不符"]}, headers=zhang)
    assert filed.status_code == 201, filed.text
    answer = {"decision": "upheld", "replies": ["核减1次"], "correction": {"count": 2}, "version": 1}
    answered = await client.post(f"/v1/appeals/{filed.json()['id']}/answer", json=answer,
                                 headers=auth(("admin", "city"), subject="office"))
    assert answered.status_code == 200, answered.text
    facts = (await client.get("/v1/facts", params={"period_id": "2026-Q1"}, headers=OFFICE)).json()["items"]
    assert [(f["id"], f["count"]) for f in facts] == [(fact_id, 2)]
