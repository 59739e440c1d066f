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
MAKEUPS = "query($p: ID!) { makeups(periodId: $p) { subjectId indicator } }"
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
        "(补报) approved by the assessment office; ask the office to approve one (grantMakeup, POST /v1/makeups), "
        "then submit within its working days"))
    assert refused["extensions"]["details"] == {"rule": "makeup", "status": "published", "subject_id": a,
                                                "indicator": "work"}
    assert live.error(assessor, GRANT, p=p, s=a, i="work")["extensions"]["code"] == "FORBIDDEN"
    assert live(admin, GRANT, p=p, s=a, i="work")["grantMakeup"] == {
        "subjectId": a, "indicator": "work", "approvedBy": "admin@all", "closesAt": "2026-06-08T15:59:59.999999Z"}
    assert live(assessor, MAKEUPS, p=p) == {"makeups": [{"subjectId": a, "indicator": "work"}]}
    assert live(assessor, SUBMIT, i=evidence(p, a, "99"))["submitEvidence"]["version"] == 1
    assert live.error(assessor, SUBMIT, i=evidence(p, b, "99"))["extensions"]["details"]["subject_id"] == b

    appeal = live(live.token("submitter", "city/a"), FILE_APPEAL, p=p, s=a, f=period["facts"]["a"])["fileAppeal"]
    assert live(admin, ANSWER_APPEAL, id=appeal["id"], v=appeal["version"]) == {"answerAppeal": {"status": "upheld"}}
    live.settle(p)
    stale = live(admin, "query($p: ID!) { publication(periodId: $p) { stale staleReason } }", p=p)
    assert stale == {"publication": {"stale": True, "staleReason": (
        "the results changed after the 公示 of 2026-06-01 (publication 1): 2 changed, 0 added, 0 removed")}}


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
