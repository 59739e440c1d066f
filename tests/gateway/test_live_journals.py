"""A month of weekly journals (周志) scored through the gateway over the real services (issue 21 item 11).

How a journal's points come to exist (seed 003 篇三, 业务目标考核): the person writes the week's journal and
scores it (每周记录自评); the 科室负责人, 分管领导 and 部门负责人 review it in turn (初审、审核和评定) and may each
change the points; the highest level's points are the week's (系统默认较高级别人员的评价分数为周记的最终基本分数);
a level that does not review in time agrees with the level below (上一级领导未审查的,默认为同意其下级人员评价结果).
A week without a journal and without a reason is 0 (无故不提交工作周记的,该周…为0分); an excused week (因公外出、
正常休假…经分管领导同意) may be made up within 5 working days after the absence ends, else it is left out; the
period's points are the mean of the weeks (各周周记分数的平均值), here on the leaf's 50-point scale.

The office's chain for the journal indicator: 科室负责人 2 working days, 分管领导 3, 部门负责人 3.
March 2026, person 张三 rostered W10..W14 (W10 = 03-02..08, due Mon 03-09 23:59:59 Shanghai; W11 due 03-16;
W12 due 03-23; W13 due 03-30; W14 = 03-30..04-05):
- W10 on time (03-09): self 45; 科室负责人 adjusts to 42, 分管领导 approves, 部门负责人 adjusts to 44 → 44.
- W11 late (sent 03-17, after its deadline, not excused): refused; the sweep of 03-24 records it missing → 0.
- W12 missing (never sent): the sweep of 03-24 records it missing → 0.
- W13 excused (leave to Fri 03-27), not made up: the make-up window (5 working days: 03-30, 31, 04-01, 02,
  03) closed 04-03 → left out.
- W14 excused (trip to Fri 04-03), made up on 04-08 (window: 04-07, 08, 09, 10, 13 past the 04-04..06 Qingming
  holiday): self 40; 科室负责人 does not act by 04-10 (08 + 2 working days) → agrees (40); 分管领导 adjusts to
  38 on 04-13; 部门负责人 does not act by 04-16 (13 + 3) → agrees → 38.
Mean over the weeks not excused: (44 + 0 + 0 + 38) / 4 = 20.5; the leaf: 50 × 20.5 / 50 = 20.50.
李四's only journal (W10, sent as evidence by the unit's submitter, self 30) is approved at all three levels
unchanged: 50 × 30 / 50 = 30.00.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.gateway.live import Live, module_stack

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEME = {"id": "journals", "version": 1, "title": "机关工作人员月度考核", "subject_kind": "person", "period": "month",
          "groups": ["工作人员"],
          "indicators": [{"code": "business", "name": "业务目标考核(工作周记)", "max": 50,
                          "rule": {"kind": "journal", "scale_max": 50}}]}
JOURNAL = """mutation($i: JournalInput!) { submitJournal(input: $i) { week status points makeup submissionId } }"""
REVIEW = """mutation($id: ID!, $v: Int!, $a: String!, $value: JSON, $r: String) {
  reviewSubmission(id: $id, input: {action: $a, version: $v, value: $value, reason: $r})
  { status version levelName value factId } }"""
SUBMISSION = "query($id: ID!) { submission(id: $id) { status version levelName value factId } }"
EXCUSE = """mutation($i: ExcuseInput!) { excuseJournalWeek(input: $i) { week status excuseKind } }"""


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


live = module_stack("journals")


def _setup(live: Live) -> dict[str, str]:
    live.at(local("2026-02-27T10:00:00"))
    admin = live.token("admin", "")
    city = live.unit("区司法局", "city")
    a = live.unit("办公室", "a", city["id"])
    people = [live(admin, 'mutation($n: String!, $u: ID!) { createPerson(name: $n, unitId: $u) { id } }',
                   n=name, u=a["id"])["createPerson"]["id"] for name in ("张三", "李四")]
    p = live.opened_period(SCHEME, "2026-03", [(pid, "工作人员") for pid in people])
    live(admin, 'mutation($p: ID!) { setPeriodStatus(periodId: $p, status: "collecting") { status } }', p=p)
    levels = [{"name": "科室负责人", "workingDays": 2}, {"name": "分管领导", "scope": "city", "workingDays": 3},
              {"name": "部门负责人", "scope": "city", "workingDays": 3}]
    live(admin, """mutation($l: [ReviewLevelInput!]!) { setReviewChain(schemeId: "journals", indicator: "business",
        levels: $l) { version } }""", l=levels)
    live(admin, """mutation($p: String!, $s: [String!]!) { setJournalRoster(input: {periodId: $p, subjectIds: $s,
        firstWeek: "2026-W10", lastWeek: "2026-W14"}) { people } }""", p=p, s=[people[0]])
    return {"period": p, "zhang": people[0], "li": people[1]}


def _review(live: Live, token: str, submission_id: str, action: str, points: str | None = None) -> dict[str, Any]:
    current = live(token, SUBMISSION, id=submission_id)["submission"]
    value = {"points": points} if points is not None else None
    reviewed: dict[str, Any] = live(token, REVIEW, id=submission_id, v=current["version"], a=action, value=value,
                                    r="按考核标准量化评价" if action != "approve" else None)["reviewSubmission"]
    return reviewed


def test_a_month_of_journals(live: Live) -> None:
    ids = _setup(live)
    p, zhang, li = ids["period"], ids["zhang"], ids["li"]
    person = live.token("subject", "city/a", subject="zhang", subject_ids=[zhang])
    chief, leader = live.token("reviewer", "city/a", subject="chief"), live.token("reviewer", "city", subject="leader")
    head, admin = live.token("reviewer", "city", subject="head"), live.token("admin", "")

    # W10 on time, reviewed at every level
    live.at(local("2026-03-09T10:00:00"))
    w10 = live(person, JOURNAL, i={"periodId": p, "subjectId": zhang, "week": "2026-W10", "text": "完成台账整理",
                                    "points": "45"})["submitJournal"]
    assert (w10["status"], w10["points"], w10["makeup"]) == ("submitted", "45", False)
    live.at(local("2026-03-09T11:00:00"))
    assert _review(live, chief, w10["submissionId"], "adjust", "42")["levelName"] == "分管领导"
    live.at(local("2026-03-10T10:00:00"))
    assert _review(live, leader, w10["submissionId"], "approve")["levelName"] == "部门负责人"
    final = _review(live, head, w10["submissionId"], "adjust", "44")
    assert (final["status"], final["value"]) == ("approved", {"week": "2026-W10", "points": "44",
                                                             "status": "submitted"})

    # W11 sent late: refused; W12 never sent; both recorded missing by the sweep
    live.at(local("2026-03-17T09:00:00"))
    late = live.error(person, JOURNAL, i={"periodId": p, "subjectId": zhang, "week": "2026-W11", "text": "补交",
                                           "points": "45"})
    assert (late["extensions"]["code"], late["message"]) == ("CONFLICT", (
        "the deadline for 2026-W11 passed at 2026-03-17 00:00 (UTC+08:00); only a week excused by the supervisor "
        "can be made up"))
    live.at(local("2026-03-24T09:00:00"))
    live.sweep()

    # W13 excused, never made up; W14 excused, made up in time
    live.at(local("2026-03-24T10:00:00"))
    excuse = {"periodId": p, "subjectId": zhang, "reason": "经分管领导同意"}
    assert live(chief, EXCUSE, i={**excuse, "week": "2026-W13", "kind": "leave", "endsOn": "2026-03-27"}) == {
        "excuseJournalWeek": {"week": "2026-W13", "status": "excused", "excuseKind": "leave"}}
    live.at(local("2026-04-01T10:00:00"))
    live(chief, EXCUSE, i={**excuse, "week": "2026-W14", "kind": "trip", "endsOn": "2026-04-03"})
    live.at(local("2026-04-08T10:00:00"))
    closed = live.error(person, JOURNAL, i={"periodId": p, "subjectId": zhang, "week": "2026-W13", "text": "补录",
                                             "points": "50"})
    assert closed["message"] == ("the make-up window for 2026-W13 closed at 2026-04-04 00:00 (UTC+08:00) "
                                 "(5 working days after the excused absence ended)")
    w14 = live(person, JOURNAL, i={"periodId": p, "subjectId": zhang, "week": "2026-W14", "text": "补录出差周记",
                                    "points": "40"})["submitJournal"]
    assert (w14["status"], w14["makeup"]) == ("submitted", True)
    live.at(local("2026-04-13T10:00:00"))
    live.sweep()  # 科室负责人 did not act by 04-10: agrees
    assert live(leader, SUBMISSION, id=w14["submissionId"])["submission"]["levelName"] == "分管领导"
    live.at(local("2026-04-13T11:00:00"))
    assert _review(live, leader, w14["submissionId"], "adjust", "38")["levelName"] == "部门负责人"
    live.at(local("2026-04-17T10:00:00"))
    live.sweep()  # 部门负责人 did not act by 04-16: agrees
    assert live(admin, SUBMISSION, id=w14["submissionId"])["submission"]["status"] == "approved"

    # 李四's journal sent as evidence by the unit's submitter, approved unchanged at every level
    submitter = live.token("submitter", "city/a")
    sent = live(submitter, """mutation($i: EvidenceInput!) { submitEvidence(input: $i) { id } }""", i={
        "periodId": p, "subjectId": li, "indicator": "business", "fact": "journal",
        "content": {"week": "2026-W10", "points": "30"}})["submitEvidence"]
    for reviewer in (chief, leader, head):
        _review(live, reviewer, sent["id"], "approve")

    live.settle(p)
    weeks = live(admin, "query($p: ID!, $s: ID!) { journals(periodId: $p, subjectId: $s) { nodes { week status "
                        "points makeup } } }", p=p, s=zhang)["journals"]["nodes"]
    assert weeks == [
        {"week": "2026-W10", "status": "submitted", "points": "45", "makeup": False},
        {"week": "2026-W11", "status": "missing", "points": None, "makeup": False},
        {"week": "2026-W12", "status": "missing", "points": None, "makeup": False},
        {"week": "2026-W13", "status": "excused", "points": None, "makeup": False},
        {"week": "2026-W14", "status": "submitted", "points": "40", "makeup": True},
    ]
    explained = live(admin, """query($p: ID!, $s: ID!) { explain(periodId: $p, subjectId: $s) { total
        indicators { code value } explain } }""", p=p, s=zhang)["explain"]
    assert (explained["total"], explained["indicators"]) == ("20.50", [{"code": "business", "value": "20.50"}])
    assert "50 × mean 20.5 of 4 weeks (1 excused) / 50 = 20.5" in explained["explain"]["business"]
    other = live(admin, "query($p: ID!, $s: ID!) { explain(periodId: $p, subjectId: $s) { total } }", p=p, s=li)
    assert other == {"explain": {"total": "30.00"}}


def test_an_unconfirmed_journal_counts_as_a_week_without_one(live: Live) -> None:
    """A journal the reviewers reject (对不真实内容不予确认) is a week at 0, not a week left out."""
    admin = live.token("admin", "")
    p = live(admin, "{ periods { nodes { id } } }")["periods"]["nodes"][0]["id"]
    subjects = live(admin, "query($p: ID!) { subjects(periodId: $p) { nodes { id name } } }", p=p)
    li = next(s["id"] for s in subjects["subjects"]["nodes"] if s["name"] == "李四")
    live.at(local("2026-04-20T10:00:00"))
    submitter = live.token("submitter", "city/a")
    sent = live(submitter, """mutation($i: EvidenceInput!) { submitEvidence(input: $i) { id } }""", i={
        "periodId": p, "subjectId": li, "indicator": "business", "fact": "journal",
        "content": {"week": "2026-W11", "points": "50"}})["submitEvidence"]
    rejected = _review(live, live.token("reviewer", "city/a", subject="chief"), sent["id"], "reject")
    assert rejected["status"] == "rejected"
    live.settle(p)
    # 李四: W10 30 and W11 0 → 50 × 15 / 50
    assert live(admin, "query($p: ID!, $s: ID!) { explain(periodId: $p, subjectId: $s) { total } }", p=p, s=li) == {
        "explain": {"total": "15.00"}}
