"""Separation of duties between persons through the gateway over the real services: the attacker probe's alice
(admin, submitter and reviewer on 甲街道) could not approve her own evidence as herself but could with an API key
she created; now a key acts for its creator (scoring's api_key.created_by) in every four-eyes check: her key does
not approve what she submitted nor she what her key submitted, her admin key does not answer her appeal or her
objection, and she and her key do not decide two levels of one chain. Scheme: 重点工作 manual /100."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gateway.auth import development_token
from services.common.auth import Grant
from services.common.settings import get_settings
from tests.gateway.live import Live, module_stack

SCHEME = {"id": "keyeyes", "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
          "groups": ["街道"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}]}
SUBMIT = "mutation($i: EvidenceInput!) { submitEvidence(input: $i) { id version submittedBy } }"
REVIEW = """mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id, input: {action: "approve", version: $v})
  { status version levelName } }"""
CREATE = """mutation($n: String!, $g: [GrantInput!]!) { createApiKey(name: $n, grants: $g) { key apiKey { id } } }"""
CHAIN = """mutation($levels: [ReviewLevelInput!]!) { setReviewChain(schemeId: "keyeyes", indicator: "work",
  levels: $levels) { levels { name } } }"""
ALICE_SUBMITTED = ("alice submitted this submission; the submitter of a submission may not review it "
                   "(four-eyes principle)")

live = module_stack("keyeyes", datetime(2026, 6, 1, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def setting(live: Live) -> dict[str, str]:
    period, a, _b = live.street_period(SCHEME, "2026-Q2")
    alice = development_token(get_settings(), subject="alice", ttl_seconds=900, grants=[
        Grant("admin", "city/a"), Grant("submitter", "city/a"), Grant("reviewer", "city/a")])
    key = live(alice, CREATE, n="k1", g=[{"role": "assessor", "scope": "city/a"},
                                         {"role": "reviewer", "scope": "city/a"},
                                         {"role": "admin", "scope": "city/a"}])["createApiKey"]
    second = live(alice, CREATE, n="k2", g=[{"role": "reviewer", "scope": "city/a"}])["createApiKey"]
    return {"period": period, "a": a, "alice": alice, "k1": key["key"], "k1_id": key["apiKey"]["id"],
            "k2": second["key"], "k2_id": second["apiKey"]["id"]}


def with_key(live: Live, key: str, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = httpx.post(f"{live.url}/graphql", json={"query": query, "variables": variables},
                                      headers={"X-API-Key": key}, timeout=30).json()
    return body


def _evidence(setting: dict[str, str]) -> dict[str, Any]:
    return {"periodId": setting["period"], "subjectId": setting["a"], "indicator": "work", "fact": "score",
            "content": {"points": "88"}}


def _refusal(body: dict[str, Any]) -> tuple[str, str]:
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]


def test_alices_key_does_not_approve_her_submission(live: Live, setting: dict[str, str]) -> None:
    sent = live(setting["alice"], SUBMIT, i=_evidence(setting))["submitEvidence"]
    assert sent["submittedBy"] == "alice"
    refused = live.error(setting["alice"], REVIEW, id=sent["id"], v=sent["version"])
    assert (refused["extensions"]["code"], refused["message"]) == ("FORBIDDEN", ALICE_SUBMITTED)
    for key in (setting["k1"], setting["k2"]):
        assert _refusal(with_key(live, key, REVIEW, id=sent["id"], v=sent["version"])) == (
            "FORBIDDEN", ALICE_SUBMITTED)
    chief = live.token("reviewer", "city/a", subject="chief-a")
    assert live(chief, REVIEW, id=sent["id"], v=sent["version"])["reviewSubmission"]["status"] == "approved"


def test_alice_does_not_approve_what_her_key_submitted(live: Live, setting: dict[str, str]) -> None:
    sent = with_key(live, setting["k1"], SUBMIT, i=_evidence(setting))["data"]["submitEvidence"]
    assert sent["submittedBy"] == f"api-key:{setting['k1_id']}"
    refused = live.error(setting["alice"], REVIEW, id=sent["id"], v=sent["version"])
    assert (refused["extensions"]["code"], refused["message"]) == ("FORBIDDEN", ALICE_SUBMITTED)
    assert _refusal(with_key(live, setting["k2"], REVIEW, id=sent["id"], v=sent["version"])) == (
        "FORBIDDEN", ALICE_SUBMITTED)


def test_alice_and_her_key_decide_one_level_of_a_chain(live: Live, setting: dict[str, str]) -> None:
    admin = live.token("admin", "")
    live(admin, CHAIN, levels=[{"name": "科室负责人", "workingDays": 2}, {"name": "分管领导", "workingDays": 3}])
    try:
        sent = live(live.token("assessor", "city/a", subject="inspector"), SUBMIT, i=_evidence(setting))[
            "submitEvidence"]
        first = with_key(live, setting["k2"], REVIEW, id=sent["id"], v=sent["version"])["data"]["reviewSubmission"]
        assert (first["status"], first["levelName"]) == ("pending", "分管领导")
        refused = live.error(setting["alice"], REVIEW, id=sent["id"], v=first["version"])
        assert (refused["extensions"]["code"], refused["message"]) == ("FORBIDDEN", (
            "alice already reviewed this submission at level 科室负责人; one person reviews a submission at one level "
            "only (a level with same_reviewer_allowed lifts this)"))
        audit = live.service("evidence", "GET", f"/v1/audit?entity_id={sent['id']}").json()
        approval = next(r for r in audit if r["action"] == "review.approve")
        assert (approval["actor"], approval["details"]["on_behalf_of"]) == (f"api-key:{setting['k2_id']}", "alice")
    finally:
        live(admin, CHAIN, levels=[{"name": "审核", "workingDays": 2}])


def test_alices_admin_key_answers_neither_her_appeal_nor_her_objection(live: Live, setting: dict[str, str]) -> None:
    p, a = setting["period"], setting["a"]
    fact = live.approved(live.token("assessor", "city", subject="inspector"),
                         live.token("reviewer", "city/a", subject="chief-a"),
                         {"periodId": p, "subjectId": a, "indicator": "work", "fact": "score",
                          "content": {"points": "70"}})["factId"]
    appeal = live(setting["alice"], """mutation($p: ID!, $s: ID!, $f: String!) { fileAppeal(periodId: $p,
        subjectId: $s, factId: $f, points: ["分数偏低"]) { id version } }""", p=p, s=a, f=fact)["fileAppeal"]
    answer = """mutation($id: ID!, $v: Int!) { answerAppeal(id: $id, upheld: true, replies: ["属实"],
        correction: {points: "90"}, version: $v) { status } }"""
    assert _refusal(with_key(live, setting["k1"], answer, id=appeal["id"], v=appeal["version"])) == (
        "FORBIDDEN", "alice filed this appeal or is its subject; an appeal is answered by someone else "
                     "(four-eyes principle)")
    office = live.token("admin", "")
    live(office, """mutation($id: ID!, $v: Int!) { answerAppeal(id: $id, upheld: false, replies: ["维持"],
        version: $v) { status } }""", id=appeal["id"], v=appeal["version"])

    live.settle(p)
    live(office, "mutation($p: ID!) { publishResults(periodId: $p) { status } }", p=p)
    objection = live(setting["alice"], """mutation($p: ID!, $s: ID!) { fileObjection(periodId: $p, subjectId: $s,
        reason: "排名有误") { id } }""", p=p, s=a)["fileObjection"]
    reply = """mutation($id: ID!) { answerObjection(id: $id, answer: "已复核") { status answeredBy } }"""
    assert _refusal(with_key(live, setting["k1"], reply, id=objection["id"])) == (
        "FORBIDDEN", "alice filed this objection or is its subject; an objection is answered by someone else "
                     "(four-eyes principle)")
    assert live(office, reply, id=objection["id"])["answerObjection"] == {"status": "answered",
                                                                          "answeredBy": "admin@all"}
