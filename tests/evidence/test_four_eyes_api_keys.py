"""Separation of duties compares persons: an API key acts for the person who created it (docs/identity.md). The
attacker probe's alice submitted evidence and was refused its review, then approved it with a key she created;
the same the other way round, with two keys of hers, for her appeal, her journal week and two levels of one chain.
Scoring's `api_key.created_by` is faked by tests.evidence.conftest.API_KEY_CREATORS (k-alice-1, k-alice-2: alice;
k-bob: bob)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.common.auth import Grant, Principal, Role, issue_service_token
from tests.conftest import auth
from tests.evidence.conftest import SCORE, Clock

ALICE = auth(("admin", "city/a"), ("assessor", "city/a"), ("reviewer", "city/a"), subject="alice")
REVIEWER_A = auth(("reviewer", "city/a"), subject="chief-a")
OFFICE = auth(("admin", ""), subject="office")
ALICE_SUBMITTED = ("alice submitted this submission; the submitter of a submission may not review it "
                   "(four-eyes principle)")


def key(key_id: str, *grants: tuple[Role, str], creator: str = "alice",
        creator_subject_ids: tuple[str, ...] | None = ()) -> dict[str, str]:
    """The service token the gateway signs for a caller with `X-API-Key` of the key `key_id`."""
    principal = Principal(subject=f"api-key:{key_id}", kind="api_key", name=key_id,
                          grants=tuple(Grant(role, scope) for role, scope in grants), creator=creator,
                          creator_subject_ids=creator_subject_ids)
    return {"Authorization": f"Bearer {issue_service_token(principal)}"}


async def _decide(client: httpx.AsyncClient, sub: dict[str, Any], headers: dict[str, str],
                  **body: Any) -> httpx.Response:
    return await client.post(f"/v1/submissions/{sub['id']}/decisions", json=body, headers=headers)


async def _refused(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["message"]


async def test_alices_key_does_not_approve_what_alice_submitted(client: httpx.AsyncClient) -> None:
    sub = (await client.post("/v1/submissions", json=SCORE, headers=ALICE)).json()
    assert await _refused(await _decide(client, sub, ALICE, action="approve", version=1)) == (403, ALICE_SUBMITTED)
    for key_id in ("k-alice-1", "k-alice-2"):
        as_key = key(key_id, ("assessor", "city/a"), ("reviewer", "city/a"))
        for body in ({"action": "approve"}, {"action": "reject", "reason": "不实"}):
            assert await _refused(await _decide(client, sub, as_key, version=1, **body)) == (403, ALICE_SUBMITTED)
    unchanged = (await client.get(f"/v1/submissions/{sub['id']}", headers=ALICE)).json()
    assert (unchanged["status"], unchanged["version"]) == ("pending", 1)
    bobs = await _decide(client, sub, key("k-bob", ("reviewer", "city/a"), creator="bob"), action="approve",
                         version=1)
    assert (bobs.status_code, bobs.json()["status"]) == (201, "approved")
    audit = (await client.get("/v1/audit", params={"entity_id": sub["id"]}, headers=OFFICE)).json()
    approval = next(r for r in audit if r["action"] == "review.approve")
    assert (approval["actor"], approval["details"]["on_behalf_of"]) == ("api-key:k-bob", "bob")


async def test_alice_does_not_approve_what_her_key_submitted(client: httpx.AsyncClient) -> None:
    sub = (await client.post("/v1/submissions", json=SCORE, headers=key("k-alice-1", ("assessor", "city/a")))).json()
    assert sub["submitted_by"] == "api-key:k-alice-1"
    assert await _refused(await _decide(client, sub, ALICE, action="approve", version=1)) == (403, ALICE_SUBMITTED)
    other_key = key("k-alice-2", ("reviewer", "city/a"))  # two keys of one creator are one person
    assert await _refused(await _decide(client, sub, other_key, action="approve", version=1)) == (
        403, ALICE_SUBMITTED)
    approved = await _decide(client, sub, REVIEWER_A, action="approve", version=1)
    assert approved.json()["status"] == "approved"


async def test_a_key_made_before_its_creators_subjects_were_kept_decides_nothing(client: httpx.AsyncClient) -> None:
    sub = (await client.post("/v1/submissions", json=SCORE, headers=auth(("assessor", "city/a"),
                                                                         subject="inspector"))).json()
    old = key("k-bob", ("reviewer", "city/a"), creator="bob", creator_subject_ids=None)
    assert await _refused(await _decide(client, sub, old, action="approve", version=1)) == (
        403, "api-key:k-bob was created before kaohe recorded on whose behalf an API key acts; it takes no decision "
             "bound by the four-eyes principle (an administrator creates a new key)")


async def test_a_key_of_the_subject_does_not_review_evidence_about_them(client: httpx.AsyncClient) -> None:
    sub = (await client.post("/v1/submissions", json=SCORE, headers=auth(("assessor", "city/a"),
                                                                         subject="inspector"))).json()
    zhangs = key("k-bob", ("reviewer", "city/a"), creator="zhang", creator_subject_ids=("p001",))
    assert await _refused(await _decide(client, sub, zhangs, action="approve", version=1)) == (
        403, "zhang is the subject of this submission; no one reviews evidence about themselves (four-eyes principle)")
    excuse = {"period_id": "2026-Q1", "subject_id": "p001", "week": "2026-W07", "kind": "trip", "reason": "出差",
              "ends_on": "2026-02-13"}
    assert await _refused(await client.post("/v1/journals/excuses", json=excuse, headers=zhangs)) == (
        403, "zhang may not excuse their own journal week (four-eyes principle)")


async def test_alices_admin_key_does_not_answer_her_appeal(client: httpx.AsyncClient, clock: Clock) -> None:
    sub = (await client.post("/v1/submissions", json=SCORE, headers=auth(("assessor", "city/a"),
                                                                         subject="inspector"))).json()
    fact_id = (await _decide(client, sub, REVIEWER_A, action="approve", version=1)).json()["fact_id"]
    clock.now = datetime.now(UTC) + timedelta(days=1)
    filed = await client.post("/v1/appeals", json={"fact_id": fact_id, "points": ["分数偏低"]}, headers=ALICE)
    assert filed.status_code == 201, filed.text
    answer = {"decision": "upheld", "replies": ["属实"], "correction": {"points": "50"}, "version": 1}
    as_key = key("k-alice-1", ("admin", "city/a"))
    assert await _refused(await client.post(f"/v1/appeals/{filed.json()['id']}/answer", json=answer,
                                            headers=as_key)) == (
        403, "alice filed this appeal or is its subject; an appeal is answered by someone else (four-eyes principle)")
    unanswered = (await client.get(f"/v1/appeals/{filed.json()['id']}", headers=OFFICE)).json()
    assert (unanswered["status"], unanswered["version"]) == ("open", 1)
    answered = await client.post(f"/v1/appeals/{filed.json()['id']}/answer", json=answer,
                                 headers=key("k-bob", ("admin", "city/a"), creator="bob"))
    assert (answered.status_code, answered.json()["status"]) == (200, "upheld")
