"""Review chains through the HTTP API: levels, scopes, adjustments, optimistic versions, revocation,
default agreement at deadlines, and the facts and outbox events that result."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from services.evidence.app import app as evidence_app
from services.evidence.models import common
from services.evidence.workdays import deadline_after
from tests.conftest import auth
from tests.evidence.conftest import SCORE, Clock
from tests.scoring.conftest import service_headers

ADMIN = auth(("admin", ""), subject="office")
ASSESSOR_A = auth(("assessor", "city/a"), subject="assessor-a")
REVIEWER_A = auth(("reviewer", "city/a"), subject="chief-a")
REVIEWER_B = auth(("reviewer", "city/b"), subject="chief-b")
REVIEWER_CITY = auth(("reviewer", "city"), subject="leader")
HEAD_CITY = auth(("reviewer", "city"), subject="head")
DIRECTOR_CITY = auth(("reviewer", "city"), subject="director")
CHAIN = {"indicator": "regular", "levels": [
    {"name": "科室负责人", "working_days": 2},
    {"name": "分管领导", "scope": "city", "working_days": 3},
    {"name": "部门负责人", "scope": "city", "working_days": 2},
]}


async def _submit(client: httpx.AsyncClient, chain: bool = True) -> dict[str, Any]:
    if chain:
        put = await client.put("/v1/schemes/meiling/review-chains", json=CHAIN, headers=ADMIN)
        assert put.status_code == 200, put.text
    response = await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)
    assert response.status_code == 201, response.text
    return response.json()


async def _decide(client: httpx.AsyncClient, sub: dict[str, Any], headers: dict[str, str], **body: Any) -> Any:
    return await client.post(f"/v1/submissions/{sub['id']}/decisions", json=body, headers=headers)


async def _outbox() -> list[dict[str, Any]]:
    async with evidence_app.state.db.sessionmaker() as session:
        rows = (await session.scalars(select(common.outbox).order_by(common.outbox.created_at))).all()
        return [{"destination": r.destination, "topic": r.topic, "payload": r.payload} for r in rows]


async def test_three_levels_with_an_adjustment_become_one_fact(client: httpx.AsyncClient) -> None:
    sub = await _submit(client)
    assert (sub["level"], sub["level_name"]) == (0, "科室负责人")
    assert (await _decide(client, sub, REVIEWER_B, action="approve", version=1)).status_code == 404
    first = await _decide(client, sub, REVIEWER_A, action="approve", version=1)
    assert first.status_code == 201, first.text
    assert (first.json()["level"], first.json()["level_name"], first.json()["version"]) == (1, "分管领导", 2)
    assert (await _decide(client, sub, REVIEWER_A, action="approve", version=2)).status_code == 403
    adjusted = await _decide(client, sub, REVIEWER_CITY, action="adjust", value={"points": "44"},
                             reason="材料不全,酌减2分", version=2)
    assert adjusted.json()["value"] == {"points": "44", "assessor": "科室负责人"}
    stale = await _decide(client, sub, HEAD_CITY, action="approve", version=2)
    assert stale.status_code == 409
    # created 1, approved at level 0 → 2, adjusted → 3: the answer names the version to reload (issue 21, item 19)
    assert stale.json()["error"]["details"] == {"version": 2, "current": 3}
    final = (await _decide(client, sub, HEAD_CITY, action="approve", version=3)).json()
    assert (final["status"], final["fact_id"], final["level_due_at"]) == ("approved", f"sub-{sub['id']}", None)
    fact = {"id": f"sub-{sub['id']}", "subject": "p001", "indicator": "regular", "fact": "score",
            "points": "44", "assessor": "科室负责人"}
    facts = (await client.get("/v1/facts", params={"period_id": "2026-Q1"}, headers=ADMIN)).json()
    assert facts == {"period_id": "2026-Q1", "items": [fact], "next": None}
    assert await _outbox() == [{"destination": "scoring", "topic": "fact.changed",
                                "payload": {"period_id": "2026-Q1", "action": "upsert", "fact": fact, "revision": 1}}]
    decisions = (await client.get(f"/v1/submissions/{sub['id']}/decisions", headers=REVIEWER_A)).json()
    assert [(d["level_name"], d["action"], d["actor"], d["value"]) for d in decisions] == [
        ("科室负责人", "approve", "chief-a", None),
        ("分管领导", "adjust", "leader", {"points": "44"}),
        ("部门负责人", "approve", "head", None),
    ]


async def test_one_person_reviews_a_submission_at_one_level_only(client: httpx.AsyncClient) -> None:
    sub = await _submit(client)
    assert (await _decide(client, sub, REVIEWER_CITY, action="approve", version=1)).status_code == 201
    twice = await _decide(client, sub, REVIEWER_CITY, action="approve", version=2)
    assert (twice.status_code, twice.json()["error"]["code"]) == (403, "forbidden")
    assert twice.json()["error"]["message"] == (
        "leader already reviewed this submission at level 科室负责人; one person reviews a submission at one level "
        "only (a level with same_reviewer_allowed lifts this)")
    assert (await client.get(f"/v1/submissions/{sub['id']}", headers=ADMIN)).json()["version"] == 2  # unchanged
    assert (await _decide(client, sub, HEAD_CITY, action="approve", version=2)).status_code == 201
    for earlier in (REVIEWER_CITY, HEAD_CITY):  # each already reviewed at another level
        assert (await _decide(client, sub, earlier, action="approve", version=3)).status_code == 403
    final = await _decide(client, sub, DIRECTOR_CITY, action="approve", version=3)
    assert final.json()["status"] == "approved"
    decisions = (await client.get(f"/v1/submissions/{sub['id']}/decisions", headers=ADMIN)).json()
    assert [(d["level_name"], d["actor"]) for d in decisions] == [
        ("科室负责人", "leader"), ("分管领导", "head"), ("部门负责人", "director")]


async def test_the_rule_holds_across_corrections(client: httpx.AsyncClient) -> None:
    sub = await _submit(client)
    await _decide(client, sub, REVIEWER_CITY, action="approve", version=1)
    await _decide(client, sub, HEAD_CITY, action="return", reason="请补充会议记录", version=2)
    await client.patch(f"/v1/submissions/{sub['id']}", json={"content": {"points": "45"}, "version": 3},
                       headers=ASSESSOR_A)
    # the chain starts again at level 1: head decided at level 2 of this submission, leader at level 1
    assert (await _decide(client, sub, HEAD_CITY, action="approve", version=4)).status_code == 403
    assert (await _decide(client, sub, REVIEWER_CITY, action="approve", version=4)).status_code == 201
    assert (await _decide(client, sub, HEAD_CITY, action="approve", version=5)).status_code == 201


async def test_a_level_may_allow_the_same_reviewer(client: httpx.AsyncClient) -> None:
    chain = {"indicator": "regular", "levels": [
        {"name": "科室负责人", "working_days": 2},
        {"name": "分管领导", "scope": "city", "working_days": 3, "same_reviewer_allowed": True}]}
    assert (await client.put("/v1/schemes/meiling/review-chains", json=chain, headers=ADMIN)).status_code == 200
    sub = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
    await _decide(client, sub, REVIEWER_CITY, action="approve", version=1)
    both = await _decide(client, sub, REVIEWER_CITY, action="approve", version=2)
    assert both.json()["status"] == "approved"
    chains = (await client.get("/v1/schemes/meiling/review-chains", headers=ADMIN)).json()
    assert [level["same_reviewer_allowed"] for level in chains[0]["levels"]] == [False, True]


async def test_the_same_reviewer_key_is_checked(client: httpx.AsyncClient) -> None:
    first = {"indicator": "regular", "levels": [{"name": "科室负责人", "same_reviewer_allowed": True}]}
    refused = await client.put("/v1/schemes/meiling/review-chains", json=first, headers=ADMIN)
    assert refused.status_code == 422
    assert "the first level has no earlier level: same_reviewer_allowed belongs on a later one" in refused.text
    not_a_flag = {"indicator": "regular", "levels": [{"name": "科室负责人"},
                                                     {"name": "分管领导", "same_reviewer_allowed": "yes"}]}
    refused = await client.put("/v1/schemes/meiling/review-chains", json=not_a_flag, headers=ADMIN)
    assert refused.status_code == 422
    assert [d["field"] for d in refused.json()["error"]["details"]][-1].endswith("levels.1.same_reviewer_allowed")
    assert (await client.get("/v1/schemes/meiling/review-chains", headers=ADMIN)).json() == []


async def test_revocation_retracts_the_fact(client: httpx.AsyncClient) -> None:
    sub = await _submit(client, chain=False)
    await _decide(client, sub, REVIEWER_A, action="approve", version=1)
    no_reason = await _decide(client, sub, REVIEWER_A, action="revoke", version=2)
    assert no_reason.status_code == 422
    revoked = await _decide(client, sub, REVIEWER_A, action="revoke", reason="材料系伪造", version=2)
    assert revoked.json()["status"] == "revoked"
    assert (await client.get("/v1/facts", params={"period_id": "2026-Q1"}, headers=ADMIN)).json()["items"] == []
    events = await _outbox()
    assert [e["payload"]["action"] for e in events] == ["upsert", "retract"]
    assert events[1]["payload"]["fact"]["id"] == f"sub-{sub['id']}"


async def test_return_for_correction_then_resubmit(client: httpx.AsyncClient) -> None:
    sub = await _submit(client)
    await _decide(client, sub, REVIEWER_A, action="approve", version=1)
    returned = await _decide(client, sub, REVIEWER_CITY, action="return", reason="请补充会议记录", version=2)
    assert (returned.json()["status"], returned.json()["level_name"]) == ("returned", None)
    edited = await client.patch(f"/v1/submissions/{sub['id']}", json={"content": {"points": "45"}, "version": 3},
                                headers=ASSESSOR_A)
    assert (edited.json()["status"], edited.json()["level"], edited.json()["current_version"]) == ("pending", 0, 2)
    rejected = await _decide(client, sub, REVIEWER_A, action="reject", reason="不符合条件", version=4)
    assert rejected.json()["status"] == "rejected"
    again = await _decide(client, sub, REVIEWER_A, action="approve", version=5)
    assert again.status_code == 409
    assert await _outbox() == []


async def test_adjusting_is_for_score_facts_only(client: httpx.AsyncClient) -> None:
    event = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "attendance", "fact": "event",
             "content": {"type": "late", "count": 2, "date": "2026-03-02"}}
    sub = (await client.post("/v1/submissions", json=event, headers=ASSESSOR_A)).json()
    response = await _decide(client, sub, REVIEWER_A, action="adjust", value={"points": "1"}, reason="x", version=1)
    assert response.status_code == 422


async def test_the_sweep_leaves_a_finalized_period_alone(client: httpx.AsyncClient, clock: Clock) -> None:
    sub = await _submit(client, chain=False)
    event = {"id": "6d1f7f3e-5b8a-4a43-9d57-6a0c0f6f8d11", "source": "ranking", "topic": "period.status",
             "payload": {"period_id": "2026-Q1", "status": "finalized"}}
    assert (await client.post("/events", json=event, headers=service_headers("ranking"))).json() == {"applied": True}
    clock.set("2026-12-31T00:00:00+08:00")
    assert (await client.post("/v1/reviews/sweep", headers=ADMIN)).json() == {"defaulted": 0}
    assert (await client.get(f"/v1/submissions/{sub['id']}", headers=ADMIN)).json()["status"] == "pending"


async def test_an_unanswered_level_agrees_at_its_deadline(client: httpx.AsyncClient, clock: Clock) -> None:
    sub = await _submit(client)
    start, due_at = datetime.fromisoformat(sub["created_at"]), datetime.fromisoformat(sub["level_due_at"])
    assert due_at == deadline_after(start, 2, "Asia/Shanghai")
    assert sub["level_due_at"] == "2026-03-04T15:59:59.999999Z"  # Mon 03-02 + 2 working days, end of day
    clock.now = due_at - timedelta(microseconds=1)
    early = await client.post("/v1/reviews/sweep", headers=ADMIN)
    assert early.json() == {"defaulted": 0}
    # Nobody may sweep at a future moment: that would turn pending levels into agreements early.
    future = await client.post("/v1/reviews/sweep", params={"now": due_at.isoformat()}, headers=ADMIN)
    assert (future.status_code, future.json()["error"]["message"]) == (422, "now cannot be in the future")
    clock.now = due_at
    assert (await client.post("/v1/reviews/sweep", headers=REVIEWER_A)).status_code == 403
    on_time = await client.post("/v1/reviews/sweep", headers=ADMIN)
    assert on_time.json() == {"defaulted": 1}
    now = (await client.get(f"/v1/submissions/{sub['id']}", headers=ASSESSOR_A)).json()
    # The next level's time starts when the previous one's ran out.
    assert (now["level"], now["version"]) == (1, 2)
    assert datetime.fromisoformat(now["level_due_at"]) == deadline_after(due_at, 3, "Asia/Shanghai")
    assert now["level_due_at"] == "2026-03-09T15:59:59.999999Z"  # Thu 05, Fri 06, Mon 09
    clock.set("2026-12-31T00:00:00+08:00")
    late = await client.post("/v1/reviews/sweep", headers=ADMIN)
    assert late.json() == {"defaulted": 2}
    decisions = (await client.get(f"/v1/submissions/{sub['id']}/decisions", headers=ADMIN)).json()
    assert [(d["action"], d["actor"]) for d in decisions] == [("default_agree", "system:deadline")] * 3
    assert {d["reason"] for d in decisions} == {"the deadline passed without action: taken as agreeing"}
    chinese = await client.get(f"/v1/submissions/{sub['id']}/decisions", headers={**ADMIN, "Accept-Language": "zh-CN"})
    assert {d["reason"] for d in chinese.json()} == {"期限内未审核，视为同意"}
    assert datetime.fromisoformat(decisions[0]["decided_at"]) == due_at
    facts = (await client.get("/v1/facts", params={"period_id": "2026-Q1"}, headers=ADMIN)).json()["items"]
    assert [f["points"] for f in facts] == ["46"]
    stale = await _decide(client, sub, REVIEWER_A, action="approve", version=1)
    assert stale.status_code == 409


async def test_the_most_specific_chain_applies(client: httpx.AsyncClient) -> None:
    default = {"levels": [{"name": "科长", "working_days": 1}]}
    assert (await client.put("/v1/schemes/meiling/review-chains", json=default, headers=ADMIN)).status_code == 200
    assert (await client.put("/v1/schemes/meiling/review-chains", json=CHAIN,
                             headers=REVIEWER_CITY)).status_code == 403
    await client.put("/v1/schemes/meiling/review-chains", json=CHAIN, headers=ADMIN)
    event = {"period_id": "2026-Q1", "subject_id": "p001", "indicator": "attendance", "fact": "event",
             "content": {"type": "late"}}
    by_default = (await client.post("/v1/submissions", json=event, headers=ASSESSOR_A)).json()
    own = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()
    assert (by_default["level_name"], own["level_name"]) == ("科长", "科室负责人")
    # Mon 2026-03-02 + 1 working day = Tue 03-03, end of day in Shanghai.
    assert by_default["level_due_at"] == "2026-03-03T15:59:59.999999Z"
    chains = (await client.get("/v1/schemes/meiling/review-chains", headers=REVIEWER_A)).json()
    assert [(c["indicator"], len(c["levels"]), c["version"]) for c in chains] == [("", 1, 1), ("regular", 3, 1)]


async def test_a_status_in_a_message_is_in_the_readers_language(client: httpx.AsyncClient) -> None:
    """The status a refusal names is a word of the reader's language (approved: 已通过), quoted in Chinese without
    spaces; `code` and `details.status` keep the value itself (issue 22)."""
    sub = await _submit(client, chain=False)
    assert (await _decide(client, sub, REVIEWER_A, action="approve", version=1)).json()["status"] == "approved"
    edit = {"content": {"points": "47"}, "version": 2}
    for language, message in (("en", "this submission is approved and can no longer be edited"),
                              ("zh-CN", "该报送材料状态为“已通过”，不能再修改")):
        refused = await client.patch(f"/v1/submissions/{sub['id']}", json=edit,
                                     headers={**ASSESSOR_A, "Accept-Language": language})
        assert refused.status_code == 409
        assert refused.json()["error"] == {"code": "conflict", "message": message, "details": {"status": "approved"}}
    for language, message in (("en", "this submission is approved, not awaiting review"),
                              ("zh-CN", "该报送材料状态为“已通过”，不在待审核状态")):
        again = await client.post(f"/v1/submissions/{sub['id']}/decisions", json={"action": "approve", "version": 2},
                                  headers={**REVIEWER_A, "Accept-Language": language})
        assert again.status_code == 409
        assert again.json()["error"] == {"code": "conflict", "message": message, "details": {"status": "approved"}}
