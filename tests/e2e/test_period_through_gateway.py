"""A whole period of a small scheme through the gateway only: units, scheme, period, evidence with
an attachment, reviews, scores, ranking, publication (公示), an objection and its answer, the
refusal to finalize early, then (the stack's clock moved past the window through KAOHE_CLOCK_FILE)
approval (审定) with its snapshot hash, a refused write, a reopening with its reason, and the
auditor's questions read back. Each step is a test of its own, in order, sharing the stack and what the
steps before made (`world`), so one failing step does not hide the others' results.

Scheme (hand-worked): 重点工作 manual /60, 台账完成率 ratio /40 (target 1, proportional below),
民主测评 rating /10 (好 10, 较好 8, 一般 6, 差 0) from one rater's ballot.
甲街道: 55 + 40 × 9/10 + 10 (好) = 101 → rank 1, 优秀 (≥ 100.5);
乙街道: 50 + 40 × 10/10 + 8 (较好) = 98 → rank 2, 良好.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.auth import development_token
from services.common.auth import Grant
from services.common.settings import Settings
from tests.e2e.stack import RunningStack, stack_env, start_stack
from tests.graphql_http import GraphQLOverHTTP

pytestmark = pytest.mark.e2e

SECRET = "e2e-gateway-secret-0123456789abcdef"
SCHEME = {
    "id": "e2e-street", "version": 1, "title": "街道季度考核(端到端)", "subject_kind": "unit", "period": "quarter",
    "precision": 2, "groups": ["街道"],
    "indicators": [
        {"code": "work", "name": "重点工作", "max": 60, "rule": {"kind": "manual"}},
        {"code": "rate", "name": "台账完成率", "max": 40, "rule": {"kind": "ratio", "target": 1}},
        {"code": "pj", "name": "民主测评", "max": 10,
         "rule": {"kind": "rating", "scale": {"好": 10, "较好": 8, "一般": 6, "差": 0}}},
    ],
    "ranking": {"scope": "group", "order": ["total"]},
    "grading": {"bands": [{"grade": "优秀", "min": "100.5"}, {"grade": "良好", "min": 75}, {"grade": "合格"}]},
}


class Gateway(GraphQLOverHTTP):
    """GraphQL over HTTP with development tokens."""

    def __init__(self, stack: RunningStack, clock_file: Path) -> None:
        super().__init__(stack.url("gateway"))
        self.settings = Settings(jwt_secret=SECRET)
        self.clock_file = clock_file

    def advance_past(self, moment: datetime) -> None:
        """Move every service's clock to a minute after `moment` (services/common/clock.py)."""
        seconds = (moment - datetime.now(UTC)).total_seconds() + 60
        self.clock_file.write_text(f"{seconds:.3f}\n", encoding="utf-8")

    def token(self, role: str, scope: str, subject_ids: list[str] | None = None) -> str:
        return development_token(self.settings, subject=f"{role}-{scope or 'all'}", ttl_seconds=600,
                                 grants=[Grant(role, scope)], subject_ids=subject_ids)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = Path(tmp_path_factory.mktemp("stack"))
    clock_file = folder / "clock-offset"
    env, ports = stack_env(folder / "data", KAOHE_JWT_SECRET=SECRET, KAOHE_CLOCK_FILE=clock_file)
    stack = start_stack(env, ports)
    try:
        yield Gateway(stack, clock_file)
    finally:
        assert stack.stop() == 0


UNIT = "mutation($name: String!, $slug: String!, $parent: ID) { createUnit(name: $name, slug: $slug, " \
       "parentId: $parent) { id path } }"
SUBMIT = """mutation($input: EvidenceInput!) { submitEvidence(input: $input) { id status version kind } }"""
REVIEW = """mutation($id: ID!, $version: Int!) {
  reviewSubmission(id: $id, input: {action: "approve", version: $version}) { id status reviews { decision } } }"""
PAGE = """query($p: ID!) { subjects(periodId: $p, first: 10) { totalCount nodes { id name group
  score { total indicators { code value } } result { total rank grade } } } }"""


