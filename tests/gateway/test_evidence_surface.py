"""The evidence operations of issue #6 through the gateway against the real evidence service
(scoring faked over HTTP, as in tests/evidence): review chains, corrections with optimistic
concurrency, journal rosters, excused weeks and make-ups, attachment download with its SHA-256,
and a page of submissions with attachments and reviews at a constant number of backend calls.

Dates as in tests/evidence/test_journals.py: W07's trip ends Fri 2026-02-13; five working days
after it (Sat 02-14 is a make-up working day, 02-15..23 the Spring Festival holiday) end on
02-27, so a make-up at 2026-02-27 23:59:59 Shanghai is in time."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx
import pytest

from gateway.clients import Clients
from services.common.settings import Settings
from services.evidence.app import app as evidence_app
from tests.conftest import auth
from tests.evidence.conftest import Clock, FakeScoring

PERIOD = "2026-Q1"
PDF = b"%PDF-1.7\n" + "台账".encode() * 500 + b"\n%%EOF\n"


class OneAtATime(httpx.AsyncBaseTransport):
    """The test's evidence database is one connection (rolled back at the end): requests the gateway
    sends concurrently (two DataLoader batches) take turns on it. The ASGI transport reads each
    response whole, so holding the lock for a request holds it for its whole database work."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.lock = inner, asyncio.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self.lock:
            return await self.inner.handle_async_request(request)


class RealEvidence:
    """Clients whose evidence is the real service app; scoring is tests/evidence's fake."""

    def __init__(self, scoring: FakeScoring) -> None:
        self.scoring = scoring

    def clients(self) -> Clients:
        unavailable = httpx.MockTransport(lambda _: httpx.Response(503, json={"error": {"code": "unavailable"}}))
        return Clients(Settings(), transports={"evidence": OneAtATime(httpx.ASGITransport(app=evidence_app)),
                                               "scoring": httpx.MockTransport(self.scoring),
                                               "ranking": unavailable})


@pytest.fixture
def backend(client: httpx.AsyncClient, scoring: FakeScoring) -> RealEvidence:
    return RealEvidence(scoring)


