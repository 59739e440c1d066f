"""The newcomer probe of the 公示 through the gateway over the real services (docs/decisions.md, "Publication
probe: late evidence, windows, reopened reads, re-publication, totals").

Scheme (hand-worked, as test_live_publication): 重点工作 manual /100, ranked by total; 甲 88 → 良好 rank 2,
乙 92 → 优秀 rank 1. Published Monday 2026-06-01 10:00 Shanghai for 5 working days: the window ends Saturday
06-06 00:00 Shanghai (06-05 16:00Z)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.gateway.live import SUBMIT, Live, module_stack
from tests.gateway.test_live_publication import PUBLISH, computed

SHANGHAI = ZoneInfo("Asia/Shanghai")
GRANT = """mutation($p: ID!, $s: ID!, $i: String) { grantMakeup(periodId: $p, subjectId: $s, indicator: $i,
  reason: "系统故障，逾期补报") { subjectId indicator approvedBy closesAt } }"""
MAKEUPS = "query($p: ID!) { makeups(periodId: $p) { nodes { subjectId indicator } } }"
FILE_APPEAL = """mutation($p: ID!, $s: ID!, $f: String!) { fileAppeal(periodId: $p, subjectId: $s, factId: $f,
  points: ["评分偏低"]) { id version } }"""
ANSWER_APPEAL = """mutation($id: ID!, $v: Int!) { answerAppeal(id: $id, upheld: true, replies: ["予以更正"],
  version: $v, correction: {points: "95"}) { status } }"""


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


live = module_stack("publication-probe", local("2026-06-01T10:00:00"))


@pytest.fixture(scope="module")
def units(live: Live) -> dict[str, str]:
    return live.city(("甲街道", "a"), ("乙街道", "b"))


def evidence(p: str, subject: str, points: str) -> dict[str, Any]:
    return {"periodId": p, "subjectId": subject, "indicator": "work", "fact": "score", "content": {"points": points}}


def test_late_evidence_after_the_publication_needs_a_makeup_and_an_appeal_still_corrects(
        live: Live, units: dict[str, str]) -> None:
    """Make-up approved Monday 06-01 10:00: open until the end of the 5th working day after, Monday 06-08
    23:59:59.999999 Shanghai (15:59:59.999999Z)."""
    live.at(local("2026-06-01T10:00:00"))
    admin, assessor = live.token("admin", ""), live.token("assessor", "city")
    period = computed(live, units, "probe-late")
    p, a, b = period["id"], units["a"], units["b"]
    assert live(admin, PUBLISH, p=p, d=5)["publishResults"]["status"] == "published"
    live.settle(p)  # ranking's period.status has reached evidence
    refused = live.error(assessor, SUBMIT, i=evidence(p, a, "99"))
    assert (refused["extensions"]["code"], refused["message"]) == ("CONFLICT", (
        f"period {p} no longer collects evidence (it is published): late evidence of subject {a} needs a make-up "
        "(补报) approved by the assessment office (GraphQL: grantMakeup); once it is approved, submit within its "
        "working days"))
    assert refused["extensions"]["details"] == {"rule": "makeup", "status": "published", "subject_id": a,
                                                "indicator": "work"}
    assert live.error(assessor, GRANT, p=p, s=a, i="work")["extensions"]["code"] == "FORBIDDEN"
    assert live(admin, GRANT, p=p, s=a, i="work")["grantMakeup"] == {
        "subjectId": a, "indicator": "work", "approvedBy": "admin@all", "closesAt": "2026-06-08T15:59:59.999999Z"}
    assert live(assessor, MAKEUPS, p=p) == {"makeups": {"nodes": [{"subjectId": a, "indicator": "work"}]}}
    assert live(assessor, SUBMIT, i=evidence(p, a, "99"))["submitEvidence"]["version"] == 1
    assert live.error(assessor, SUBMIT, i=evidence(p, b, "99"))["extensions"]["details"]["subject_id"] == b

    appeal = live(live.token("submitter", "city/a"), FILE_APPEAL, p=p, s=a, f=period["facts"]["a"])["fileAppeal"]
    assert live(admin, ANSWER_APPEAL, id=appeal["id"], v=appeal["version"]) == {"answerAppeal": {"status": "upheld"}}
    live.settle(p)
    stale = live(admin, "query($p: ID!) { publication(periodId: $p) { stale staleReason } }", p=p)
    assert stale == {"publication": {"stale": True, "staleReason": (
        "the results changed after the 公示 of 2026-06-01 10:00 (UTC+08:00) (publication 1): 2 changed, 0 added, "
        "0 removed")}}


def test_a_re_publication_keeps_the_minimum_and_needs_changed_results(live: Live, units: dict[str, str]) -> None:
    """The scheme sets no window: KAOHE_PUBLICATION_MIN_WORKING_DAYS (5). Publishing again at once is refused
    (nothing changed); after the upheld appeal (甲 88 → 95) 2 days are refused, and 5 from Tuesday 06-02 run
    Tue..Mon 06-08 (the end of the first window, 06-05 16:00Z, is earlier): ends 06-08 16:00Z."""
    live.at(local("2026-06-01T10:00:00"))
    admin = live.token("admin", "")
    period = computed(live, units, "probe-window")
    p, a = period["id"], units["a"]
    short = live.error(admin, PUBLISH, p=p, d=3)
    assert short["message"] == (
        "a publication (公示) runs 5 working days at least (KAOHE_PUBLICATION_MIN_WORKING_DAYS; the scheme sets no "
        "publication.working_days); 3 is too short")
    assert live(admin, PUBLISH, p=p, d=None)["publishResults"] == {"status": "published",
                                                                  "closesAt": "2026-06-05T16:00:00Z"}
    again = live.error(admin, PUBLISH, p=p, d=5)
    assert (again["extensions"]["code"], again["message"]) == ("CONFLICT", (
        f"the results of period {p} are still those its 公示 (publication 1) shows; a re-publication is only for "
        "results that changed after the 公示"))
    appeal = live(live.token("submitter", "city/a"), FILE_APPEAL, p=p, s=a, f=period["facts"]["a"])["fileAppeal"]
    assert live(admin, ANSWER_APPEAL, id=appeal["id"], v=appeal["version"]) == {"answerAppeal": {"status": "upheld"}}
    live.settle(p)
    live.at(local("2026-06-02T10:00:00"))
    assert live.error(admin, PUBLISH, p=p, d=2)["message"] == (
        "a re-publication runs 5 working days at least (KAOHE_PUBLICATION_MIN_WORKING_DAYS; the scheme sets no "
        "publication.working_days); 2 is too short")
    assert live(admin, PUBLISH, p=p, d=5)["publishResults"] == {"status": "published",
                                                               "closesAt": "2026-06-08T16:00:00Z"}


def test_a_reopened_period_shows_the_last_publication_everywhere_marked_as_superseded(
        live: Live, units: dict[str, str]) -> None:
    """Published Monday 06-01 (5 days), approved Saturday 06-06, reopened: 甲's own account still reads 甲 as
    published (88.00, rank 2, 良好) through `result`, the publication list (with 公示状态 saying it was superseded) and
    the public page (`reopened`), as the office's `publication` says (`computed`, sequence 1, reopened)."""
    live.at(local("2026-06-01T10:00:00"))
    admin, a = live.token("admin", ""), units["a"]
    p = computed(live, units, "probe-reopen")["id"]
    assert live(admin, PUBLISH, p=p, d=5)["publishResults"]["status"] == "published"
    live.at(local("2026-06-06T10:00:00"))
    assert live(admin, "mutation($p: ID!) { finalizePeriod(periodId: $p) { sequence } }", p=p) == {
        "finalizePeriod": {"sequence": 1}}
    assert live(admin, 'mutation($p: ID!) { reopenPeriod(periodId: $p, reason: "更正") { status sequence reopened } }',
                p=p) == {"reopenPeriod": {"status": "computed", "sequence": 1, "reopened": True}}
    live.settle(p)
    own = live.token("submitter", "city/a")
    assert live(own, "query($p: ID!, $s: ID!) { result(periodId: $p, subjectId: $s) { total rank grade } }",
                p=p, s=a) == {"result": {"total": "88.00", "rank": 2, "grade": "良好"}}
    listed = live.get(own, f"/exports/periods/{p}/publication.csv")
    assert listed.status_code == 200, listed.text
    assert listed.content.decode("utf-8-sig").splitlines() == [
        "序号,编号,名称,组别,总分,名次,等次,标签,公示状态",
        f"1,{a},甲街道,街道,88.00,2,良好,,已被取代：审定后已重新打开更正，待重新公示"]
    public = live.http.get(f"{live.url}/public/periods/{p}/publication.json").json()
    assert (public["status"], public["reopened"], public["publication"]) == ("computed", True, 1)
    page = live.http.get(f"{live.url}/public/periods/{p}/publication.html").text
    assert "审定后已重新打开更正" in page