@dataclass
class World:
    """What the steps below made, for the steps after them."""

    admin: str
    auditor: str
    a: dict[str, Any] = field(default_factory=dict)  # 甲街道
    b: dict[str, Any] = field(default_factory=dict)  # 乙街道
    p: str = ""  # the period
    submissions: list[dict[str, Any]] = field(default_factory=list)
    ends_at: datetime | None = None  # the end of the publication window


@pytest.fixture(scope="module")
def world(gw: Gateway) -> World:
    return World(admin=gw.token("admin", ""), auditor=gw.token("auditor", ""))


def test_units_scheme_and_period(gw: Gateway, world: World) -> None:
    admin = world.admin
    city = gw(admin, UNIT, name="市", slug="city")["createUnit"]
    a = gw(admin, UNIT, name="甲街道", slug="a", parent=city["id"])["createUnit"]
    b = gw(admin, UNIT, name="乙街道", slug="b", parent=city["id"])["createUnit"]
    assert (a["path"], b["path"]) == ("city/a", "city/b")
    world.a, world.b = a, b

    draft = gw(admin, "mutation($d: JSON!) { createScheme(document: $d) { id version status revision } }",
               d=SCHEME)["createScheme"]
    assert (draft["id"], draft["version"], draft["status"]) == ("e2e-street", 1, "draft")
    published = gw(admin, "mutation($r: Int!) { publishScheme(id: \"e2e-street\", version: 1, revision: $r) "
                          "{ status indicators { code max } } }", r=draft["revision"])["publishScheme"]
    assert published == {"status": "published", "indicators": [
        {"code": "work", "max": "60"}, {"code": "rate", "max": "40"}, {"code": "pj", "max": "10"}]}
    period = gw(admin, """mutation($s: [EnrolmentInput!]!) { openPeriod(input: {schemeId: "e2e-street",
        schemeVersion: 1, label: "2026-Q1", subjects: $s}) { id status subjectCount } }""",
                s=[{"id": a["id"], "group": "街道"}, {"id": b["id"], "group": "街道"}])["openPeriod"]
    world.p = p = period["id"]
    assert (period["status"], period["subjectCount"]) == ("open", 2)
    status = gw(admin, 'mutation($p: ID!) { setPeriodStatus(periodId: $p, status: "collecting") { status } }', p=p)
    assert status == {"setPeriodStatus": {"status": "collecting"}}


def test_evidence_with_an_attachment(gw: Gateway, world: World) -> None:
    """The assessor scores 重点工作, each unit reports its 台账 ratio; an attachment streamed through the gateway."""
    a, b, p = world.a, world.b, world.p
    assessor = gw.token("assessor", "city")
    submitter_a, submitter_b = gw.token("submitter", "city/a"), gw.token("submitter", "city/b")
    evidence = [
        (assessor, a, "work", "score", {"points": "55", "assessor": "考核办"}),
        (submitter_a, a, "rate", "measure", {"numerator": "9", "denominator": "10"}),
        (assessor, b, "work", "score", {"points": "50", "assessor": "考核办"}),
        (submitter_b, b, "rate", "measure", {"numerator": "10", "denominator": "10"}),
    ]
    for token, unit, indicator, kind, content in evidence:
        made = gw(token, SUBMIT, input={"periodId": p, "subjectId": unit["id"], "indicator": indicator,
                                        "fact": kind, "content": content})["submitEvidence"]
        assert (made["status"], made["version"], made["kind"]) == ("pending", 1, kind)
        world.submissions.append(made)
    refused = gw.error(submitter_a, SUBMIT, input={"periodId": p, "subjectId": b["id"], "indicator": "rate",
                                                   "fact": "measure", "content": {"value": "1"}})
    # another unit's subject is answered as one not in the period: the submitter learns nothing about it
    assert refused["extensions"]["code"] == "NOT_FOUND"
    assert refused["message"] == f"subject {b['id']} is not enrolled in period {p}"

    pdf = b"%PDF-1.4\n" + "台账扫描件".encode() * 1000
    upload = httpx.post(f"{gw.url}/uploads/submissions/{world.submissions[1]['id']}/attachments",
                        files={"file": ("台账.pdf", pdf, "application/pdf")},
                        headers={"Authorization": f"Bearer {submitter_a}"}, timeout=30)
    assert upload.status_code == 201, upload.text
    assert upload.json()["sha256"] == hashlib.sha256(pdf).hexdigest()
    one = "query($id: ID!) { submission(id: $id) { attachments { fileName size sha256 } } }"
    seen = gw(submitter_a, one, id=world.submissions[1]["id"])
    assert seen["submission"]["attachments"] == [
        {"fileName": "台账.pdf", "size": len(pdf), "sha256": hashlib.sha256(pdf).hexdigest()}]
    hidden = gw.error(submitter_b, one, id=world.submissions[1]["id"])
    assert hidden["extensions"]["code"] == "NOT_FOUND"  # evidence does not even admit it exists


