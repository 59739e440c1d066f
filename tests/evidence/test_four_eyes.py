"""The four-eyes principle (四眼原则) over evidence's REST: the person who submitted (or corrected) a submission
decides on it at no level, nor does the person it is about; the same for answering one's own appeal and excusing
one's own journal week. Scope and visibility refusals are unchanged (they come first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import auth, token_for
from tests.evidence.conftest import SCORE, Clock

# one person holding both roles on the unit (the probe's `--role submitter --role reviewer`)
BOTH = auth(("assessor", "city/a"), ("reviewer", "city/a"), subject="both-a")
ASSESSOR_A = auth(("assessor", "city/a"), subject="inspector")
REVIEWER_A = auth(("reviewer", "city/a"), subject="chief-a")
OFFICE = auth(("admin", "city"), subject="office")
SUBMITTED = "both-a submitted this submission; the submitter of a submission may not review it (four-eyes principle)"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _decide(client: httpx.AsyncClient, sub: dict[str, Any], headers: dict[str, str],
                  **body: Any) -> httpx.Response:
    return await client.post(f"/v1/submissions/{sub['id']}/decisions", json=body, headers=headers)


async def test_the_submitter_decides_on_their_submission_at_no_level(client: httpx.AsyncClient) -> None:
    sub = (await client.post("/v1/submissions", json=SCORE, headers=BOTH)).json()
    assert (sub["submitted_by"], sub["status"]) == ("both-a", "pending")
    for body in ({"action": "approve"}, {"action": "adjust", "value": {"points": "40"}, "reason": "酌减"},
                 {"action": "return", "reason": "补充"}, {"action": "reject", "reason": "不实"}):
        refused = await _decide(client, sub, BOTH, version=1, **body)
        assert (refused.status_code, refused.json()["error"]) == (
            403, {"code": "forbidden", "message": SUBMITTED, "details": None})
    chinese = await _decide(client, sub, {**BOTH, "Accept-Language": "zh-CN"}, action="approve", version=1)
    assert chinese.json()["error"]["message"] == (
        "both-a 提交了该报送材料；报送材料的提交人不得审核该材料（四眼原则）")
    unchanged = (await client.get(f"/v1/submissions/{sub['id']}", headers=BOTH)).json()
    assert (unchanged["status"], unchanged["version"], unchanged["fact_id"]) == ("pending", 1, None)
    assert (await client.get(f"/v1/submissions/{sub['id']}/decisions", headers=BOTH)).json() == []
    approved = await _decide(client, sub, REVIEWER_A, action="approve", version=1)
    assert (approved.status_code, approved.json()["status"]) == (201, "approved")
    # nor may the submitter revoke the approval of their own evidence
    revoked = await _decide(client, sub, BOTH, action="revoke", reason="撤回", version=2)
    assert (revoked.status_code, revoked.json()["error"]["message"]) == (403, SUBMITTED)


async def test_scope_and_reviewer_refusals_come_first(client: httpx.AsyncClient) -> None:
    """Who is no reviewer of the level, or cannot see the submission, is answered as before."""
    sub = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
    outside = await _decide(client, sub, auth(("reviewer", "city/b"), subject="inspector"), action="approve",
                            version=1)
    assert (outside.status_code, outside.json()["error"]["message"]) == (
        404, f"submission {sub['id']} not found")
    not_reviewer = await _decide(client, sub, ASSESSOR_A, action="approve", version=1)
    assert (not_reviewer.status_code, not_reviewer.json()["error"]["message"]) == (
        403, "inspector is not a reviewer of level 审核 for this submission")


async def test_whoever_corrected_a_submission_does_not_decide_on_it(client: httpx.AsyncClient) -> None:
    sub = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
    corrected = await client.patch(f"/v1/submissions/{sub['id']}", headers=BOTH,
                                   json={"content": {"points": "47", "assessor": "科室负责人"}, "version": 1,
                                         "justification": "更正"})
    assert (corrected.status_code, corrected.json()["current_version"]) == (200, 2), corrected.text
    refused = await _decide(client, sub, BOTH, action="approve", version=2)
    assert (refused.status_code, refused.json()["error"]["message"]) == (403, SUBMITTED)
    assert (await _decide(client, sub, REVIEWER_A, action="approve", version=2)).json()["status"] == "approved"


async def test_no_one_reviews_evidence_about_themselves(client: httpx.AsyncClient) -> None:
    sub = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
    zhang = _bearer(token_for(("reviewer", "city/a"), subject="zhang", subject_ids=("p001",)))
    refused = await _decide(client, sub, zhang, action="approve", version=1)
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        403, "zhang is the subject of this submission; no one reviews evidence about themselves (four-eyes principle)")


async def test_a_journal_is_reviewed_by_someone_else(client: httpx.AsyncClient, clock: Clock) -> None:
    """A unit's account that also reviews writes p001's journal: it may not approve it; the chief may."""
    roster = {"period_id": "2026-Q1", "subject_ids": ["p001"], "first_week": "2026-W05", "last_week": "2026-W05"}
    assert (await client.post("/v1/journals/rosters", json=roster, headers=OFFICE)).json() == {"people": 1}
    clock.set("2026-02-02T15:00:00+00:00")
    account = auth(("submitter", "city/a"), ("reviewer", "city/a"), subject="account-a")
    journal = await client.post("/v1/journals", headers=account, json={
        "period_id": "2026-Q1", "subject_id": "p001", "week": "2026-W05", "text": "本周完成……", "points": "45"})
    assert journal.status_code == 201, journal.text
    sub = {"id": journal.json()["submission_id"]}
    refused = await _decide(client, sub, account, action="approve", version=1)
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        403, "account-a submitted this submission; the submitter of a submission may not review it "
             "(four-eyes principle)")
    assert (await _decide(client, sub, REVIEWER_A, action="approve", version=1)).json()["status"] == "approved"


async def test_a_supervisor_does_not_excuse_their_own_week(client: httpx.AsyncClient) -> None:
    excuse = {"period_id": "2026-Q1", "subject_id": "p001", "week": "2026-W07", "kind": "trip", "reason": "出差",
              "ends_on": "2026-02-13"}
    zhang = _bearer(token_for(("reviewer", "city/a"), subject="zhang", subject_ids=("p001",)))
    refused = await client.post("/v1/journals/excuses", json=excuse, headers=zhang)
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        403, "zhang may not excuse their own journal week (four-eyes principle)")
    excused = await client.post("/v1/journals/excuses", json=excuse, headers=REVIEWER_A)
    assert (excused.status_code, excused.json()["status"]) == (201, "excused")


async def test_an_appeal_is_answered_by_someone_else(client: httpx.AsyncClient, clock: Clock) -> None:
    sub = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
    fact_id = (await _decide(client, sub, REVIEWER_A, action="approve", version=1)).json()["fact_id"]
    clock.now = datetime.now(UTC) + timedelta(days=1)
    liaison = auth(("submitter", "city/a"), ("admin", "city/a"), subject="liaison-a")
    filed = await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["分数偏低"]}, headers=liaison)
    assert (filed.status_code, filed.json()["filed_by"]) == (201, "liaison-a"), filed.text
    answer = {"decision": "dismissed", "replies": ["维持"], "version": 1}
    refused = await client.post(f"/v1/appeals/{filed.json()['id']}/answer", json=answer, headers=liaison)
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        403, "liaison-a filed this appeal or is its subject; an appeal is answered by someone else "
             "(four-eyes principle)")
    zhang = _bearer(token_for(("admin", "city"), subject="zhang", subject_ids=("p001",)))
    about_himself = await client.post(f"/v1/appeals/{filed.json()['id']}/answer", json=answer, headers=zhang)
    assert (about_himself.status_code, about_himself.json()["error"]["message"]) == (
        403, "zhang filed this appeal or is its subject; an appeal is answered by someone else (four-eyes principle)")
    answered = await client.post(f"/v1/appeals/{filed.json()['id']}/answer", json=answer, headers=OFFICE)
    assert (answered.status_code, answered.json()["status"], answered.json()["answered_by"]) == (
        200, "dismissed", "office")


async def test_a_person_is_one_whatever_the_case_or_width_of_their_sub(client: httpx.AsyncClient, clock: Clock) -> None:
    """`sub`s compared in NFKC, case folded (docs/identity.md): the appeal liaison-a filed is refused to `LIAISON-A`
    and to full-width `ｌｉａｉｓｏｎ-ａ`; both-a's submission to `Both-A`; `office` answers the appeal."""
    sub = (await client.post("/v1/submissions", json=SCORE, headers=BOTH)).json()
    shouting = auth(("reviewer", "city/a"), subject="Both-A")
    refused = await _decide(client, sub, shouting, action="approve", version=1)
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        403, "Both-A submitted this submission; the submitter of a submission may not review it (four-eyes principle)")
    fact_id = (await _decide(client, sub, REVIEWER_A, action="approve", version=1)).json()["fact_id"]
    clock.now = datetime.now(UTC) + timedelta(days=1)
    liaison = auth(("submitter", "city/a"), subject="liaison-a")
    filed = await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["分数偏低"]}, headers=liaison)
    assert filed.status_code == 201, filed.text
    answer = {"decision": "dismissed", "replies": ["维持"], "version": 1}
    for name in ("LIAISON-A", "ｌｉａｉｓｏｎ-ａ"):
        other = auth(("admin", "city"), subject=name)
        refused = await client.post(f"/v1/appeals/{filed.json()['id']}/answer", json=answer, headers=other)
        assert (refused.status_code, refused.json()["error"]["message"]) == (
            403, f"{name} filed this appeal or is its subject; an appeal is answered by someone else "
                 "(four-eyes principle)")
    answered = await client.post(f"/v1/appeals/{filed.json()['id']}/answer", json=answer, headers=OFFICE)
    assert (answered.status_code, answered.json()["answered_by"]) == (200, "office")
