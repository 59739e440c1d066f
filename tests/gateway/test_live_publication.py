"""Publication (公示), its staleness and approval (审定) through the gateway over the real services (issue 21
items 12 and 25).

Scheme (hand-worked): 重点工作 manual /100, ranked by total; bands 优秀 ≥ 90, 良好 ≥ 75, else 合格.
甲 88 → 良好, 乙 92 → 优秀: 乙 rank 1, 甲 rank 2.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.gateway.live import Live, module_stack

SHANGHAI = ZoneInfo("Asia/Shanghai")
PUBLISH = "mutation($p: ID!, $d: Int) { publishResults(periodId: $p, workingDays: $d) { status closesAt } }"
PERIOD_STATUS = "query($p: ID!) { period(id: $p) { status subjectCount } }"


def scheme(scheme_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": scheme_id, "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
            "groups": ["街道"],
            "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}],
            "ranking": {"scope": "group", "order": ["total"]},
            "grading": {"bands": [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 75}, {"grade": "合格"}]},
            **extra}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


live = module_stack("publication", local("2026-06-01T10:00:00"))


@pytest.fixture(scope="module")
def units(live: Live) -> dict[str, str]:
    return live.city(("甲街道", "a"), ("乙街道", "b"), ("丙街道", "c"))


def computed(live: Live, units: dict[str, str], scheme_id: str, **extra: Any) -> dict[str, Any]:
    """A period of 甲 and 乙 with their work scores approved and ranked."""
    p = live.opened_period(scheme(scheme_id, **extra), "2026-Q2", [(units["a"], "街道"), (units["b"], "街道")])
    assessor, reviewer = live.token("assessor", "city"), live.token("reviewer", "city")
    facts = {unit: live.approved(assessor, reviewer, {"periodId": p, "subjectId": units[unit], "indicator": "work",
                                                      "fact": "score", "content": {"points": points}})["factId"]
             for unit, points in (("a", "88"), ("b", "92"))}
    live.settle(p)
    return {"id": p, "facts": facts}


def csv_rows(live: Live, token: str, period_id: str, kind: str) -> list[list[str]]:
    response = live.get(token, f"/exports/periods/{period_id}/{kind}.csv")
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_after_publication_enrolment_is_refused_and_both_services_say_published(
        live: Live, units: dict[str, str]) -> None:
    admin = live.token("admin", "")
    period = computed(live, units, "pub-state")
    p = period["id"]
    live(admin, 'mutation($p: ID!) { setPeriodStatus(periodId: $p, status: "collecting") { status } }', p=p)
    assert live(admin, PUBLISH, p=p, d=5)["publishResults"]["status"] == "published"
    live.settle(p)  # ranking's period.status has reached scoring
    assert live(admin, PERIOD_STATUS, p=p)["period"] == {"status": "published", "subjectCount": 2}
    enrol = live.service("scoring", "POST", f"/v1/periods/{p}/subjects",
                         json={"subjects": [{"id": units["c"], "group": "街道"}]})
    assert (enrol.status_code, enrol.json()["error"]["message"]) == (
        409, f"period {p} is published; enrolment closes when it is published")
    withdraw = live.service("scoring", "DELETE", f"/v1/periods/{p}/subjects/{units['b']}")
    assert withdraw.status_code == 409
    by_hand = live.error(admin, 'mutation($p: ID!) { setPeriodStatus(periodId: $p, status: "finalized") '
                                '{ status } }', p=p)
    assert (by_hand["extensions"]["code"], by_hand["message"]) == ("CONFLICT", (
        f"period {p} becomes finalized when its results are finalized (finalizePeriod), so that scoring and "
        "ranking tell the same state"))
    live.settle(p)
    rows = csv_rows(live, admin, p, "publication")
    assert [row[1:3] for row in rows[1:]] == [[units["b"], "乙街道"], [units["a"], "甲街道"]]
    ranked = live(admin, 'query($p: ID!) { ranking(periodId: $p) { totalCount } }', p=p)
    assert ranked == {"ranking": {"totalCount": 2}}


FILE_APPEAL = """mutation($p: ID!, $s: ID!, $f: String!) { fileAppeal(periodId: $p, subjectId: $s, factId: $f,
  points: ["评分偏低,附件材料未计入"]) { id version } }"""
ANSWER_APPEAL = """mutation($id: ID!, $v: Int!) { answerAppeal(id: $id, upheld: true, replies: ["材料属实,予以更正"],
  version: $v, correction: {points: "95"}) { status } }"""
PUBLICATION = """query($p: ID!) { publication(periodId: $p) { status sequence workingDays closesAt stale staleReason
  staleSince } }"""
FINALIZE = "mutation($p: ID!) { finalizePeriod(periodId: $p) { sequence sha256 } }"
TABLE = "query($p: ID!) { ranking(periodId: $p) { nodes { subjectId total rank grade } } }"


def test_results_changed_after_publication_are_published_again_before_approval(
        live: Live, units: dict[str, str]) -> None:
    """During the 公示 甲's unit appeals its work score and the office upholds it (88 → 95): 甲 95 rank 1 优秀,
    乙 92 rank 2 优秀; both results change. Monday 06-01 + 5 working days: the window ends Sat 06-06 00:00
    Shanghai (06-05 16:00Z); the re-publication on Sat 06-06, as long as the first (the scheme sets no
    window), runs Mon 06-08 to Fri 06-12 and ends 06-12 16:00Z."""
    live.at(local("2026-06-01T10:00:00"))
    admin, auditor = live.token("admin", ""), live.token("auditor", "")
    period = computed(live, units, "pub-appeal")
    p, a, b = period["id"], units["a"], units["b"]
    assert live(admin, PUBLISH, p=p, d=5)["publishResults"] == {"status": "published",
                                                               "closesAt": "2026-06-05T16:00:00Z"}
    appeal = live(live.token("submitter", "city/a"), FILE_APPEAL, p=p, s=a, f=period["facts"]["a"])["fileAppeal"]
    assert live(admin, ANSWER_APPEAL, id=appeal["id"], v=appeal["version"]) == {"answerAppeal": {"status": "upheld"}}
    live.settle(p)
    live.at(local("2026-06-06T10:00:00"))  # the window is over
    reason = ("the results changed after the 公示 of 2026-06-01 10:00 "
              "(UTC+08:00) (publication 1): 2 changed, 0 added, 0 removed")
    refused = live.error(admin, FINALIZE, p=p)
    assert (refused["extensions"]["code"], refused["message"]) == ("CONFLICT", (
        f"the results of period {p} changed after they were published (公示): {reason}; publish them again "
        "before 审定"))

    state = live(admin, PUBLICATION, p=p)["publication"]
    assert {k: state[k] for k in ("status", "sequence", "workingDays", "stale", "staleReason")} == {
        "status": "published", "sequence": 1, "workingDays": 5, "stale": True, "staleReason": reason}
    chinese = httpx.post(f"{live.url}/graphql", json={"query": PUBLICATION, "variables": {"p": p}}, timeout=60,
                         headers={"Authorization": f"Bearer {admin}", "Accept-Language": "zh-CN"}).json()
    assert chinese["data"]["publication"]["staleReason"] == (  # stored without a language, read in the reader's
        "2026年6月1日 10:00（北京时间） 公示（第 1 次）后结果有变化：变动 2 个，新增 0 个，移除 0 个")
    assert live(admin, TABLE, p=p)["ranking"]["nodes"] == [
        {"subjectId": a, "total": "95.00", "rank": 1, "grade": "优秀"},
        {"subjectId": b, "total": "92.00", "rank": 2, "grade": "优秀"}]
    published = csv_rows(live, admin, p, "publication")
    assert published == [["序号", "编号", "名称", "组别", "总分", "名次", "等次", "标签", "公示状态"],
                         ["1", b, "乙街道", "街道", "92.00", "1", "优秀", "", "已失效：结果在公示后变更，待重新公示"],
                         ["2", a, "甲街道", "街道", "88.00", "2", "良好", "", "已失效：结果在公示后变更，待重新公示"]]
    trail = live(auditor, 'query($e: String!) { auditTrail(entityId: $e, first: 100) { nodes { service action '
                          'details } } }', e=p)["auditTrail"]["nodes"]
    why = [n for n in trail if n["action"] == "publication.stale"]
    assert [n["service"] for n in why] == ["ranking"]
    assert {k: why[0]["details"][k] for k in ("reason", "publication", "changed", "added", "removed")} == {
        "reason": reason, "publication": 1, "changed": sorted([a, b]), "added": [], "removed": []}
    # the cause is the event evidence sent when the appeal corrected 甲's fact: its audit record names it
    event = why[0]["details"]["cause"]["causes"].removeprefix("event:")
    corrected = live(auditor, 'query($e: String!) { auditTrail(entityId: $e) { nodes { service action actor '
                              'details } } }', e=period["facts"]["a"])["auditTrail"]["nodes"]
    assert [(n["service"], n["action"], n["details"]["event"] == event) for n in corrected] == [
        ("evidence", "fact.upsert", False), ("evidence", "fact.upsert", True)]
    assert corrected[1]["actor"] == "admin@all"  # the office, answering the appeal

    assert live(admin, PUBLISH, p=p, d=None)["publishResults"] == {"status": "published",
                                                                  "closesAt": "2026-06-12T16:00:00Z"}
    state = live(admin, PUBLICATION, p=p)["publication"]
    assert (state["sequence"], state["workingDays"], state["stale"], state["staleReason"]) == (2, 5, False, None)
    assert csv_rows(live, admin, p, "publication")[1:] == [["1", a, "甲街道", "街道", "95.00", "1", "优秀", ""],
                                                          ["2", b, "乙街道", "街道", "92.00", "2", "优秀", ""]]
    assert live.error(admin, FINALIZE, p=p)["extensions"]["code"] == "CONFLICT"  # the new window runs
    live.at(local("2026-06-13T10:00:00"))
    assert live(admin, FINALIZE, p=p)["finalizePeriod"]["sequence"] == 1


def test_the_scheme_sets_the_window_and_the_shortened_one_of_a_republication(
        live: Live, units: dict[str, str]) -> None:
    """publication: {working_days: 5, republication_working_days: 2}. Published Mon 06-15 (06-19 is the
    Dragon Boat holiday): 06-15, 16, 17, 18, 22 → ends 06-23 00:00 Shanghai (06-22 16:00Z). On Tue 06-16 甲's appeal
    is upheld (88 → 95); republished then, 2 days (06-16, 17) would end 06-18 00:00 (06-17 16:00Z), before the
    window in progress: refused; left out, the days grow: 3 ends 06-18 16:00Z, 4 (06-16, 17, 18, 22) 06-22 16:00Z."""
    live.at(local("2026-06-15T10:00:00"))
    admin = live.token("admin", "")
    period = computed(live, units, "pub-window", publication={"working_days": 5, "republication_working_days": 2})
    p = period["id"]
    short = live.error(admin, PUBLISH, p=p, d=3)
    assert (short["extensions"]["code"], short["message"]) == ("BAD_USER_INPUT", (
        "the scheme sets a publication (公示) at 5 working days at least (publication.working_days); 3 is too "
        "short"))
    assert live(admin, PUBLISH, p=p, d=None)["publishResults"]["closesAt"] == "2026-06-22T16:00:00Z"
    live.at(local("2026-06-16T10:00:00"))
    appeal = live(live.token("submitter", "city/a"), FILE_APPEAL, p=p, s=units["a"],
                  f=period["facts"]["a"])["fileAppeal"]
    assert live(admin, ANSWER_APPEAL, id=appeal["id"], v=appeal["version"]) == {"answerAppeal": {"status": "upheld"}}
    live.settle(p)
    assert live.error(admin, PUBLISH, p=p, d=1)["message"] == (
        "the scheme sets a re-publication at 2 working days at least (publication.republication_working_days); "
        "1 is too short")
    assert live.error(admin, PUBLISH, p=p, d=2)["message"] == (
        "the 公示 in progress (publication 1) was announced until 2026-06-22T16:00:00+00:00; a re-publication may "
        "not end before it: give more working days, or leave them out")
    assert live(admin, PUBLISH, p=p, d=None)["publishResults"]["closesAt"] == "2026-06-22T16:00:00Z"
    assert live(admin, PUBLICATION, p=p)["publication"]["sequence"] == 2
    assert live(admin, PUBLICATION, p=p)["publication"]["workingDays"] == 4


ANSWER_WITH = """mutation($id: ID!, $v: Int!, $pts: String!) { answerAppeal(id: $id, upheld: true,
  replies: ["材料属实,予以更正"], version: $v, correction: {points: $pts}) { status } }"""
HISTORY = """query($p: ID!, $s: ID!) { resultHistory(periodId: $p, subjectId: $s) { nodes { version total rank grade
  cause } } }"""


def test_each_change_after_publication_restates_what_differs_from_it(live: Live, units: dict[str, str]) -> None:
    """丙 80 joins 甲 88 and 乙 92. Published: 乙 92 rank 1 优秀, 甲 88 rank 2 良好, 丙 80 rank 3 良好.
    1. 丙's appeal is upheld (80 → 89): 丙 89 rank 2, 甲 rank 3: two published rows differ, 乙's does not.
    2. 甲's appeal is upheld (88 → 95): 甲 95 rank 1 优秀, 乙 rank 2, 丙 89 rank 3: all three differ."""
    live.at(local("2026-06-22T10:00:00"))
    admin, auditor = live.token("admin", ""), live.token("auditor", "")
    a, b, c = units["a"], units["b"], units["c"]
    p = live.opened_period(scheme("pub-moves"), "2026-Q2", [(a, "街道"), (b, "街道"), (c, "街道")])
    assessor, reviewer = live.token("assessor", "city"), live.token("reviewer", "city")
    facts = {unit: live.approved(assessor, reviewer, {"periodId": p, "subjectId": units[unit], "indicator": "work",
                                                      "fact": "score", "content": {"points": points}})["factId"]
             for unit, points in (("a", "88"), ("b", "92"), ("c", "80"))}
    live.settle(p)
    assert live(admin, PUBLISH, p=p, d=5)["publishResults"]["status"] == "published"
    day = "the results changed after the 公示 of 2026-06-22 10:00 (UTC+08:00) (publication 1)"

    def uphold(unit: str, points: str) -> None:
        appeal = live(live.token("submitter", f"city/{unit}"), FILE_APPEAL, p=p, s=units[unit],
                      f=facts[unit])["fileAppeal"]
        answered = live(admin, ANSWER_WITH, id=appeal["id"], v=appeal["version"], pts=points)
        assert answered == {"answerAppeal": {"status": "upheld"}}
        live.settle(p)

    def stale(changed: int) -> str:
        """The publication's state as the office sees it and the refusal of 审定 both say `changed` results."""
        reason = f"{day}: {changed} changed, 0 added, 0 removed"
        state = live(admin, PUBLICATION, p=p)["publication"]
        assert (state["stale"], state["staleReason"]) == (True, reason)
        assert live.error(admin, FINALIZE, p=p)["message"] == (
            f"the results of period {p} changed after they were published (公示): {reason}; publish them again "
            "before 审定")
        return str(state["staleSince"])

    def stale_records() -> list[dict[str, Any]]:
        trail = live(auditor, 'query($e: String!) { auditTrail(entityId: $e, first: 100) { nodes { service action '
                              'details } } }', e=p)["auditTrail"]["nodes"]
        return [n["details"] for n in trail if n["action"] == "publication.stale"]

    uphold("c", "89")
    assert live(admin, TABLE, p=p)["ranking"]["nodes"] == [
        {"subjectId": b, "total": "92.00", "rank": 1, "grade": "优秀"},
        {"subjectId": c, "total": "89.00", "rank": 2, "grade": "良好"},
        {"subjectId": a, "total": "88.00", "rank": 3, "grade": "良好"}]
    since = stale(2)
    records = stale_records()
    assert [{k: r[k] for k in ("reason", "changed", "added", "removed")} for r in records] == [
        {"reason": f"{day}: 2 changed, 0 added, 0 removed", "changed": sorted([a, c]), "added": [], "removed": []}]
    assert records[0]["cause"]["scores_moved"] == [c]

    uphold("a", "95")
    assert live(admin, TABLE, p=p)["ranking"]["nodes"] == [
        {"subjectId": a, "total": "95.00", "rank": 1, "grade": "优秀"},
        {"subjectId": b, "total": "92.00", "rank": 2, "grade": "优秀"},
        {"subjectId": c, "total": "89.00", "rank": 3, "grade": "良好"}]
    assert stale(3) == since  # stale since the first difference
    records = stale_records()
    assert [{k: r[k] for k in ("reason", "changed", "added", "removed")} for r in records] == [
        {"reason": f"{day}: 2 changed, 0 added, 0 removed", "changed": sorted([a, c]), "added": [], "removed": []},
        {"reason": f"{day}: 3 changed, 0 added, 0 removed", "changed": sorted([a, b, c]), "added": [],
         "removed": []}]
    assert records[1]["cause"]["scores_moved"] == [a]
    # 乙's second version was made by ranking again after 甲's score moved; its own did not
    # (its earlier versions came as the facts were approved one by one, before the 公示)
    history = live(admin, HISTORY, p=p, s=b)["resultHistory"]["nodes"]
    published = history[-2]["version"]
    assert [(h["version"], h["total"], h["rank"], h["grade"]) for h in history[-2:]] == [
        (published, "92.00", 1, "优秀"), (published + 1, "92.00", 2, "优秀")]
    cause = history[-1]["cause"]
    assert (cause["scores_moved"], cause["own_scores_moved"], cause["event"]) == (
        [a], False, records[1]["cause"]["event"])
    assert cause["causes"] == records[1]["cause"]["causes"]  # scoring's: the event evidence sent for the appeal
    assert history[-2]["cause"]["own_scores_moved"] is True  # 乙's own score made the version published