def test_reviews_ratings_and_rectification(gw: Gateway, world: World) -> None:
    """Approved evidence becomes facts, which flow to scoring and on to ranking."""
    reviewer = gw.token("reviewer", "city")
    for made in world.submissions:
        reviewed = gw(reviewer, REVIEW, id=made["id"], version=made["version"])["reviewSubmission"]
        assert reviewed["status"] == "approved" and reviewed["reviews"] == [{"decision": "approve"}]
    rate_the_units(gw, world.admin, world.p, world.a, world.b)
    rectify(gw, world.p, world.a)


def test_scores_reach_the_ranking(gw: Gateway, world: World) -> None:
    b, p = world.b, world.p

    def settled(data: dict[str, Any]) -> bool:  # ranking has caught up with scoring's latest totals
        nodes = data["subjects"]["nodes"]
        return all(n["score"] and n["result"] and Decimal(n["result"]["total"]) == Decimal(n["score"]["total"])
                   for n in nodes) and {Decimal(n["score"]["total"]) for n in nodes} == {Decimal(101), Decimal(98)}

    page = gw.wait(world.auditor, PAGE, settled, p=p)
    rows = {n["name"]: (Decimal(n["score"]["total"]), n["result"]["rank"], n["result"]["grade"])
            for n in page["subjects"]["nodes"]}
    assert rows == {"甲街道": (Decimal(101), 1, "优秀"), "乙街道": (Decimal(98), 2, "良好")}
    table = "query($p: ID!) { ranking(periodId: $p) { nodes { subjectId rank grade } } }"
    assert gw(gw.token("assessor", "city/b"), table, p=p) == {"ranking": {"nodes": [
        {"subjectId": b["id"], "rank": 2, "grade": "良好"}]}}  # only its own part of the table
    # a unit's own account reads its own rows of the 公示, and before it nothing; a submitter over the city is no
    # unit's account (docs/api.md)
    assert gw(gw.token("submitter", "city/a"), table, p=p) == {"ranking": {"nodes": []}}
    assert gw(gw.token("submitter", "city"), table, p=p) == {"ranking": {"nodes": []}}


def test_an_appeal_answered_point_by_point(gw: Gateway, world: World) -> None:
    """An appeal (申诉) of the 重点工作 score, answered point by point and dismissed."""
    admin, a, p = world.admin, world.a, world.p
    fact_id = gw(admin, "query($id: ID!) { submission(id: $id) { factId } }", id=world.submissions[0]["id"])
    appeal = gw(subject_a_token(gw, a), """mutation($p: ID!, $s: ID!, $f: String!) { fileAppeal(periodId: $p,
        subjectId: $s, factId: $f, points: ["重点工作已全部完成,不应扣5分"]) { id status points version } }""",
                p=p, s=a["id"], f=fact_id["submission"]["factId"])["fileAppeal"]
    assert (appeal["status"], appeal["points"]) == ("open", ["重点工作已全部完成,不应扣5分"])
    dismissed = gw(admin, """mutation($id: ID!, $v: Int!) { answerAppeal(id: $id, upheld: false,
        replies: ["经复核,第三项工作未按期完成,扣分属实"], version: $v) { status replies } }""",
                   id=appeal["id"], v=appeal["version"])["answerAppeal"]
    assert dismissed["replies"] == ["经复核,第三项工作未按期完成,扣分属实"]
    listed_appeals = gw(world.auditor, "query($p: ID!, $s: ID!) { appeals(periodId: $p, subjectId: $s) "
                                       "{ totalCount } }", p=p, s=a["id"])
    assert listed_appeals == {"appeals": {"totalCount": 1}}


