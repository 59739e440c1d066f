"""`inbox` through the gateway over the real services (issue 17): each part holds what waits for the caller and
nothing of anybody else's, and moves on as the work is done.

Setting (hand-made): 市 with 甲街道 (city/a) and 乙街道 (city/b), one period of a scheme with 重点工作 (manual) and
测评 (rating); business time Monday 2026-06-01 10:00 Shanghai."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.gateway.live import SUBMIT, Live, module_stack
from tests.gateway.test_live_publication import local, scheme

live = module_stack("inbox", local("2026-06-01T10:00:00"))
REVIEWS = "{ inbox { reviews { totalCount nodes { id subjectId status levelName } } } }"
NOTICES = "{ inbox { rectificationNotices { totalCount nodes { id status } } } }"
RATING = {"code": "pj", "name": "测评", "max": 40, "rule": {"kind": "rating", "scale": {"好": 40, "差": 0}}}


@pytest.fixture(scope="module")
def period(live: Live) -> dict[str, str]:
    units = live.city(("甲街道", "a"), ("乙街道", "b"))
    document = scheme("inbox")
    document["indicators"] = [*document["indicators"], RATING]
    p = live.opened_period(document, "2026-Q2", [(units["a"], "街道"), (units["b"], "街道")])
    return {"id": p, **units}


def send(live: Live, period: dict[str, str], unit: str, points: str) -> dict[str, Any]:
    return live(live.token("assessor", "city"), SUBMIT, i={"periodId": period["id"], "subjectId": period[unit],
                                                          "indicator": "work", "fact": "score",
                                                          "content": {"points": points}})["submitEvidence"]


def test_reviews_wait_for_the_reviewers_of_their_unit(live: Live, period: dict[str, str]) -> None:
    sent_a, sent_b = send(live, period, "a", "80"), send(live, period, "b", "70")
    street_a = live(live.token("reviewer", "city/a"), REVIEWS)["inbox"]["reviews"]
    assert street_a["totalCount"] == 1 and street_a["nodes"][0]["id"] == sent_a["id"]
    assert street_a["nodes"][0]["status"] == "pending"
    whole = live(live.token("reviewer", "city"), REVIEWS)["inbox"]["reviews"]
    assert [n["id"] for n in whole["nodes"]] == [sent_a["id"], sent_b["id"]]  # same deadline: oldest first
    assert live(live.token("submitter", "city/a"), REVIEWS)["inbox"]["reviews"]["totalCount"] == 0
    live(live.token("reviewer", "city/a"), """mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id,
        input: {action: "approve", version: $v}) { status } }""", id=sent_a["id"], v=sent_a["version"])
    assert live(live.token("reviewer", "city/a"), REVIEWS)["inbox"]["reviews"]["totalCount"] == 0
    paged = live(live.token("admin", ""), "{ inbox { reviews(first: 1) { totalCount pageInfo { hasNextPage } "
                                          "nodes { id } } } }")["inbox"]["reviews"]
    assert paged == {"totalCount": 1, "pageInfo": {"hasNextPage": False}, "nodes": [{"id": sent_b["id"]}]}


def test_a_notice_waits_for_feedback_then_for_the_signature(live: Live, period: dict[str, str]) -> None:
    notice = live(live.token("assessor", "city"), """mutation($i: RectificationInput!) {
        issueRectificationNotice(input: $i) { id version } }""", i={
        "periodId": period["id"], "subjectId": period["a"], "checkedAt": "2026-06-01T02:00:00+00:00",
        "problem": "台账缺少会议记录", "opinion": "限期补齐", "deadline": "2026-06-10"})["issueRectificationNotice"]
    clerk, head = live.token("submitter", "city/a"), live.token("reviewer", "city/a")
    assert live(clerk, NOTICES)["inbox"]["rectificationNotices"] == {
        "totalCount": 1, "nodes": [{"id": notice["id"], "status": "open"}]}
    assert live(head, NOTICES)["inbox"]["rectificationNotices"]["totalCount"] == 0
    assert live(live.token("submitter", "city/b"), NOTICES)["inbox"]["rectificationNotices"]["totalCount"] == 0
    live(clerk, """mutation($id: ID!, $v: Int!) { answerRectificationNotice(id: $id, feedback: "已补齐", version: $v)
        { version } }""", id=notice["id"], v=notice["version"])
    assert live(clerk, NOTICES)["inbox"]["rectificationNotices"]["totalCount"] == 0
    assert live(head, NOTICES)["inbox"]["rectificationNotices"]["nodes"] == [{"id": notice["id"],
                                                                              "status": "answered"}]


def test_a_rater_sees_its_open_task_until_it_has_answered_all(live: Live, period: dict[str, str]) -> None:
    task = live(live.token("admin", ""), "mutation($t: RatingTaskInput!) { openRatingTask(input: $t) { id } }", t={
        "periodId": period["id"], "indicator": "pj", "kind": "democratic", "scope": "city", "grades": ["好", "差"],
        "round": 1, "closesAt": "2026-06-30T09:00:00+00:00", "subjectIds": [period["a"], period["b"]],
        "raters": [{"rater": "rater@city", "level": "群众", "unitPath": "city"}]})["openRatingTask"]
    rater = live.token("rater", "city")  # subject rater@city, the rater the task names
    query = "{ inbox { ratingTasks { totalCount nodes { taskId level subjects answered closesAt } } } }"
    assert live(rater, query)["inbox"]["ratingTasks"]["nodes"] == [{
        "taskId": task["id"], "level": "群众", "subjects": 2, "answered": 0, "closesAt": "2026-06-30T09:00:00Z"}]
    assert live(live.token("rater", "city/a"), query)["inbox"]["ratingTasks"]["totalCount"] == 0  # not listed
    cast = "mutation($t: ID!, $a: [BallotAnswer!]!) { castBallot(taskId: $t, answers: $a) { taskId } }"
    live(rater, cast, t=task["id"], a=[{"subjectId": period["a"], "grade": "好"}])
    assert live(rater, query)["inbox"]["ratingTasks"]["nodes"][0]["answered"] == 1
    live(rater, cast, t=task["id"], a=[{"subjectId": period["b"], "grade": "差"}])
    assert live(rater, query)["inbox"]["ratingTasks"]["totalCount"] == 0


def test_appeals_and_objections_wait_for_the_office(live: Live, period: dict[str, str]) -> None:
    sent = send(live, period, "b", "75")
    fact = live(live.token("reviewer", "city"), """mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id,
        input: {action: "approve", version: $v}) { factId } }""", id=sent["id"], v=sent["version"])[
        "reviewSubmission"]["factId"]
    appeal = live(live.token("submitter", "city/b"), """mutation($p: ID!, $s: ID!, $f: String!) { fileAppeal(
        periodId: $p, subjectId: $s, factId: $f, points: ["评分偏低"]) { id } }""",
                  p=period["id"], s=period["b"], f=fact)["fileAppeal"]
    appeals = "{ inbox { appeals { totalCount nodes { id status } } } }"
    assert live(live.token("admin", "city/b"), appeals)["inbox"]["appeals"]["nodes"] == [
        {"id": appeal["id"], "status": "open"}]
    assert live(live.token("admin", "city/a"), appeals)["inbox"]["appeals"]["totalCount"] == 0
    assert live(live.token("reviewer", "city"), appeals)["inbox"]["appeals"]["totalCount"] == 0
    # Appeal.overdue (newcomer probe: REST had it, GraphQL did not): open past answerDueAt, the end of the 10th
    # working day after filing, the same in the inbox and in the period's list; the inbox said false even when late
    overdue = """query($p: ID!) { inbox { appeals { nodes { id overdue } } }
        appeals(periodId: $p) { nodes { id overdue } } }"""
    office = live.token("admin", "city/b")
    assert live(office, overdue, p=period["id"]) == {"inbox": {"appeals": {"nodes": [
        {"id": appeal["id"], "overdue": False}]}}, "appeals": {"nodes": [{"id": appeal["id"], "overdue": False}]}}
    # filed Mon 06-01: 06-02..05, 06-08..12, Mon 06-15 (Dragon Boat is 06-19): due at the end of 06-15, Shanghai
    # (2026's arrangement is known: no note that it was counted Monday to Friday)
    assert live(office, "query($p: ID!) { appeals(periodId: $p) { nodes { answerDueAt answerDueNote } } }",
                p=period["id"])["appeals"]["nodes"] == [
        {"answerDueAt": "2026-06-15T15:59:59.999999Z", "answerDueNote": None}]
    live.at(local("2026-06-15T23:59:59"))
    assert live(office, overdue, p=period["id"])["appeals"]["nodes"] == [{"id": appeal["id"], "overdue": False}]
    live.at(local("2026-06-16T00:00:00"))
    assert live(office, overdue, p=period["id"]) == {"inbox": {"appeals": {"nodes": [
        {"id": appeal["id"], "overdue": True}]}}, "appeals": {"nodes": [{"id": appeal["id"], "overdue": True}]}}
    live.at(local("2026-06-01T10:10:00"))

    live.settle(period["id"])
    live(live.token("admin", ""), "mutation($p: ID!) { publishResults(periodId: $p, workingDays: 5) { status } }",
         p=period["id"])
    objection = live(live.token("submitter", "city/b"), """mutation($p: ID!, $s: ID!) { fileObjection(periodId: $p,
        subjectId: $s, reason: "排名有误") { id } }""", p=period["id"], s=period["b"])["fileObjection"]
    objections = "{ inbox { objections { totalCount nodes { id status reason } } } }"
    assert live(live.token("admin", "city"), objections)["inbox"]["objections"]["nodes"] == [
        {"id": objection["id"], "status": "open", "reason": "排名有误"}]
    assert live(live.token("admin", "city/a"), objections)["inbox"]["objections"]["totalCount"] == 0
    live(live.token("admin", ""), 'mutation($id: ID!) { answerObjection(id: $id, answer: "维持") { id } }',
         id=objection["id"])
    assert live(live.token("admin", "city"), objections)["inbox"]["objections"]["totalCount"] == 0


JOURNALS = {"id": "inbox-journals", "version": 1, "title": "机关工作人员月度考核", "subject_kind": "person",
            "period": "month", "groups": ["工作人员"],
            "indicators": [{"code": "business", "name": "业务目标考核(工作周记)", "max": 50,
                            "rule": {"kind": "journal", "scale_max": 50}}]}
DUE = "{ inbox { journalsDue { totalCount nodes { periodId subjectId week indicator dueAt status } } } }"


def test_a_persons_journal_due_this_week(live: Live, period: dict[str, str]) -> None:
    """张三 is rostered W21..W24. A week's journal is due the Monday after it at 23:59:59 Shanghai: on Monday
    2026-06-01 W22 (05-25..05-31) falls due this week (06-01, 15:59:59Z); W21 fell due last week, W23 is due
    next week."""
    admin = live.token("admin", "")
    zhang = live(admin, 'mutation($u: ID!) { createPerson(name: "张三", unitId: $u) { id } }',
                 u=period["a"])["createPerson"]["id"]
    p = live.opened_period(JOURNALS, "2026-06", [(zhang, "工作人员")])
    live(admin, """mutation($p: String!, $s: [String!]!) { setJournalRoster(input: {periodId: $p, subjectIds: $s,
        firstWeek: "2026-W21", lastWeek: "2026-W24"}) { people } }""", p=p, s=[zhang])
    me = live.token("subject", "city/a", subject_ids=[zhang])
    assert live(me, DUE)["inbox"]["journalsDue"] == {"totalCount": 1, "nodes": [{
        "periodId": p, "subjectId": zhang, "week": "2026-W22", "indicator": "business",
        "dueAt": "2026-06-01T15:59:59Z", "status": "due"}]}
    assert live(live.token("subject", "city/a", subject_ids=["someone-else"]), DUE)["inbox"]["journalsDue"][
        "totalCount"] == 0
    live(me, """mutation($i: JournalInput!) { submitJournal(input: $i) { week status } }""", i={
        "periodId": p, "subjectId": zhang, "week": "2026-W22", "text": "本周完成台账整理", "points": "45"})
    assert live(me, DUE)["inbox"]["journalsDue"]["totalCount"] == 0


def test_a_rating_task_off_the_callers_branch_reads_as_one_that_does_not_exist(
        live: Live, period: dict[str, str]) -> None:
    """Probe defects: `ratingResponses` and `node` of a task of 甲街道's office (scope city/a) answer an office and an
    auditor of 乙街道 (city/b) exactly as an id of nothing; the office of city/a reads it."""
    task = live(live.token("admin", ""), "mutation($t: RatingTaskInput!) { openRatingTask(input: $t) { id } }", t={
        "periodId": period["id"], "indicator": "pj", "kind": "democratic", "scope": "city/a", "grades": ["好", "差"],
        "round": 1, "closesAt": "2026-06-30T09:00:00+00:00", "subjectIds": [period["a"]],
        "raters": [{"rater": "rater@city/a", "level": "群众", "unitPath": "city/a"}]})["openRatingTask"]["id"]
    responses = "query($t: ID!) { ratingResponses(taskId: $t) { raters responded } }"
    node = "query($n: ID!) { node(id: $n) { __typename } }"

    def errors(token: str, document: str, **variables: str) -> list[tuple[str, str]]:
        answer = live.http.post(f"{live.url}/graphql", json={"query": document, "variables": variables},
                                headers={"Authorization": f"Bearer {token}"}).json()
        return [(e["extensions"]["code"], e["message"]) for e in answer.get("errors", [])]

    def node_id(task_id: str) -> str:
        return base64.b64encode(f"RatingTask:{task_id}".encode()).decode()

    for role in ("admin", "auditor"):
        outsider = live.token(role, "city/b")
        for task_id in (task, "nosuch"):
            assert errors(outsider, responses, t=task_id) == [("NOT_FOUND", f"rating task {task_id} not found")], role
            # a node read is the office's (who may close the task): an auditor is refused it whatever the id
            assert errors(outsider, node, n=node_id(task_id)) == (
                [("NOT_FOUND", f"rating task {task_id} not found")] if role == "admin"
                else [("FORBIDDEN", f"auditor@city/b may not read rating task {task_id}")])
    office = live.token("admin", "city/a")
    assert live(office, responses, t=task) == {"ratingResponses": {"raters": 1, "responded": 0}}
