"""Through the gateway over the real services: who an API key acted for beside its `api-key:<id>` actor
(`Submission.onBehalfOf`, `ReviewDecision.onBehalfOf`), a decision's level as index and name like a submission's
(`ReviewDecision.levelIndex`/`levelName`), and `makeups` as a connection like every other list.

alice (admin of 甲街道) makes an assessor key, bob (admin of 甲街道) a reviewer key; the indicator's chain has two
levels, 科室负责人 (index 0) and 分管领导 (index 1). alice's key submits, bob's key approves the first level, chief-a
(a person) the second."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gateway.auth import development_token
from services.common.auth import Grant
from services.common.settings import get_settings
from tests.gateway.live import Live, module_stack

SCHEME = {"id": "behalf", "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
          "groups": ["街道"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}]}
CREATE = "mutation($n: String!, $g: [GrantInput!]!) { createApiKey(name: $n, grants: $g) { key apiKey { id } } }"
CHAIN = """mutation($levels: [ReviewLevelInput!]!) { setReviewChain(schemeId: "behalf", indicator: "work",
  levels: $levels) { levels { name } } }"""
SUBMIT = "mutation($i: EvidenceInput!) { submitEvidence(input: $i) { id version submittedBy onBehalfOf } }"
REVIEW = """mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id, input: {action: "approve", version: $v})
  { status version level levelName } }"""
READ = """query($id: ID!) { submission(id: $id) { status submittedBy onBehalfOf
  reviews { level levelIndex levelName reviewer onBehalfOf decision } } }"""
GRANT = """mutation($p: ID!, $s: ID!, $i: String) { grantMakeup(periodId: $p, subjectId: $s, indicator: $i,
  reason: "系统故障，逾期补报") { id } }"""
MAKEUPS = """query($p: ID!, $s: ID, $first: Int, $after: String) { makeups(periodId: $p, subjectId: $s, first: $first,
  after: $after) { totalCount nodes { subjectId indicator } pageInfo { hasNextPage endCursor } } }"""

live = module_stack("on-behalf", datetime(2026, 5, 6, 2, 0, tzinfo=UTC))


def person(subject: str, *grants: Grant) -> str:
    return development_token(get_settings(), subject=subject, ttl_seconds=900, grants=list(grants))


def with_key(live: Live, key: str, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = httpx.post(f"{live.url}/graphql", json={"query": query, "variables": variables},
                                      headers={"X-API-Key": key}, timeout=30).json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


@pytest.fixture(scope="module")
def setting(live: Live) -> dict[str, str]:
    period, a, b = live.street_period(SCHEME, "2026-Q2")
    alice = person("alice", Grant("admin", "city/a"))
    bob = person("bob", Grant("admin", "city/a"))
    submit_key = live(alice, CREATE, n="门户报送", g=[{"role": "assessor", "scope": "city/a"}])["createApiKey"]
    review_key = live(bob, CREATE, n="审核接口", g=[{"role": "reviewer", "scope": "city/a"}])["createApiKey"]
    live(live.token("admin", ""), CHAIN, levels=[{"name": "科室负责人", "workingDays": 3},
                                                 {"name": "分管领导", "workingDays": 2}])
    return {"period": period, "a": a, "b": b, "submit_key": submit_key["key"], "submit_id": submit_key["apiKey"]["id"],
            "review_key": review_key["key"], "review_id": review_key["apiKey"]["id"]}


def test_a_keys_acts_name_the_person_it_acts_for_and_levels_read_alike(live: Live, setting: dict[str, str]) -> None:
    evidence = {"periodId": setting["period"], "subjectId": setting["a"], "indicator": "work", "fact": "score",
                "content": {"points": "80"}}
    sent = with_key(live, setting["submit_key"], SUBMIT, i=evidence)["submitEvidence"]
    assert (sent["submittedBy"], sent["onBehalfOf"]) == (f"api-key:{setting['submit_id']}", "alice")

    first = with_key(live, setting["review_key"], REVIEW, id=sent["id"], v=sent["version"])["reviewSubmission"]
    # waiting at the second level: index 1, 分管领导
    assert first == {"status": "pending", "version": 2, "level": 1, "levelName": "分管领导"}
    chief = live.token("reviewer", "city/a", subject="chief-a")
    assert live(chief, REVIEW, id=sent["id"], v=first["version"])["reviewSubmission"]["status"] == "approved"

    clerk = live.token("submitter", "city/a", subject="clerk-a")
    read = live(clerk, READ, id=sent["id"])["submission"]
    assert read == {"status": "approved", "submittedBy": f"api-key:{setting['submit_id']}", "onBehalfOf": "alice",
                    "reviews": [
                        {"level": "科室负责人", "levelIndex": 0, "levelName": "科室负责人",
                         "reviewer": f"api-key:{setting['review_id']}", "onBehalfOf": "bob", "decision": "approve"},
                        {"level": "分管领导", "levelIndex": 1, "levelName": "分管领导", "reviewer": "chief-a",
                         "onBehalfOf": None, "decision": "approve"}]}
    # the audit records name the same persons
    audit = live.service("evidence", "GET", f"/v1/audit?entity_id={sent['id']}").json()
    behalf = {r["action"]: r["details"].get("on_behalf_of") for r in audit
              if r["action"] in ("submission.create", "review.approve") and r["actor"].startswith("api-key:")}
    assert behalf == {"submission.create": "alice", "review.approve": "bob"}

    # a person acting themselves: no one behind them
    inspector = live.token("assessor", "city/a", subject="inspector")
    own = live(inspector, SUBMIT, i={**evidence, "content": {"points": "70"}})["submitEvidence"]
    assert (own["submittedBy"], own["onBehalfOf"]) == ("inspector", None)
    # scope first: a reader of 乙街道 learns nothing of 甲街道's submission, its key or the person behind it
    outsider = live.error(live.token("submitter", "city/b"), READ, id=sent["id"])
    assert outsider["extensions"]["code"] == "NOT_FOUND" and "alice" not in str(outsider)


def test_makeups_is_a_connection_paged_and_scoped(live: Live, setting: dict[str, str]) -> None:
    p, a, b = setting["period"], setting["a"], setting["b"]
    office = live.token("admin", "")
    for subject, indicator in ((a, "work"), (b, None), (a, None)):
        live(office, GRANT, p=p, s=subject, i=indicator)

    first = live(office, MAKEUPS, p=p, first=2)["makeups"]
    assert (first["totalCount"], first["nodes"], first["pageInfo"]["hasNextPage"]) == (
        3, [{"subjectId": a, "indicator": "work"}, {"subjectId": b, "indicator": None}], True)
    rest = live(office, MAKEUPS, p=p, first=2, after=first["pageInfo"]["endCursor"])["makeups"]
    assert (rest["totalCount"], rest["nodes"], rest["pageInfo"]) == (
        3, [{"subjectId": a, "indicator": None}], {"hasNextPage": False, "endCursor": rest["pageInfo"]["endCursor"]})
    assert live(office, MAKEUPS, p=p, first=0)["makeups"] == {
        "totalCount": 3, "nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": None}}

    # 乙街道's submitter: its own make-up only, counted as such; 甲街道's subject named is NOT_FOUND
    street_b = live.token("submitter", "city/b")
    own = live(street_b, MAKEUPS, p=p)["makeups"]
    assert (own["totalCount"], own["nodes"], own["pageInfo"]["hasNextPage"]) == (
        1, [{"subjectId": b, "indicator": None}], False)
    assert live.error(street_b, MAKEUPS, p=p, s=a)["extensions"]["code"] == "NOT_FOUND"
    only_a = live(live.token("submitter", "city/a"), MAKEUPS, p=p, s=a)["makeups"]
    assert (only_a["totalCount"], [n["indicator"] for n in only_a["nodes"]]) == (2, ["work", None])