def test_publication_an_objection_and_no_early_approval(gw: Gateway, world: World) -> None:
    """Publication (公示), an objection by the subject itself and its answer; 审定 refused until due."""
    admin, a, p = world.admin, world.a, world.p
    publication = gw(admin, "mutation($p: ID!) { publishResults(periodId: $p, workingDays: 5) { status closesAt } }",
                     p=p)
    assert publication["publishResults"]["status"] == "published"
    subject_a = subject_a_token(gw, a)
    objection = gw(subject_a, """mutation($p: ID!, $s: ID!) { fileObjection(periodId: $p, subjectId: $s,
        reason: "台账已补齐") { id status reason } }""", p=p, s=a["id"])["fileObjection"]
    assert objection["reason"] == "台账已补齐"
    answered = gw(admin, 'mutation($id: ID!) { answerObjection(id: $id, answer: "经核实,维持原结果") { answer } }',
                  id=objection["id"])
    assert answered == {"answerObjection": {"answer": "经核实,维持原结果"}}
    listed = gw(subject_a, "query($p: ID!, $s: ID!) { objections(periodId: $p, subjectId: $s) "
                           "{ nodes { id answer } } }", p=p, s=a["id"])
    assert listed == {"objections": {"nodes": [{"id": objection["id"], "answer": "经核实,维持原结果"}]}}
    # the window has not ended: 审定 is refused until it does
    early = gw.error(admin, "mutation($p: ID!) { finalizePeriod(periodId: $p) { sha256 } }", p=p)
    assert early["extensions"]["code"] == "CONFLICT"
    assert early["message"].startswith(f"the publication of period {p} runs until")
    world.ends_at = datetime.fromisoformat(early["extensions"]["details"]["publication_ends_at"])
    assert world.ends_at == datetime.fromisoformat(publication["publishResults"]["closesAt"].replace("Z", "+00:00"))


def test_the_auditors_questions(gw: Gateway, world: World) -> None:
    auditor, a, p = world.auditor, world.a, world.p
    about = {"p": p, "s": a["id"]}
    history = gw(auditor, """query($p: ID!, $s: ID!) { scoreHistory(periodId: $p, subjectId: $s, indicator: "total")
        { nodes { value cause factIds createdAt } } }""", **about)["scoreHistory"]["nodes"]
    assert Decimal(history[-1]["value"]) == Decimal(101) and history[-1]["cause"]
    assert len(history[-1]["factIds"]) == 3
    as_of = "query($p: ID!, $s: ID!, $at: DateTime!) { scoreAsOf(periodId: $p, subjectId: $s, at: $at) { value } }"
    now = gw(auditor, as_of, at="2100-01-01T00:00:00+00:00", **about)
    assert Decimal(now["scoreAsOf"]["value"]) == Decimal(101)
    assert gw(auditor, as_of, at="2000-01-01T00:00:00+00:00", **about) == {"scoreAsOf": None}
    explained = gw(auditor, "query($p: ID!, $s: ID!) { explain(periodId: $p, subjectId: $s) "
                            "{ indicators { code value } explain } }", **about)["explain"]
    assert {i["code"]: Decimal(i["value"]) for i in explained["indicators"]} == {"work": 55, "rate": 36, "pj": 10}
    results = gw(auditor, "query($p: ID!, $s: ID!) { resultHistory(periodId: $p, subjectId: $s) "
                          "{ nodes { version rank grade } } }", **about)["resultHistory"]["nodes"]
    assert (results[-1]["rank"], results[-1]["grade"]) == (1, "优秀")
    assert [r["version"] for r in results] == sorted(r["version"] for r in results)
    assert gw(auditor, "query($p: ID!) { snapshots(periodId: $p) { totalCount } }", p=p) == {
        "snapshots": {"totalCount": 0}}  # not finalized yet
    assert gw(auditor, "query($p: ID!) { verifyPeriod(periodId: $p) { ok } }", p=p) == {"verifyPeriod": {"ok": True}}
    trail = "query($e: String!) { auditTrail(entityId: $e, first: 100) { nodes { service action } } }"
    assert {"scoring", "ranking"} <= {n["service"] for n in gw(auditor, trail, e=p)["auditTrail"]["nodes"]}
    for service in ("EVIDENCE", "SCORING", "RANKING"):
        verified = gw(auditor, "query($s: Service!) { verifyAuditChain(service: $s) { ok } }", s=service)
        assert verified == {"verifyAuditChain": {"ok": True}}
    assert gw.error(subject_a_token(gw, a), trail, e=p)["extensions"]["code"] == "FORBIDDEN"


