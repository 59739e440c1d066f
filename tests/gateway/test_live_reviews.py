"""Separation of duties through the gateway over the real services (issue 21 item 10): by default one person
reviews a submission at one level only; a chain's level may allow the same person explicitly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.gateway.live import Live, module_stack

SCHEME = {"id": "duties", "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
          "groups": ["街道"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}]}
CHAIN = """mutation($levels: [ReviewLevelInput!]!) { setReviewChain(schemeId: "duties", indicator: "work",
  levels: $levels) { levels { name scope workingDays sameReviewerAllowed } } }"""
SUBMIT = """mutation($i: EvidenceInput!) { submitEvidence(input: $i) { id version levelName } }"""
REVIEW = """mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id, input: {action: "approve", version: $v})
  { status version levelName } }"""


live = module_stack("duties", datetime(2026, 6, 1, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, str]:
    city = live.unit("市", "city")
    a = live.unit("甲街道", "a", city["id"])
    return {"period": live.opened_period(SCHEME, "2026-Q2", [(a["id"], "街道")]), "a": a["id"]}


def _submit(live: Live, period: dict[str, str]) -> dict[str, Any]:
    sent: dict[str, Any] = live(live.token("assessor", "city"), SUBMIT, i={
        "periodId": period["period"], "subjectId": period["a"], "indicator": "work", "fact": "score",
        "content": {"points": "88"}})["submitEvidence"]
    return sent


def test_one_person_reviews_a_submission_at_one_level_only(live: Live, period: dict[str, str]) -> None:
    admin = live.token("admin", "")
    levels = [{"name": "科室负责人", "workingDays": 2}, {"name": "分管领导", "scope": "city", "workingDays": 3}]
    chain = live(admin, CHAIN, levels=levels)["setReviewChain"]
    assert [level["sameReviewerAllowed"] for level in chain["levels"]] == [False, False]
    sent = _submit(live, period)
    leader = live.token("reviewer", "city", subject="leader")
    first = live(leader, REVIEW, id=sent["id"], v=sent["version"])["reviewSubmission"]
    assert (first["status"], first["levelName"]) == ("pending", "分管领导")
    twice = live.error(leader, REVIEW, id=sent["id"], v=first["version"])
    assert (twice["extensions"]["code"], twice["message"]) == ("FORBIDDEN", (
        "leader already reviewed this submission at level 科室负责人; one person reviews a submission at one level "
        "only (a level with same_reviewer_allowed lifts this)"))
    other = live(live.token("reviewer", "city", subject="head"), REVIEW, id=sent["id"], v=first["version"])
    assert other["reviewSubmission"]["status"] == "approved"


def test_a_chain_may_allow_the_same_reviewer_explicitly(live: Live, period: dict[str, str]) -> None:
    admin = live.token("admin", "")
    refused = live.error(admin, CHAIN, levels=[{"name": "科室负责人", "sameReviewerAllowed": True}])
    assert refused["extensions"]["code"] == "BAD_USER_INPUT"
    levels = [{"name": "科室负责人", "workingDays": 2},
              {"name": "分管领导", "scope": "city", "workingDays": 3, "sameReviewerAllowed": True}]
    chain = live(admin, CHAIN, levels=levels)["setReviewChain"]
    assert [level["sameReviewerAllowed"] for level in chain["levels"]] == [False, True]
    sent = _submit(live, period)
    leader = live.token("reviewer", "city", subject="leader")
    first = live(leader, REVIEW, id=sent["id"], v=sent["version"])["reviewSubmission"]
    second = live(leader, REVIEW, id=sent["id"], v=first["version"])["reviewSubmission"]
    assert second["status"] == "approved"


def _refusal(live: Live, token: str, query: str, language: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(f"{live.url}/graphql", json={"query": query, "variables": variables},
                          headers={"Authorization": f"Bearer {token}", "Accept-Language": language}, timeout=30)
    assert response.status_code == 200, response.text
    error: dict[str, Any] = response.json()["errors"][0]
    return error


def test_a_decision_without_its_reason_names_the_field(live: Live, period: dict[str, str]) -> None:
    """Newcomer probe: the missing reason is the field `reason`'s problem, not "the request body"'s."""
    sent = _submit(live, period)
    reject = """mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id, input: {action: "reject", version: $v})
      { status } }"""
    reviewer = live.token("reviewer", "city", subject="clerk")
    for language, message in (("en", "reason: reject needs a reason"), ("zh-CN", "reason：reject 须填写理由")):
        error = _refusal(live, reviewer, reject, language, id=sent["id"], v=sent["version"])
        assert (error["message"], error["extensions"]["code"]) == (message, "BAD_USER_INPUT")
        # kaohe's own reason: in the language asked for in details too (docs/api.md, "Language of messages")
        own = {"en": "reject needs a reason", "zh-CN": "reject 须填写理由"}[language]
        assert error["extensions"]["details"] == [{"field": "reason", "reason": own}]


def test_a_period_label_is_refused_with_the_forms_it_takes(live: Live, period: dict[str, str]) -> None:
    """Newcomer probe: the label's refusal lists the accepted forms, not the regex."""
    opening = """mutation($l: String!) { openPeriod(input: {schemeId: "duties", schemeVersion: 1, label: $l,
      subjects: []}) { id } }"""
    admin = live.token("admin", "")
    for language, message in (
            ("en", "label: Should be a year (2026), a month (2026-03), a quarter (2026-Q1), a half-year (2026-H1) "
                   "or an ISO week (2026-W05)"),
            ("zh-CN", "label：应为年度（2026）、月份（2026-03）、季度（2026-Q1）、半年（2026-H1）"
                      "或 ISO 周（2026-W05）")):
        for label in ("2026Q1", "2026年第一季度"):
            error = _refusal(live, admin, opening, language, l=label)
            assert (error["message"], error["extensions"]["code"]) == (message, "BAD_USER_INPUT")