async def _gql(gateway: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any) -> dict[str, Any]:
    response = await gateway.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _data(gateway: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any) -> Any:
    body = await _gql(gateway, headers, query, **variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


async def _code(gateway: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any) -> str:
    body = await _gql(gateway, headers, query, **variables)
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


SUBMIT = """mutation($v: String!) { submitEvidence(input: {periodId: "2026-Q1", subjectId: "p001",
  indicator: "output", fact: "measure", content: {value: $v}}) { id version levelName value } }"""
CORRECT = """mutation($id: ID!, $v: String!, $version: Int!) {
  correctSubmission(id: $id, input: {content: {value: $v}, version: $version, justification: "更正"}) {
    id version status level levelName value } }"""
CHAINS = '{ reviewChains(schemeId: "meiling") { indicator version levels { name scope workingDays } } }'
SET_CHAIN = """mutation($levels: [ReviewLevelInput!]!) {
  setReviewChain(schemeId: "meiling", indicator: "output", levels: $levels) { indicator version
    levels { name scope workingDays } } }"""


async def test_review_chain_is_set_read_and_used(gateway: httpx.AsyncClient, bearer: Any) -> None:
    admin, reviewer = bearer(("admin", "")), bearer(("reviewer", "city/a"))
    levels = [{"name": "科室负责人", "workingDays": 3}, {"name": "分管领导", "scope": "city", "workingDays": 2}]
    assert await _code(gateway, bearer(("admin", "city/a")), SET_CHAIN, levels=levels) == "FORBIDDEN"
    assert (await _data(gateway, reviewer, CHAINS))["reviewChains"] == []
    first = (await _data(gateway, admin, SET_CHAIN, levels=levels))["setReviewChain"]
    assert first == {"indicator": "output", "version": 1, "levels": [
        {"name": "科室负责人", "scope": None, "workingDays": 3},
        {"name": "分管领导", "scope": "city", "workingDays": 2}]}
    again = (await _data(gateway, admin, SET_CHAIN, levels=levels[1:]))["setReviewChain"]
    assert (again["version"], [lv["name"] for lv in again["levels"]]) == (2, ["分管领导"])
    assert (await _data(gateway, reviewer, CHAINS))["reviewChains"] == [again]
    # a submission of that indicator starts at the chain's first (now only) level
    submitted = (await _data(gateway, bearer(("submitter", "city/a")), SUBMIT, v="0.9"))["submitEvidence"]
    assert submitted["levelName"] == "分管领导"
    assert await _code(gateway, bearer(("rater", "")), CHAINS) == "FORBIDDEN"


async def test_correction_makes_a_new_version_and_a_stale_version_is_a_conflict(
        gateway: httpx.AsyncClient, bearer: Any) -> None:
    alice = bearer(("submitter", "city/a"), subject="alice")
    submitted = (await _data(gateway, alice, SUBMIT, v="0.8"))["submitEvidence"]
    assert (submitted["version"], submitted["value"]) == (1, {"value": "0.8"})
    corrected = (await _data(gateway, alice, CORRECT, id=submitted["id"], v="0.85", version=1))["correctSubmission"]
    assert corrected == {"id": submitted["id"], "version": 2, "status": "pending", "level": 0, "levelName": "审核",
                         "value": {"value": "0.85"}}
    stale = await _gql(gateway, alice, CORRECT, id=submitted["id"], v="0.9", version=1)
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert stale["errors"][0]["extensions"]["details"] == {"version": 1, "current": 2}
    # outside the unit evidence does not admit the submission exists; a reader who does not submit is refused
    assert await _code(gateway, bearer(("submitter", "city/b")), CORRECT, id=submitted["id"], v="1",
                       version=2) == "NOT_FOUND"
    assert await _code(gateway, bearer(("reviewer", "city/a")), CORRECT, id=submitted["id"], v="1",
                       version=2) == "FORBIDDEN"
    # an assessor passes the gateway's row but evidence's kind table refuses measures to assessors
    assert await _code(gateway, bearer(("assessor", "city/a")), CORRECT, id=submitted["id"], v="1",
                       version=2) == "FORBIDDEN"
    read = await _data(gateway, alice, "query($id: ID!) { submission(id: $id) { version value } }",
                       id=submitted["id"])
    assert read["submission"] == {"version": 2, "value": {"value": "0.85"}}


REVIEW = """mutation($id: ID!, $version: Int!) { reviewSubmission(id: $id, input: {action: "approve",
  version: $version}) { version status } }"""


async def test_a_stale_review_is_a_conflict_naming_the_current_version(gateway: httpx.AsyncClient,
                                                                       bearer: Any) -> None:
    alice, reviewer = bearer(("submitter", "city/a"), subject="alice"), bearer(("reviewer", "city/a"))
    submitted = (await _data(gateway, alice, SUBMIT, v="0.8"))["submitEvidence"]
    await _data(gateway, alice, CORRECT, id=submitted["id"], v="0.85", version=1)  # now version 2
    stale = await _gql(gateway, reviewer, REVIEW, id=submitted["id"], version=1)  # the reviewer read version 1
    assert stale["errors"][0]["message"] == "the submission changed since you read it; reload and retry"
    assert stale["errors"][0]["extensions"] == {"code": "CONFLICT", "reason": "conflict",
                                                "details": {"version": 1, "current": 2}}
    approved = (await _data(gateway, reviewer, REVIEW, id=submitted["id"], version=2))["reviewSubmission"]
    assert approved == {"version": 3, "status": "approved"}  # one level: no chain is configured


ROSTER = """mutation($ids: [String!]!) { setJournalRoster(input: {periodId: "2026-Q1", subjectIds: $ids,
  firstWeek: "2026-W05", lastWeek: "2026-W08"}) { people } }"""
READ_ROSTER = '{ journalRoster(periodId: "2026-Q1") { subjectId unitPath indicator firstWeek lastWeek } }'
EXCUSE = """mutation { excuseJournalWeek(input: {periodId: "2026-Q1", subjectId: "p001", week: "2026-W07",
  kind: "trip", reason: "赴省厅培训", endsOn: "2026-02-13"}) { week status excuseKind excuseEndsOn makeup } }"""
JOURNAL = """mutation($week: String!) { submitJournal(input: {periodId: "2026-Q1", subjectId: "p001", week: $week,
  text: "本周完成……", points: "45"}) { week status makeup points } }"""


async def test_roster_excuse_and_make_up(gateway: httpx.AsyncClient, bearer: Any, clock: Clock) -> None:
    admin, chief = bearer(("admin", "city")), bearer(("reviewer", "city/a"), subject="chief-a")
    alice = bearer(("submitter", "city/a"), subject="alice")
    assert await _code(gateway, bearer(("admin", "city/a")), ROSTER, ids=["p001", "p002"]) == "FORBIDDEN"
    assert await _code(gateway, admin, ROSTER, ids=["p001", "nobody"]) == "NOT_FOUND"
    assert (await _data(gateway, admin, ROSTER, ids=["p001", "p002"]))["setJournalRoster"] == {"people": 2}
    mine = {"subjectId": "p001", "unitPath": "city/a", "indicator": "journal", "firstWeek": "2026-W05",
            "lastWeek": "2026-W08"}
    assert (await _data(gateway, chief, READ_ROSTER))["journalRoster"] == [mine]
    assert [r["subjectId"] for r in (await _data(gateway, bearer(("auditor", "")), READ_ROSTER))["journalRoster"]] \
        == ["p001", "p002"]
    own = bearer(("subject", "city/a"), subject="zhang", subject_ids=["p001"])
    assert (await _data(gateway, own, READ_ROSTER))["journalRoster"] == [mine]

    clock.set("2026-02-10T00:00:00+08:00")
    assert await _code(gateway, alice, EXCUSE) == "FORBIDDEN"  # only the supervisor excuses
    assert await _code(gateway, bearer(("reviewer", "city/b")), EXCUSE) == "NOT_FOUND"  # p001: outside, hidden
    excused = (await _data(gateway, chief, EXCUSE))["excuseJournalWeek"]
    assert excused == {"week": "2026-W07", "status": "excused", "excuseKind": "trip", "excuseEndsOn": "2026-02-13",
                       "makeup": False}
    clock.set("2026-02-27T15:59:59+00:00")  # 23:59:59 on the last make-up day
    assert (await _data(gateway, alice, JOURNAL, week="2026-W07"))["submitJournal"] == {
        "week": "2026-W07", "status": "submitted", "makeup": True, "points": "45"}
    late = await _gql(gateway, alice, JOURNAL, week="2026-W06")  # never excused: its deadline was 02-09
    assert late["errors"][0]["extensions"]["code"] == "CONFLICT"
    weeks = (await _data(gateway, chief, '{ journals(periodId: "2026-Q1", subjectId: "p001") '
                                         "{ nodes { week status makeup excuseKind } } }"))["journals"]["nodes"]
    assert weeks == [{"week": "2026-W07", "status": "submitted", "makeup": True, "excuseKind": "trip"}]


ACTS = {  # each act on one subject ($s) of 2026-Q1, with the roles that may do it somewhere
    "submitJournal": """mutation($s: String!) { submitJournal(input: {periodId: "2026-Q1", subjectId: $s,
      week: "2026-W10", text: "周志", points: "45"}) { week } }""",
    "excuseJournalWeek": """mutation($s: String!) { excuseJournalWeek(input: {periodId: "2026-Q1", subjectId: $s,
      week: "2026-W11", kind: "leave", reason: "病假", endsOn: "2026-03-13"}) { week } }""",
    "issueRectificationNotice": """mutation($s: String!) { issueRectificationNotice(input: {periodId: "2026-Q1",
      subjectId: $s, checkedAt: "2026-03-02T10:00:00+08:00", problem: "台账缺失", opinion: "限期整改",
      deadline: "2026-03-09"}) { id } }""",
    "fileAppeal": """mutation($s: ID!) { fileAppeal(periodId: "2026-Q1", subjectId: $s, factId: "f1",
      points: ["不服"]) { id } }""",
    "fileObjection": """mutation($s: ID!) { fileObjection(periodId: "2026-Q1", subjectId: $s,
      reason: "有误") { id } }""",
}
ROLE = {"submitJournal": "submitter", "excuseJournalWeek": "reviewer", "issueRectificationNotice": "assessor",
        "fileAppeal": "submitter", "fileObjection": "submitter"}


async def test_acts_on_a_subject_outside_the_scope_answer_as_for_one_not_enrolled(
        gateway: httpx.AsyncClient, bearer: Any) -> None:
    """Scope first (scopefirst2): a caller of city/a whose role does the act is answered about p002 (city/b)
    exactly as about `nobody`, in English and in Chinese; one whose role does it nowhere (an auditor) is refused
    whole; one that sees p001 (a reviewer or assessor over city/a) but does the act only over city/b is refused."""

    async def errors(headers: dict[str, str], operation: str, subject_id: str) -> list[tuple[str, str]]:
        body = await _gql(gateway, headers, ACTS[operation], s=subject_id)
        return [(e["extensions"]["code"], e["message"]) for e in body.get("errors", [])]

    for operation, role in ROLE.items():
        inside = bearer((role, "city/a"), subject="inside")
        for subject_id in ("p002", "ub", "nobody"):
            assert await errors(inside, operation, subject_id) == [
                ("NOT_FOUND", f"subject {subject_id} is not enrolled in period 2026-Q1")], operation
        chinese = {**inside, "Accept-Language": "zh-CN"}
        assert await errors(chinese, operation, "p002") == [("NOT_FOUND", "考核对象 p002 未列入考核周期 2026-Q1")]
        auditor = bearer(("auditor", "city/a"), subject="aud")
        for subject_id in ("p001", "p002", "nobody"):
            assert await errors(auditor, operation, subject_id) == [
                ("FORBIDDEN", f"aud may not run {operation}")], operation
        other = "reviewer" if role != "reviewer" else "assessor"
        both = bearer((role, "city/b"), (other, "city/a"), subject="both")
        assert await errors(both, operation, "p001") == [("FORBIDDEN", f"both may not run {operation}")], operation


async def _upload(gateway: httpx.AsyncClient, headers: dict[str, str], submission_id: str, data: bytes) -> Any:
    request = httpx.Request("POST", "http://x", files={"file": ("台账.pdf", data, "application/pdf")})
    response = await gateway.post(f"/uploads/submissions/{submission_id}/attachments", content=request.read(),
                                  headers={**headers, "Content-Type": request.headers["Content-Type"]})
    assert response.status_code == 201, response.text
    return response.json()


async def test_attachment_download_through_the_gateway(gateway: httpx.AsyncClient, bearer: Any) -> None:
    alice = bearer(("submitter", "city/a"), subject="alice")
    submission = (await _data(gateway, alice, SUBMIT, v="0.9"))["submitEvidence"]
    uploaded = await _upload(gateway, alice, submission["id"], PDF)
    sha = hashlib.sha256(PDF).hexdigest()
    query = "query($id: ID!) { submission(id: $id) { attachments { id fileName size sha256 downloadPath } } }"
    listed = (await _data(gateway, bearer(("auditor", "city")), query, id=submission["id"]))["submission"]
    listed = listed["attachments"]
    assert listed == [{"id": uploaded["id"], "fileName": "台账.pdf", "size": len(PDF), "sha256": sha,
                       "downloadPath": f"/attachments/{uploaded['id']}"}]
    for reader in (alice, bearer(("reviewer", "city/a")), bearer(("subject", "city/b"), subject_ids=["p001"])):
        download = await gateway.get(listed[0]["downloadPath"], headers=reader)
        assert download.status_code == 200, download.text
        assert download.content == PDF and hashlib.sha256(download.content).hexdigest() == sha
        assert download.headers["x-content-sha256"] == sha
        assert download.headers["content-type"] == "application/pdf"
        assert "attachment;" in download.headers["content-disposition"]
    outside = await gateway.get(listed[0]["downloadPath"], headers=bearer(("submitter", "city/b")))
    assert outside.status_code == 404  # evidence does not even admit that the attachment exists
    rater = await gateway.get(listed[0]["downloadPath"], headers=bearer(("rater", "city/a")))
    assert rater.status_code == 403
    assert (await gateway.get(listed[0]["downloadPath"])).status_code == 401
    altered_bytes = evidence_app.state.attachment_storage.path(sha)
    altered_bytes.write_bytes(PDF + b"tampered")
    altered = await gateway.get(listed[0]["downloadPath"], headers=alice)
    assert (altered.status_code, altered.json()["errors"][0]["extensions"]["reason"]) == (409, "attachment_altered")


PAGE = """query($first: Int) { submissions(periodId: "2026-Q1", subjectId: "p001", first: $first) {
  totalCount nodes { id status attachments { sha256 } reviews { decision level } } } }"""


async def _page_calls(gateway: httpx.AsyncClient, headers: dict[str, str], first: int) -> tuple[Any, int]:
    clients = gateway.app.state.clients  # type: ignore[attr-defined]
    before = sum(c.calls for c in clients.by_name.values())
    page = (await _data(gateway, headers, PAGE, first=first))["submissions"]
    return page, sum(c.calls for c in clients.by_name.values()) - before


async def test_a_page_of_submissions_costs_a_constant_number_of_calls(
        gateway: httpx.AsyncClient, client: httpx.AsyncClient, bearer: Any) -> None:
    submitter, reviewer = auth(("submitter", "city/a"), subject="alice"), auth(("reviewer", "city/a"))
    ids = []
    for n in range(50):
        created = await client.post("/v1/submissions", headers=submitter, json={
            "period_id": PERIOD, "subject_id": "p001", "indicator": "output", "fact": "measure",
            "content": {"value": f"0.{n:02d}"}})
        ids.append(created.json()["id"])
    ids.sort()  # evidence lists submissions in id order
    for sub_id in ids[:3]:  # three carry a file, one of them is approved
        files = {"file": ("a.pdf", PDF, "application/pdf")}
        assert (await client.post(f"/v1/submissions/{sub_id}/attachments", files=files,
                                  headers=submitter)).status_code == 201
    approved = await client.post(f"/v1/submissions/{ids[0]}/decisions", headers=reviewer,
                                 json={"action": "approve", "version": 1})
    assert approved.status_code == 201, approved.text
    auditor = bearer(("auditor", "city"))
    small, calls_10 = await _page_calls(gateway, auditor, 10)
    large, calls_50 = await _page_calls(gateway, auditor, 50)
    # subject's unit (scoring), the submissions, one batch of attachments, one batch of decisions
    assert calls_10 == calls_50 == 4
    assert len(small["nodes"]) == 10 and len(large["nodes"]) == 50 and large["totalCount"] == 50
    assert [n["id"] for n in large["nodes"]] == ids
    sha = hashlib.sha256(PDF).hexdigest()
    assert [len(n["attachments"]) for n in large["nodes"]] == [1, 1, 1] + [0] * 47
    assert {a["sha256"] for n in large["nodes"] for a in n["attachments"]} == {sha}
    assert large["nodes"][0]["status"] == "approved"
    assert large["nodes"][0]["reviews"] == [{"decision": "approve", "level": "审核"}]
    assert all(n["reviews"] == [] for n in large["nodes"][1:])