def test_approval_and_a_formal_reopening(gw: Gateway, world: World) -> None:
    assert world.ends_at is not None, "the publication step did not run"
    approve_and_reopen(gw, world.p, world.ends_at)


FINALIZE = "mutation($p: ID!) { finalizePeriod(periodId: $p) { periodId sequence sha256 finalizedBy finalizedAt } }"
SNAPSHOTS = "query($p: ID!) { snapshots(periodId: $p) { totalCount nodes { sequence sha256 } } }"


def approve_and_reopen(gw: Gateway, p: str, ends_at: datetime) -> None:
    """审定 once the window is over (the clock moved), the frozen period, and a formal reopening."""
    admin, auditor = gw.token("admin", ""), gw.token("auditor", "")
    gw.advance_past(ends_at)
    snapshot = gw(admin, FINALIZE, p=p)["finalizePeriod"]
    assert (snapshot["periodId"], snapshot["sequence"], snapshot["finalizedBy"]) == (p, 1, "admin-all")
    assert re.fullmatch("[0-9a-f]{64}", snapshot["sha256"])
    assert datetime.fromisoformat(snapshot["finalizedAt"].replace("Z", "+00:00")) > ends_at  # the moved clock
    frozen = {"snapshots": {"totalCount": 1, "nodes": [{"sequence": 1, "sha256": snapshot["sha256"]}]}}
    assert gw(auditor, SNAPSHOTS, p=p) == frozen
    assert gw(admin, SNAPSHOTS, p=p) == frozen  # stable when read back again
    assert gw(auditor, "query($p: ID!) { publication(periodId: $p) { status finalizedAt } }", p=p) == {
        "publication": {"status": "finalized", "finalizedAt": snapshot["finalizedAt"]}}

    lists_and_exports(gw, p)

    # nothing about a finalized period changes: a write is refused with a stable code
    refused = gw.error(admin, "mutation($p: ID!) { publishResults(periodId: $p, workingDays: 1) { status } }", p=p)
    assert (refused["extensions"]["code"], refused["extensions"]["reason"]) == ("CONFLICT", "conflict")
    assert refused["extensions"]["details"] == {"period_id": p, "status": "finalized"}
    assert gw.error(admin, FINALIZE, p=p)["extensions"]["code"] == "CONFLICT"  # no second snapshot either

    # a formal reopening, with its reason, by the office only
    reopen = 'mutation($p: ID!) { reopenPeriod(periodId: $p, reason: "台账数据更正") ' \
             "{ status reopenCount finalizedAt } }"
    assert gw.error(auditor, reopen, p=p)["extensions"]["code"] == "FORBIDDEN"
    assert gw(admin, reopen, p=p) == {"reopenPeriod": {"status": "computed", "reopenCount": 1, "finalizedAt": None}}
    assert gw(auditor, SNAPSHOTS, p=p) == frozen  # the snapshot stays, with its hash
    reopenings = "query($p: ID!) { reopenings(periodId: $p) { nodes { reason snapshotSequence reopenedBy } } }"
    assert gw(auditor, reopenings, p=p) == {"reopenings": {"nodes": [
        {"reason": "台账数据更正", "snapshotSequence": 1, "reopenedBy": "admin-all"}]}}

    # the auditor reads the finalize and the reopening back
    trail = "query($e: String!) { auditTrail(entityId: $e, first: 100) { nodes { service action actor details } } }"
    ranking_trail = [n for n in gw(auditor, trail, e=p)["auditTrail"]["nodes"] if n["service"] == "ranking"]
    actions = [n["action"] for n in ranking_trail]
    assert actions.index("period.finalized") < actions.index("period.reopened")
    finalized = ranking_trail[actions.index("period.finalized")]
    assert (finalized["actor"], finalized["details"]) == ("admin-all", {"sequence": 1, "sha256": snapshot["sha256"]})
    reopened = ranking_trail[actions.index("period.reopened")]
    assert (reopened["actor"], reopened["details"]) == ("admin-all", {"reason": "台账数据更正"})
    for service in ("EVIDENCE", "SCORING", "RANKING"):
        verified = gw(auditor, "query($s: Service!) { verifyAuditChain(service: $s) { ok } }", s=service)
        assert verified == {"verifyAuditChain": {"ok": True}}


