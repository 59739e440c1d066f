"""What gates a period's writes through the gateway over the real services (docs/decisions.md, "Writes read the
period's status fresh" and "审定 waits for open appeals and pending reviews").

Evidence here caches scoring's answers for 30 s, as a deployment does (KAOHE_EVIDENCE_SCORING_CACHE_SECONDS's
default; other live tests cache nothing). Scheme as test_live_publication (hand-worked): 重点工作 manual /100;
甲 88 → 良好 rank 2, 乙 92 → 优秀 rank 1. Published Monday 2026-06-01 10:00 Shanghai for 5 working days: the window
ends Saturday 06-06 00:00 Shanghai, so 审定 is possible from then on."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.gateway.live import SUBMIT, Live, module_stack
from tests.gateway.test_live_publication import PUBLISH, computed, scheme

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUS = "mutation($p: ID!, $s: String!) { setPeriodStatus(periodId: $p, status: $s) { status } }"
REVIEW = """mutation($id: ID!, $a: String!, $v: Int!) { reviewSubmission(id: $id, input: {action: $a, version: $v,
  reason: "核实"}) { status version } }"""
CORRECT = """mutation($id: ID!, $v: Int!, $c: JSON!) { correctSubmission(id: $id, input: {version: $v, content: $c})
  { status version } }"""
GRANT = """mutation($p: ID!, $s: ID!) { grantMakeup(periodId: $p, subjectId: $s, indicator: "work",
  reason: "系统故障，逾期补报") { subjectId } }"""
FILE_APPEAL = """mutation($p: ID!, $s: ID!, $f: String!) { fileAppeal(periodId: $p, subjectId: $s, factId: $f,
  points: ["评分偏低"]) { id version } }"""
DISMISS_APPEAL = """mutation($id: ID!, $v: Int!) { answerAppeal(id: $id, upheld: false, replies: ["经复核，维持原评分"],
  version: $v) { status } }"""
FINALIZE = "mutation($p: ID!) { finalizePeriod(periodId: $p) { sequence } }"
OBJECT = """mutation($p: ID!, $s: ID!) { fileObjection(periodId: $p, subjectId: $s, reason: "评分有误") { id } }"""


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


live = module_stack("period-gates", local("2026-06-01T10:00:00"), KAOHE_EVIDENCE_SCORING_CACHE_SECONDS="30")


@pytest.fixture(scope="module")
def units(live: Live) -> dict[str, str]:
    return live.city(("甲街道", "a"), ("乙街道", "b"))


def evidence(p: str, subject: str, points: str) -> dict[str, Any]:
    return {"periodId": p, "subjectId": subject, "indicator": "work", "fact": "score", "content": {"points": points}}


def test_the_close_of_collection_gates_the_very_next_submission(live: Live, units: dict[str, str]) -> None:
    """Evidence has just read the period as `open` (a submission of 甲, still pending); the office moves it to
    collecting, then to `scoring`; at once a new submission for 乙 is refused (make-up rule) although evidence's
    cached copy still said `open`, while the pending one of 甲 is still corrected and approved (evidence made before
    the close; the same rules as 30 s later)."""
    live.at(local("2026-06-01T10:00:00"))
    admin, assessor, reviewer = live.token("admin", ""), live.token("assessor", "city"), live.token("reviewer", "city")
    p = live.opened_period(scheme("gate-collect"), "2026-Q2", [(units["a"], "街道"), (units["b"], "街道")])
    a, b = units["a"], units["b"]
    sent = live(assessor, SUBMIT, i=evidence(p, a, "80"))["submitEvidence"]  # evidence reads the period: `open`
    assert live(admin, STATUS, p=p, s="collecting") == {"setPeriodStatus": {"status": "collecting"}}
    assert live(admin, STATUS, p=p, s="scoring") == {"setPeriodStatus": {"status": "scoring"}}
    refused = live.error(assessor, SUBMIT, i=evidence(p, b, "92"))
    assert (refused["extensions"]["code"], refused["message"]) == ("CONFLICT", (
        f"period {p} no longer collects evidence (it is scoring): late evidence of subject {b} needs a make-up "
        "(补报) approved by the assessment office (GraphQL: grantMakeup); once it is approved, submit within its "
        "working days"))
    assert refused["extensions"]["details"] == {"rule": "makeup", "status": "scoring", "subject_id": b,
                                                "indicator": "work"}
    corrected = live(assessor, CORRECT, id=sent["id"], v=sent["version"], c={"points": "88"})["correctSubmission"]
    assert corrected == {"status": "pending", "version": 2}
    assert live(reviewer, REVIEW, id=sent["id"], a="approve", v=2)["reviewSubmission"]["status"] == "approved"
    live.settle(p)
    assert live(admin, "query($p: ID!, $s: ID!) { result(periodId: $p, subjectId: $s) { total } }", p=p, s=a) == {
        "result": {"total": "88.00"}}  # the corrected 88, not the first 80


def test_finalization_waits_for_open_appeals_and_pending_reviews(live: Live, units: dict[str, str]) -> None:
    """Published with an appeal of 甲's fact open and a make-up submission for 乙 pending review: 审定 after the
    window is refused naming both (1 and 1); the appeal dismissed, still refused for the review (0 and 1); the
    submission rejected, 审定 takes snapshot 1. Afterwards 甲's appeal and objection are told the period is final."""
    live.at(local("2026-06-01T10:00:00"))
    admin, assessor, reviewer = live.token("admin", ""), live.token("assessor", "city"), live.token("reviewer", "city")
    period = computed(live, units, "gate-final")
    p, a, b = period["id"], units["a"], units["b"]
    assert live(admin, PUBLISH, p=p, d=5)["publishResults"]["status"] == "published"
    live.settle(p)
    own_a = live.token("submitter", "city/a")
    appeal = live(own_a, FILE_APPEAL, p=p, s=a, f=period["facts"]["a"])["fileAppeal"]
    live(admin, GRANT, p=p, s=b)
    late = live(assessor, SUBMIT, i=evidence(p, b, "95"))["submitEvidence"]
    live.at(local("2026-06-06T10:00:00"))  # the window is over
    refused = live.error(admin, FINALIZE, p=p)
    assert (refused["extensions"]["code"], refused["message"]) == ("CONFLICT", (
        f"period {p} still has work open in evidence: open appeals (申诉) 1, submissions pending review 1; answer "
        "the appeals and finish the reviews (approve, return or reject each submission) first, then finalize (审定)"))
    assert refused["extensions"]["details"] == {"open_appeals": 1, "pending_submissions": 1}
    assert live(admin, DISMISS_APPEAL, id=appeal["id"], v=appeal["version"]) == {
        "answerAppeal": {"status": "dismissed"}}
    assert live.error(admin, FINALIZE, p=p)["extensions"]["details"] == {"open_appeals": 0, "pending_submissions": 1}
    assert live(reviewer, REVIEW, id=late["id"], a="reject", v=late["version"])["reviewSubmission"]["status"] == \
        "rejected"
    assert live(admin, FINALIZE, p=p) == {"finalizePeriod": {"sequence": 1}}
    live.settle(p)  # ranking's period.status (finalized) has reached evidence
    closed = live.error(own_a, FILE_APPEAL, p=p, s=a, f=period["facts"]["a"])
    assert (closed["extensions"]["code"], closed["message"]) == (
        "CONFLICT", f"period {p} is finalized (审定): its results are final and appeals are closed")
    objected = live.error(own_a, OBJECT, p=p, s=a)
    assert (objected["extensions"]["code"], objected["message"]) == (
        "CONFLICT", f"period {p} is finalized (审定): its results are final and objections are closed")
