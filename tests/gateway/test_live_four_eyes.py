"""The four-eyes principle (四眼原则) through the gateway over the real services: the probe's one person holding two
roles on a unit submits evidence and may not approve it (FORBIDDEN, the evidence service's words), files an appeal
and an objection and may answer neither; another person does each. Scheme: 重点工作 manual /100."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.auth import development_token
from services.common.auth import Grant
from services.common.settings import get_settings
from tests.gateway.live import SUBMIT, Live, module_stack

SCHEME = {"id": "foureyes", "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
          "groups": ["街道"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}]}
REVIEW = """mutation($id: ID!, $v: Int!, $a: String!, $r: String) {
  reviewSubmission(id: $id, input: {action: $a, version: $v, reason: $r}) { status version factId } }"""
SUBMISSION = "query($id: ID!) { submission(id: $id) { status submittedBy reviews { reviewer } } }"

live = module_stack("foureyes", datetime(2026, 6, 1, 2, 0, tzinfo=UTC))


def _token(subject: str, *grants: tuple[str, str]) -> str:
    return development_token(get_settings(), subject=subject, ttl_seconds=900,
                             grants=[Grant(role, scope) for role, scope in grants])  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, str]:
    p, a, _b = live.street_period(SCHEME, "2026-Q2")
    return {"period": p, "a": a}


def test_the_submitter_may_not_review_their_own_evidence(live: Live, period: dict[str, str]) -> None:
    both = _token("both-a", ("assessor", "city/a"), ("reviewer", "city/a"))
    sent = live(both, SUBMIT, i={"periodId": period["period"], "subjectId": period["a"], "indicator": "work",
                                 "fact": "score", "content": {"points": "88"}})["submitEvidence"]
    for action, reason in (("approve", None), ("return", "补充"), ("reject", "不实")):
        refused = live.error(both, REVIEW, id=sent["id"], v=sent["version"], a=action, r=reason)
        assert (refused["extensions"]["code"], refused["message"]) == ("FORBIDDEN", (
            "both-a submitted this submission; the submitter of a submission may not review it "
            "(four-eyes principle)")), action
    assert live(both, SUBMISSION, id=sent["id"])["submission"] == {
        "status": "pending", "submittedBy": "both-a", "reviews": []}
    chief = _token("chief-a", ("reviewer", "city/a"))
    approved = live(chief, REVIEW, id=sent["id"], v=sent["version"], a="approve", r=None)["reviewSubmission"]
    assert approved["status"] == "approved"
    assert live(both, SUBMISSION, id=sent["id"])["submission"]["reviews"] == [{"reviewer": "chief-a"}]


def test_appeals_and_objections_are_answered_by_someone_else(live: Live, period: dict[str, str]) -> None:
    p, a = period["period"], period["a"]
    fact = live.approved(_token("inspector", ("assessor", "city")), _token("chief-a", ("reviewer", "city/a")),
                         {"periodId": p, "subjectId": a, "indicator": "work", "fact": "score",
                          "content": {"points": "70"}})["factId"]
    liaison = _token("liaison-a", ("submitter", "city/a"), ("admin", "city/a"))
    appeal = live(liaison, """mutation($p: ID!, $s: ID!, $f: String!) { fileAppeal(periodId: $p, subjectId: $s,
        factId: $f, points: ["分数偏低"]) { id version } }""", p=p, s=a, f=fact)["fileAppeal"]
    answer = """mutation($id: ID!, $v: Int!) { answerAppeal(id: $id, upheld: false, replies: ["维持"], version: $v)
        { status } }"""
    refused = live.error(liaison, answer, id=appeal["id"], v=appeal["version"])
    assert (refused["extensions"]["code"], refused["message"]) == ("FORBIDDEN", (
        "liaison-a filed this appeal or is its subject; an appeal is answered by someone else (four-eyes principle)"))
    office = live.token("admin", "")
    assert live(office, answer, id=appeal["id"], v=appeal["version"])["answerAppeal"] == {"status": "dismissed"}

    live.settle(p)
    live(office, "mutation($p: ID!) { publishResults(periodId: $p) { status } }", p=p)
    objection = live(liaison, """mutation($p: ID!, $s: ID!) { fileObjection(periodId: $p, subjectId: $s,
        reason: "排名有误") { id } }""", p=p, s=a)["fileObjection"]
    reply = """mutation($id: ID!) { answerObjection(id: $id, answer: "已复核") { status answeredBy } }"""
    refused = live.error(liaison, reply, id=objection["id"])
    assert (refused["extensions"]["code"], refused["message"]) == ("FORBIDDEN", (
        "liaison-a filed this objection or is its subject; an objection is answered by someone else "
        "(four-eyes principle)"))
    assert live(office, reply, id=objection["id"])["answerObjection"] == {"status": "answered",
                                                                          "answeredBy": "admin@all"}