def subject_a_token(gw: Gateway, unit: dict[str, Any]) -> str:
    """甲街道 itself (a `subject` principal that *is* the unit)."""
    return gw.token("subject", unit["path"], subject_ids=[unit["id"]])


def rate_the_units(gw: Gateway, admin: str, period: str, a: dict[str, Any], b: dict[str, Any]) -> None:
    """民主测评: the office opens a task, the one rater fills in their own ballot, the office closes it."""
    task = gw(admin, "mutation($t: RatingTaskInput!) { openRatingTask(input: $t) { id status version grades } }",
              t={"periodId": period, "indicator": "pj", "kind": "democratic", "scope": "city",
                 "grades": ["好", "较好", "一般", "差"], "round": 1, "closesAt": "2100-01-01T00:00:00+00:00",
                 "subjectIds": [a["id"], b["id"]],
                 "raters": [{"rater": "rater-city", "level": "群众", "unitPath": "city"}]})["openRatingTask"]
    assert task["grades"] == ["好", "较好", "一般", "差"]
    rater = gw.token("rater", "city")  # subject "rater-city", the rater named in the task
    ballot = gw(rater, "query($t: ID!) { myBallot(taskId: $t) { lines { subjectId answered } } }", t=task["id"])
    assert sorted((line["subjectId"], line["answered"]) for line in ballot["myBallot"]["lines"]) == sorted(
        [(a["id"], False), (b["id"], False)])
    cast = gw(rater, """mutation($t: ID!, $a: [BallotAnswer!]!) { castBallot(taskId: $t, answers: $a) {
        lines { subjectId grade } } }""", t=task["id"],
              a=[{"subjectId": a["id"], "grade": "好"}, {"subjectId": b["id"], "grade": "较好"}])
    given = {line["subjectId"]: line["grade"] for line in cast["castBallot"]["lines"]}
    assert given == {a["id"]: "好", b["id"]: "较好"}
    responses = gw(admin, "query($t: ID!) { ratingResponses(taskId: $t) { raters responded } }", t=task["id"])
    assert responses == {"ratingResponses": {"raters": 1, "responded": 1}}
    assert gw.error(gw.token("rater", "city/a"), "query($t: ID!) { ratingResponses(taskId: $t) { raters } }",
                    t=task["id"])["extensions"]["code"] == "FORBIDDEN"
    closed = gw(admin, "mutation($t: ID!, $v: Int!) { closeRatingTask(taskId: $t, version: $v) { status } }",
                t=task["id"], v=task["version"])
    assert closed == {"closeRatingTask": {"status": "closed"}}


def rectify(gw: Gateway, period: str, a: dict[str, Any]) -> None:
    """问题整改单: the assessor issues it during the period (its deadline is ahead and within the period's grace, by the
    stack's clock), the unit answers, its head (a reviewer) signs."""
    gw.advance_past(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    try:
        notice = gw(gw.token("assessor", "city"), """mutation($i: RectificationInput!) {
            issueRectificationNotice(input: $i) { id status version problem } }""", i={
            "periodId": period, "subjectId": a["id"], "checkedAt": "2026-03-02T02:00:00+00:00",
            "problem": "台账缺少会议记录", "opinion": "限期补齐", "deadline": "2026-03-09"})["issueRectificationNotice"]
    finally:
        time.sleep(0.02)  # a new mtime, so the clock re-reads the file
        gw.clock_file.write_text("0\n", encoding="utf-8")
    assert notice["problem"] == "台账缺少会议记录"
    answered = gw(gw.token("submitter", "city/a"), """mutation($id: ID!, $v: Int!) {
        answerRectificationNotice(id: $id, feedback: "已补齐会议记录", version: $v) { feedback version } }""",
                  id=notice["id"], v=notice["version"])["answerRectificationNotice"]
    assert answered["feedback"] == "已补齐会议记录"
    signed = gw(gw.token("reviewer", "city/a"), """mutation($id: ID!, $v: Int!) {
        signRectificationNotice(id: $id, version: $v) { signedBy } }""", id=notice["id"], v=answered["version"])
    assert signed == {"signRectificationNotice": {"signedBy": "reviewer-city/a"}}
    listed = gw(gw.token("auditor", ""), "query($p: ID!, $s: ID!) { rectificationNotices(periodId: $p, "
                                         "subjectId: $s) { nodes { feedback signedBy } } }", p=period, s=a["id"])
    assert listed["rectificationNotices"]["nodes"] == [{"feedback": "已补齐会议记录", "signedBy": "reviewer-city/a"}]


def lists_and_exports(gw: Gateway, p: str) -> None:
    """The caller's periods and schemes, and ranking's exports streamed through the gateway."""
    auditor = gw.token("auditor", "")
    periods = "{ periods(first: 10) { totalCount nodes { id label } pageInfo { hasNextPage endCursor } } }"
    listed = gw(gw.token("submitter", "city/b"), periods)["periods"]  # the scheme (and period) belong to the root
    assert (listed["totalCount"], listed["nodes"], listed["pageInfo"]["hasNextPage"]) == (
        1, [{"id": p, "label": "2026-Q1"}], False)
    after = gw(auditor, "query($a: String) { periods(first: 10, after: $a) { totalCount nodes { id } } }",
               a=listed["pageInfo"]["endCursor"])
    assert after == {"periods": {"totalCount": 1, "nodes": []}}
    schemes = gw(auditor, "{ schemes { nodes { id version status ownerPath versionCount } } }")
    assert schemes == {"schemes": {"nodes": [
        {"id": "e2e-street", "version": 1, "status": "published", "ownerPath": "", "versionCount": 1}]}}

    def download(token: str, name: str) -> httpx.Response:
        return httpx.get(f"{gw.url}/exports/periods/{p}/{name}", headers={"Authorization": f"Bearer {token}"},
                         timeout=30)

    table = download(auditor, "ranking.csv")
    assert table.status_code == 200, table.text
    assert table.headers["content-type"].startswith("text/csv")
    text = table.content.decode("utf-8-sig")
    assert "甲街道" in text and "乙街道" in text
    own = download(gw.token("assessor", "city/b"), "ranking.csv").content.decode("utf-8-sig")
    assert "乙街道" in own and "甲街道" not in own  # ranking leaves out rows outside the caller's scope
    workbook = download(auditor, "publication.xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"  # an xlsx is a zip
    refused = download(gw.token("submitter", "city/a"), "ranking.csv")
    assert (refused.status_code, refused.json()["errors"][0]["extensions"]["code"]) == (403, "FORBIDDEN")
